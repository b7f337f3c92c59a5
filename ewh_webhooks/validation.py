"""Checks on call arguments, run before any request so mistakes never reach the API."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from .config import is_loopback_host
from .errors import InvalidArgumentError

__all__ = ["check_page_args", "check_secret", "check_webhook_url", "webhook_path"]

DIRECTIONS = frozenset({"asc", "desc"})


# The common case, answered without urlsplit: https, a plain host name, an optional
# port, then a path, query, fragment or nothing. Anything else takes the full check.
_PLAIN_HTTPS = re.compile(r"https://[A-Za-z0-9.-]*[A-Za-z0-9](?::[0-9]{1,5})?(?:[/?#]|$)")
# Whitespace and control characters: urlsplit would quietly drop some of them.
_UNSAFE = re.compile(r"[\x00-\x20\x7f]")


def check_webhook_url(url: object, *, allow_loopback_http: bool = False) -> str:
    """The API delivers only to https; http is allowed for loopback against the emulator."""
    if not isinstance(url, str) or not url.strip():
        raise InvalidArgumentError(f"url must be a non-empty string, got {url!r}")
    if _UNSAFE.search(url):
        raise InvalidArgumentError(f"url {url!r} contains whitespace or control characters")
    if _PLAIN_HTTPS.match(url):
        return url
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError as exc:  # e.g. an unclosed IPv6 bracket
        raise InvalidArgumentError(f"url {url!r} is not a valid URL: {exc}") from None
    if not hostname:
        raise InvalidArgumentError(f"url {url!r} is not an absolute URL")
    if parts.scheme == "https":
        return url
    if parts.scheme == "http" and allow_loopback_http and is_loopback_host(hostname):
        return url
    raise InvalidArgumentError(f"url {url!r} must use https (the API delivers only to https)")


def check_secret(secret: object, *, name: str = "hash_secret") -> str:
    if not isinstance(secret, str) or not secret:
        # Never echo the value: it may be a real secret of the wrong type.
        raise InvalidArgumentError(f"{name} must be a non-empty string")
    return secret


def webhook_path(webhook_id: object) -> str:
    """`/webhooks/{id}/` with the id checked and quoted, so it can never change the path."""
    if not isinstance(webhook_id, str) or not webhook_id.strip():
        raise InvalidArgumentError(f"webhook id must be a non-empty string, got {webhook_id!r}")
    if "/" in webhook_id or webhook_id in (".", ".."):
        raise InvalidArgumentError(f"webhook id {webhook_id!r} is not a valid id")
    return f"/webhooks/{quote(webhook_id, safe='')}/"


def check_page_args(
    *, page: object = 1, limit: object = 50, direction: object = None, sort: object = None
) -> None:
    for name, value in (("page", page), ("limit", limit)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidArgumentError(f"{name} must be an integer >= 1, got {value!r}")
    if direction is not None and direction not in DIRECTIONS:
        raise InvalidArgumentError(f"direction must be 'asc' or 'desc', got {direction!r}")
    if sort is not None and (not isinstance(sort, str) or not sort):
        raise InvalidArgumentError(f"sort must be a non-empty string, got {sort!r}")
