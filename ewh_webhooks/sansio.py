"""Request and response decisions with no I/O (after gidgethub's sansio module).

Everything here is a pure function of its arguments: building the URL and headers
of a request, decoding bodies, turning an error response into the right exception.
The request loop calls these; tests call them with tables. No function here spends
more than linear time on a body, whatever the server sends.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import aiohttp

from . import _json
from ._version import __version__
from .errors import (
    ResponseValidationError,
)
from .redaction import redact_text

__all__ = [
    "AUTH_PATH_PREFIX",
    "IDEMPOTENT_METHODS",
    "Response",
    "build_url",
    "MAX_DETAIL",
    "body_text",
    "decode_json",
    "is_auth_response",
    "request_headers",
    "shorten",
    "user_agent",
]

# PATCH is idempotent for this API: it sets fields to given values.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})
# Bodies on these paths carry credentials and tokens: never quoted in messages.
AUTH_PATH_PREFIX = "/wms/auth/"

# Bodies quoted in messages are cut here so an HTML page never floods a log line.
MAX_DETAIL = 200


class Response:
    """A transport-neutral HTTP response: what the request loop and decoders see.

    A plain slotted class: one is made per attempt, and nothing needs it frozen.
    """

    __slots__ = ("body", "headers", "method", "path", "request_id", "status")

    def __init__(
        self,
        *,
        status: int,
        headers: Mapping[str, str],
        body: bytes,
        method: str,
        path: str,
        request_id: str | None = None,
    ) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.method = method
        self.path = path
        self.request_id = request_id

    def __repr__(self) -> str:
        return f"Response({self.method} {self.path} -> {self.status})"


def user_agent() -> str:
    """`ewh-webhooks/<v> python/<v> aiohttp/<v>`: versions only, no host details."""
    python = platform.python_version()
    return f"ewh-webhooks/{__version__} python/{python} aiohttp/{aiohttp.__version__}"


def build_url(
    base_url: str, path: str, params: Mapping[str, object] | None = None
) -> tuple[str, str]:
    """The absolute URL of `path` with its query, and the path + query shown in logs
    and errors. Parameters that are None are left out.

    >>> build_url("https://h", "/webhooks/", {"page": 2, "sort": None})
    ('https://h/webhooks/?page=2', '/webhooks/?page=2')
    """
    if params:
        query = urlencode({k: v for k, v in params.items() if v is not None})
        if query:
            path = f"{path}?{query}"
    return base_url + path, path


def request_headers(
    base: Mapping[str, str],
    *,
    request_id: str,
    customer: str | None,
    token: str | None,
    has_body: bool,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The headers of one attempt: `base` (Accept, User-Agent, X-Wms-Code), then
    the caller's `extra`, then what the SDK owns (request id, customer, auth)."""
    headers = dict(base)
    if extra:
        headers.update(extra)
    headers["X-Request-Id"] = request_id
    if customer is not None:
        headers["X-Customer-Code"] = customer
    if has_body:
        headers["Content-Type"] = "application/json"
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def decode_json(response: Response) -> Any:
    """Parse a response body as JSON or raise `ResponseValidationError` naming the call."""
    try:
        return _json.loads(response.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ResponseValidationError(
            f"{response.method} {response.path} returned {response.status} with a body "
            f"that is not JSON: {_quoted(response)}",
            body=None if is_auth_response(response) else redact_text(_excerpt(response.body)),
        ) from exc


def is_auth_response(response: Response) -> bool:
    """Whether `response` answers a login or refresh (its body may carry tokens)."""
    return response.path.startswith(AUTH_PATH_PREFIX)


def _quoted(response: Response) -> str:
    if is_auth_response(response):
        return f"({len(response.body)} bytes, not shown: it may carry tokens)"
    return repr(redact_text(_excerpt(response.body)))


def body_text(body: bytes) -> str:
    """A body as text, whatever its bytes."""
    return body.decode("utf-8", errors="replace")


def _excerpt(body: bytes) -> str:
    # At most four bytes a character: enough bytes for the excerpt, never the whole body.
    limit = MAX_DETAIL * 4
    text = body_text(body[:limit])
    if len(body) > limit:
        return text[:MAX_DETAIL] + "..."
    return shorten(text)


def shorten(text: str) -> str:
    """`text` cut at `MAX_DETAIL` characters, saying so."""
    return text if len(text) <= MAX_DETAIL else text[:MAX_DETAIL] + "..."
