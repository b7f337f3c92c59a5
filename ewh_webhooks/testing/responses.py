"""Small answer builders shared by the emulator's handlers.

Two body shapes only. A 400 about the request's fields is the documented
`{"errors": {"field": ["msg"], "0": "global msg"}}`. Every other error uses one style
for the whole run: `{"code", "message"}` (the shape of the API's documented 401s,
the default) or `{"detail"}` (Django REST framework's), so a test can pin the SDK
against either kind of server.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

__all__ = ["ERROR_STYLES", "field_errors", "json_answer", "message", "read_body"]

ERROR_STYLES = ("message", "detail")


def json_answer(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response(body, status=status, headers=headers)


def message(
    status: int, text: str, *, style: str, headers: dict[str, str] | None = None
) -> web.Response:
    """An error that is not about the request's fields, in the run's one style."""
    body = {"detail": text} if style == "detail" else {"code": status, "message": text}
    return json_answer(body, status, headers=headers)


def field_errors(errors: dict[str, Any]) -> web.Response:
    """The documented 400 body: `{"errors": {"field": ["msg"], "0": "global msg"}}`."""
    return json_answer({"errors": errors}, 400)


async def read_body(request: web.Request) -> dict[str, Any] | web.Response:
    """The JSON object of a request, or the 400 answer to send instead."""
    try:
        body = json.loads(await request.read() or b"null")
    except ValueError:
        return field_errors({"0": "Invalid JSON body"})
    if not isinstance(body, dict):
        return field_errors({"0": "The body must be a JSON object"})
    return body
