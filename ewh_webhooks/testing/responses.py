"""Small answer builders shared by the emulator's handlers."""

from __future__ import annotations

import json
from typing import Any

import attrs
from aiohttp import web

__all__ = ["Scope", "field_errors", "json_answer", "message", "read_body"]


@attrs.frozen(slots=True)
class Scope:
    """What authentication established for a request: its customer, the webhook id."""

    customer: str
    webhook_id: str = ""


def json_answer(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response(body, status=status, headers=headers)


def message(status: int, text: str) -> web.Response:
    """The `{"code", "message"}` body the API uses for 401/403/404/405/429/5xx."""
    return json_answer({"code": status, "message": text}, status)


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
