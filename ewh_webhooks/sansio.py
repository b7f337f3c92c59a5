"""Request and response decisions with no I/O (after gidgethub's sansio module).

Everything here is a pure function of its arguments: building the URL and headers
of a request, decoding bodies, turning an error response into the right exception.
The request loop calls these; tests call them with tables. No function here spends
more than linear time on a body, whatever the server sends.
"""

from __future__ import annotations

import itertools
import platform
import re
import reprlib
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

import aiohttp

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
from .redaction import redact_json, redact_text, redact_url

__all__ = [
    "AUTH_PATH_PREFIX",
    "IDEMPOTENT_METHODS",
    "Response",
    "build_url",
    "decode_json",
    "error_from_response",
    "normalize_field_errors",
    "request_headers",
    "user_agent",
]

# PATCH is idempotent for this API: it sets fields to given values.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})
# Bodies on these paths carry credentials and tokens: never quoted in messages.
AUTH_PATH_PREFIX = "/wms/auth/"

_STATUS_ERRORS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
}
# Bodies quoted in messages are cut here so an HTML page never floods a log line.
_MAX_DETAIL = 200
# Of a 400's field errors: enough to say what is wrong, never all of a huge body.
_MAX_FIELDS = 50
_MAX_MESSAGES = 10
# Only this much of a non-JSON error body is examined: a few KiB hold any error
# page's title, and no regex then sees more than this.
_MAX_EXAMINED = 4096
# `[^<>]`: a tag ends at the next "<" too, so an unclosed "<<<<" is scanned once.
_TAG = re.compile(r"<[^<>]*>")
_SPACE = re.compile(r"\s+")


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
            body=None if _is_auth(response) else redact_text(_excerpt(response.body)),
        ) from exc


def normalize_field_errors(raw: Any) -> dict[str, list[str]]:
    """`{"url": ["bad"], "0": "global"}` -> `{"url": ["bad"], "0": ["global"]}`.

    The API's 400 body is loosely shaped (a string or a list per key, sometimes a
    list of globals); every shape becomes field -> list of strings, at most
    `_MAX_FIELDS` fields of `_MAX_MESSAGES` messages (a body could hold millions).
    """
    if isinstance(raw, Mapping):
        out: dict[str, list[str]] = {}
        for key, value in itertools.islice(raw.items(), _MAX_FIELDS):
            if isinstance(value, list | tuple):
                out[_short(key)] = [_short(v) for v in value[:_MAX_MESSAGES]]
            else:
                out[_short(key)] = [_short(value)]
        return out
    if isinstance(raw, list | tuple):
        return {"0": [_short(v) for v in raw[:_MAX_MESSAGES]]}
    if isinstance(raw, str):
        return {"0": [_short(raw)]}
    return {}


def _kept_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers an error keeps: no cookies, and no credentials in a Location."""
    kept = {}
    for key, value in headers.items():
        lowered = key.lower()
        if lowered == "set-cookie":
            continue
        kept[key] = redact_url(value) if lowered in ("location", "content-location") else value
    return kept


def error_from_response(response: Response, *, retry_after: float | None = None) -> APIError:
    """Map an error response to the exception class for its status, whatever the body."""
    status = response.status
    auth = _is_auth(response)
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
        body = redact_json(body)
    elif isinstance(body, str):
        detail = "" if auth else _readable_text(body)
        body = None if auth else redact_text(body[:_MAX_EXAMINED])
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    message = f"{response.method} {response.path} failed: {status} {reason}".rstrip()
    detail = redact_text(_shorten(detail))
    # "Not Found" or "502 Bad Gateway" repeats the status line: say it once.
    if detail and detail.rstrip(".").lower() not in (reason.lower(), f"{status} {reason}".lower()):
        message += f": {detail}"
    location = response.headers.get("Location")
    if 300 <= status < 400 and location:
        message += f" (redirect to {_shorten(redact_url(location))!r} not followed; check base_url)"
    cls = _STATUS_ERRORS.get(status) or (ServerError if status >= 500 else APIError)
    kwargs: dict[str, Any] = {
        "status": status,
        "body": body,
        "errors": errors,
        "request_id": response.request_id,
        "method": response.method,
        "path": response.path,
        "headers": _kept_headers(response.headers),
    }
    if cls is RateLimitError:
        return RateLimitError(message, retry_after=retry_after, **kwargs)
    return cls(message, **kwargs)


def _is_auth(response: Response) -> bool:
    return response.path.startswith(AUTH_PATH_PREFIX)


def _quoted(response: Response) -> str:
    if _is_auth(response):
        return f"({len(response.body)} bytes, not shown: it may carry tokens)"
    return repr(redact_text(_excerpt(response.body)))


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
    # At most four bytes a character: enough bytes for the excerpt, never the whole body.
    limit = _MAX_DETAIL * 4
    text = _text(body[:limit])
    if len(body) > limit:
        return text[:_MAX_DETAIL] + "..."
    return _shorten(text)


def _shorten(text: str) -> str:
    return text if len(text) <= _MAX_DETAIL else text[:_MAX_DETAIL] + "..."


def _short(value: object) -> str:
    if isinstance(value, str):
        return _shorten(value)
    if isinstance(value, list | tuple | dict):
        # reprlib shows a few items of each level: str() would render all of them first.
        return _shorten(reprlib.repr(value))
    return _shorten(str(value)[: _MAX_DETAIL * 2])


def _readable_text(text: str) -> str:
    """An HTML error page becomes its title (or its text, tags stripped), shortened.

    Linear in the examined prefix: plain `find`s for the title, and a tag pattern
    that cannot backtrack over a run of "<".
    """
    text = text[:_MAX_EXAMINED]
    lowered = text.lower()
    start = lowered.find("<title")
    if start >= 0:
        open_end = lowered.find(">", start)
        close = lowered.find("</title", open_end + 1) if open_end >= 0 else -1
        if close >= 0:
            text = text[open_end + 1 : close]
    if "<" in text:
        text = _TAG.sub(" ", text)
    if "&" in text:
        import html  # only error pages need it: kept off the import of the client

        text = html.unescape(text)
    return _shorten(_SPACE.sub(" ", text).strip())


def _first_str(body: Mapping[str, Any], *keys: str) -> str:
    for key in keys:
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
    return ""
