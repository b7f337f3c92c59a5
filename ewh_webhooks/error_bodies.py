"""What an error response says: the exception class for its status, a one-line
message from whatever body it has (JSON with field errors, an HTML page, plain
text), the field errors, and a copy of the body fit to keep (bounded, with secrets
masked). Pure functions: `error_from_response` is what the request loop raises.

Every body is examined in time linear in a bounded part of it: a hostile server
cannot stall the event loop, whatever it answers.
"""

from __future__ import annotations

import itertools
import re
import reprlib
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from . import _json
from .errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from .redaction import redact_json, redact_text, redact_url, scrub
from .sansio import MAX_DETAIL, Response, body_text, is_auth_response, shorten

__all__ = ["error_from_response", "normalize_field_errors"]

_STATUS_ERRORS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
}

# Of a 400's field errors: enough to say what is wrong, never all of a huge body.
_MAX_FIELDS = 50
_MAX_MESSAGES = 10
# Only this much of a non-JSON error body is examined: a few KiB hold any error
# page's title, and no regex then sees more than this.
_MAX_EXAMINED = 4096
# `[^<>]`: a tag ends at the next "<" too, so an unclosed "<<<<" is scanned once.
_TAG = re.compile(r"<[^<>]*>")
_SPACE = re.compile(r"\s+")


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


def error_from_response(
    response: Response, *, retry_after: float | None = None, secrets: Sequence[str] = ()
) -> APIError:
    """Map an error response to the exception class for its status, whatever the body.

    `secrets` are values the caller sent (the password, a token, a webhook secret):
    masked wherever the server echoes them, in the message and the kept body.
    """
    status = response.status
    auth = is_auth_response(response)
    body = _parse_body(response.body)
    errors: dict[str, list[str]] = {}
    detail = ""
    if isinstance(body, Mapping):
        errors = normalize_field_errors(body.get("errors"))
        if secrets:
            errors = {k: [scrub(m, secrets) for m in v] for k, v in errors.items()}
        detail = _first_str(body, "message", "detail", "error", "title")
        if not detail and errors:
            detail = "; ".join(
                f"{field}: {' '.join(msgs)}" if field != "0" else " ".join(msgs)
                for field, msgs in errors.items()
            )
        body = redact_json(body, secrets=secrets)
    elif isinstance(body, str):
        detail = "" if auth else _readable_text(body)
        body = None if auth else scrub(redact_text(body[:_MAX_EXAMINED]), secrets)
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    message = f"{response.method} {response.path} failed: {status} {reason}".rstrip()
    detail = redact_text(shorten(scrub(detail, secrets)))
    # "Not Found" or "502 Bad Gateway" repeats the status line: say it once.
    if detail and detail.rstrip(".").lower() not in (reason.lower(), f"{status} {reason}".lower()):
        message += f": {detail}"
    location = response.headers.get("Location")
    if 300 <= status < 400 and location:
        message += f" (redirect to {shorten(redact_url(location))!r} not followed; check base_url)"
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


def _parse_body(body: bytes) -> Any:
    if not body:
        return None
    try:
        return _json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return body_text(body)


def _short(value: object) -> str:
    if isinstance(value, str):
        return shorten(value)
    if isinstance(value, list | tuple | dict):
        # reprlib shows a few items of each level: str() would render all of them first.
        return shorten(reprlib.repr(value))
    return shorten(str(value)[: MAX_DETAIL * 2])


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
    return shorten(_SPACE.sub(" ", text).strip())


def _first_str(body: Mapping[str, Any], *keys: str) -> str:
    for key in keys:
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
    return ""
