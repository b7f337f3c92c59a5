"""Checks on call arguments and settings, in one place, run before any request so
mistakes never reach the API. Each raises `InvalidArgumentError` naming the argument;
none echoes a value that may be a secret."""

from __future__ import annotations

import math
import re
from typing import TypeVar
from urllib.parse import quote, urlsplit

from .config import is_loopback_host
from .errors import InvalidArgumentError
from .redaction import redact_url

__all__ = [
    "check_bool",
    "check_count",
    "conforms",
    "is_header_safe",
    "check_extra_headers",
    "check_non_empty_str",
    "check_optional_str",
    "check_page_args",
    "check_positive_int",
    "check_seconds",
    "check_secret",
    "check_webhook_url",
    "webhook_path",
]

T = TypeVar("T")

DIRECTIONS = frozenset({"asc", "desc"})


def check_non_empty_str(value: object, name: str) -> str:
    """A string with something other than whitespace in it."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgumentError(f"{name} must be a non-empty string, got {value!r}")
    return value


def check_optional_str(value: object, name: str) -> str | None:
    return None if value is None else check_non_empty_str(value, name)


def check_positive_int(value: object, name: str) -> int:
    """An integer >= 1 (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidArgumentError(f"{name} must be an integer >= 1, got {value!r}")
    return value


def conforms(obj: object, protocol: type) -> bool:
    """Whether `obj` has every public member of `protocol`, found as a call would find
    it. Unlike `isinstance` on a runtime-checkable protocol (which since Python 3.12
    looks members up statically), a wrapper that forwards through `__getattr__` counts.
    """
    return all(hasattr(obj, name) for name in vars(protocol) if not name.startswith("_"))


def is_header_safe(value: str) -> bool:
    """Whether `value` can go in an HTTP header as it is: printable ASCII, not empty."""
    return bool(value) and value.isascii() and value.isprintable()


def check_count(value: object, name: str) -> int:
    """An integer >= 0 (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidArgumentError(f"{name} must be an integer >= 0, got {value!r}")
    return value


def check_bool(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidArgumentError(f"{name} must be True or False, got {value!r}")
    return value


def check_seconds(value: object, name: str, *, allow_zero: bool = False) -> float:
    """A finite number of seconds, > 0 (or >= 0 with `allow_zero`).

    NaN and infinity are refused: a NaN timeout never fires, and an infinite one
    only hides a forgotten setting (pass None where "no limit" is meant). So are
    integers beyond any float (10**400).
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not is_finite(value)
        or value < 0
        or (value == 0 and not allow_zero)
    ):
        bound = ">= 0" if allow_zero else "> 0"
        shown = repr(value) if len(repr(value)) <= 40 else f"{repr(value)[:40]}..."
        raise InvalidArgumentError(f"{name} must be a finite number {bound}, got {shown}")
    return float(value)


def is_finite(value: float) -> bool:
    """`math.isfinite`, but False (not OverflowError) for an int beyond any float."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


# The common case, answered without urlsplit: https, a plain host name, then a path,
# query, fragment or nothing. Anything else (a port, credentials) takes the full check.
_PLAIN_HTTPS = re.compile(r"https://[A-Za-z0-9.-]*[A-Za-z0-9](?:[/?#]|$)")
# Whitespace and control characters: urlsplit would quietly drop some of them.
_UNSAFE = re.compile(r"[\x00-\x20\x7f]")


def check_webhook_url(
    url: object, *, allow_loopback_http: bool = False, allow_credentials: bool = False
) -> str:
    """The API delivers only to https; http is allowed for loopback against the emulator.

    A URL carrying `user:password@` is refused unless `allow_credentials`: it would put
    a password in every listing, log line and error that shows the URL (it is shown
    redacted wherever this SDK prints it).
    """
    if not isinstance(url, str) or not url.strip():
        raise InvalidArgumentError(f"url must be a non-empty string, got {_shown(url)}")
    if _UNSAFE.search(url):
        raise InvalidArgumentError(
            f"url {redact_url(url)!r} contains whitespace or control characters"
        )
    if _PLAIN_HTTPS.match(url):
        return url
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:  # e.g. an unclosed IPv6 bracket, a port out of range
        raise InvalidArgumentError(f"url {redact_url(url)!r} is not a valid URL: {exc}") from None
    if not hostname:
        raise InvalidArgumentError(f"url {redact_url(url)!r} is not an absolute URL")
    if (parts.username is not None or parts.password is not None) and not allow_credentials:
        raise InvalidArgumentError(
            f"url {redact_url(url)!r} carries credentials (user:password@); "
            "pass allow_credentials=True to send them anyway"
        )
    if parts.scheme == "https":
        return url
    if parts.scheme == "http" and allow_loopback_http and is_loopback_host(hostname):
        return url
    raise InvalidArgumentError(
        f"url {redact_url(url)!r} must use https (the API delivers only to https)"
    )


def _shown(value: object) -> str:
    return repr(redact_url(value)) if isinstance(value, str) else repr(value)


def check_secret(secret: object, *, name: str = "hash_secret") -> str:
    if not isinstance(secret, str) or not secret:
        # Never echo the value: it may be a real secret of the wrong type.
        raise InvalidArgumentError(f"{name} must be a non-empty string")
    return secret


# A UUID, or any id of letters, digits and dashes: nothing to quote (the common case).
_PLAIN_ID = re.compile(r"[A-Za-z0-9_-]+")


def webhook_path(webhook_id: object) -> str:
    """`/webhooks/{id}/` with the id checked and quoted, so it can never change the path."""
    if type(webhook_id) is str and _PLAIN_ID.fullmatch(webhook_id):
        return f"/webhooks/{webhook_id}/"
    webhook_id = check_non_empty_str(webhook_id, "webhook id")
    shown = webhook_id if len(webhook_id) <= 80 else webhook_id[:80] + "..."
    if "/" in webhook_id or webhook_id in (".", ".."):
        raise InvalidArgumentError(f"webhook id {shown!r} is not a valid id")
    try:
        return f"/webhooks/{quote(webhook_id, safe='')}/"
    except UnicodeEncodeError:  # a lone surrogate ("\ud800"), valid JSON but not UTF-8
        raise InvalidArgumentError(
            f"webhook id {shown!r} cannot be sent: it is not valid UTF-8"
        ) from None


def check_page_args(
    *, page: object = 1, limit: object = 50, direction: object = None, sort: object = None
) -> None:
    check_positive_int(page, "page")
    check_positive_int(limit, "limit")
    if direction is not None and direction not in DIRECTIONS:
        raise InvalidArgumentError(f"direction must be 'asc' or 'desc', got {direction!r}")
    check_optional_str(sort, "sort")


# Headers the SDK sets itself: a caller's extra headers may not replace them.
_OWNED_HEADERS = frozenset(
    {"authorization", "x-wms-code", "x-customer-code", "x-request-id", "content-type", "host"}
)
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def check_extra_headers(headers: object) -> dict[str, str]:
    """Extra headers for a call: token-named, printable ASCII values, none of ours."""
    if headers is None:
        return {}
    if not hasattr(headers, "items"):
        raise InvalidArgumentError("extra_headers must be a mapping of header names to strings")
    checked: dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
            raise InvalidArgumentError(f"extra_headers: {name!r} is not a valid header name")
        if name.lower() in _OWNED_HEADERS:
            raise InvalidArgumentError(f"extra_headers: {name} is set by the client itself")
        if not isinstance(value, str) or not value.isascii() or not value.isprintable():
            # The value is not echoed: it may be a credential.
            raise InvalidArgumentError(
                f"extra_headers: the value of {name} must be printable ASCII text"
            )
        checked[name] = value
    return checked
