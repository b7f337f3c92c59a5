"""Request and response decisions with no I/O (after gidgethub's sansio module).

Everything here is a pure function of its arguments: building headers, decoding
bodies, turning an error response into the right exception. The transport and
the request loop call these; tests call them with tables.
"""

from __future__ import annotations

import html
import platform
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import aiohttp
import attrs

from . import _json
from ._version import __version__
from .errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
    ServerError,
)

__all__ = [
    "IDEMPOTENT_METHODS",
    "Response",
    "decode_json",
    "error_from_response",
    "normalize_field_errors",
    "user_agent",
]

# PATCH is idempotent for this API: it sets fields to given values.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})

_STATUS_ERRORS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
}
# Bodies quoted in messages are cut here so an HTML page never floods a log line.
_MAX_DETAIL = 200
_TAG = re.compile(r"<[^>]+>")
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_SPACE = re.compile(r"\s+")


@attrs.frozen(slots=True, kw_only=True)
class Response:
    """A transport-neutral HTTP response: what the request loop and decoders see."""

    status: int
    headers: Mapping[str, str] = attrs.field(repr=False)
    body: bytes = attrs.field(repr=False)
    method: str
    path: str
    request_id: str | None = None


def user_agent() -> str:
    """`ewh-webhooks/<v> python/<v> aiohttp/<v>`: versions only, no host details."""
    python = platform.python_version()
    return f"ewh-webhooks/{__version__} python/{python} aiohttp/{aiohttp.__version__}"


def decode_json(response: Response) -> Any:
    """Parse a response body as JSON or raise `ResponseValidationError` naming the call."""
    try:
        return _json.loads(response.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ResponseValidationError(
            f"{response.method} {response.path} returned {response.status} with a body "
            f"that is not JSON: {_excerpt(response.body)!r}",
            body=_text(response.body),
        ) from exc


def normalize_field_errors(raw: Any) -> dict[str, list[str]]:
    """`{"url": ["bad"], "0": "global"}` -> `{"url": ["bad"], "0": ["global"]}`.

    The API's 400 body is loosely shaped (a string or a list per key, sometimes a
    list of globals); every shape becomes field -> list of strings.
    """
    if isinstance(raw, Mapping):
        out: dict[str, list[str]] = {}
        for key, value in raw.items():
            if isinstance(value, list | tuple):
                out[str(key)] = [str(v) for v in value]
            else:
                out[str(key)] = [str(value)]
        return out
    if isinstance(raw, list | tuple):
        return {"0": [str(v) for v in raw]}
    if isinstance(raw, str):
        return {"0": [raw]}
    return {}


def error_from_response(response: Response, *, retry_after: float | None = None) -> APIError:
    """Map an error response to the exception class for its status, whatever the body."""
    status = response.status
    body = _parse_body(response.body)
    errors: dict[str, list[str]] = {}
    detail = ""
    if isinstance(body, Mapping):
        errors = normalize_field_errors(body.get("errors"))
        detail = _first_str(body, "message", "detail", "error", "title")
        if not detail and errors:
            detail = "; ".join(
                f"{field}: {' '.join(msgs)}" if field != "0" else " ".join(msgs)
                for field, msgs in errors.items()
            )
    elif isinstance(body, str):
        detail = _readable_text(body)
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    message = f"{response.method} {response.path} failed: {status} {reason}".rstrip()
    # "Not Found" or "502 Bad Gateway" repeats the status line: say it once.
    if detail and detail.rstrip(".").lower() not in (reason.lower(), f"{status} {reason}".lower()):
        message += f": {detail}"
    location = response.headers.get("Location")
    if 300 <= status < 400 and location:
        message += f" (redirect to {location!r} not followed; check base_url)"
    cls = _STATUS_ERRORS.get(status) or (ServerError if status >= 500 else APIError)
    kwargs: dict[str, Any] = {
        "status": status,
        "body": body,
        "errors": errors,
        "request_id": response.request_id,
        "method": response.method,
        "path": response.path,
        "headers": dict(response.headers),
    }
    if cls is RateLimitError:
        return RateLimitError(message, retry_after=retry_after, **kwargs)
    return cls(message, **kwargs)


def _parse_body(body: bytes) -> Any:
    if not body:
        return None
    try:
        return _json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return _text(body)


def _text(body: bytes) -> str:
    return body.decode("utf-8", errors="replace")


def _excerpt(body: bytes) -> str:
    text = _text(body)
    return text if len(text) <= _MAX_DETAIL else text[:_MAX_DETAIL] + "..."


def _readable_text(text: str) -> str:
    """An HTML error page becomes its title (or its text, tags stripped), shortened."""
    match = _TITLE.search(text)
    if match:
        text = match.group(1)
    elif "<" in text:
        text = _TAG.sub(" ", text)
    text = _SPACE.sub(" ", html.unescape(text)).strip()
    return text if len(text) <= _MAX_DETAIL else text[:_MAX_DETAIL] + "..."


def _first_str(body: Mapping[str, Any], *keys: str) -> str:
    for key in keys:
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
    return ""
