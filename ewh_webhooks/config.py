"""Client settings: base URL presets, timeouts, and the checks on them."""

from __future__ import annotations

import ipaddress
import math
from typing import Any
from urllib.parse import urlsplit

import attrs

from .errors import InvalidArgumentError
from .redaction import redact_text, redact_url

__all__ = ["BASE_URLS", "DEFAULT_BASE_URL", "Timeout", "is_loopback_host", "resolve_base_url"]

BASE_URLS: dict[str, str] = {
    "eu-dev": "https://eu-dev.middleware.ewarehousing-solutions.com",
    "eu": "https://eu.middleware.ewarehousing-solutions.com",
    "us": "https://us.middleware.ewarehousing-solutions.com",
}
# The sandbox: a forgotten base_url must never write to production.
DEFAULT_BASE_URL = BASE_URLS["eu-dev"]


def _positive_or_none(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not _isfinite(value)
        or value <= 0
    ):
        shown = repr(value) if len(repr(value)) <= 40 else f"{repr(value)[:40]}..."
        raise InvalidArgumentError(
            f"Timeout.{attribute.name} must be a finite number > 0 or None, got {shown}"
        )


def _isfinite(value: float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond any float (10**400)
        return False


@attrs.frozen(slots=True, kw_only=True)
class Timeout:
    """Seconds allowed for a whole attempt (`total`), to connect, and between reads.

    A plain number anywhere a timeout is taken means `Timeout(total=number)`.
    """

    total: float | None = attrs.field(default=30.0, validator=_positive_or_none)
    connect: float | None = attrs.field(default=None, validator=_positive_or_none)
    read: float | None = attrs.field(default=None, validator=_positive_or_none)

    @classmethod
    def coerce(cls, value: float | Timeout | None) -> Timeout:
        """A `Timeout` from what users pass: a Timeout as is, seconds as `total`, None
        as no limit at all."""
        if isinstance(value, Timeout):
            return value
        if value is None:
            return cls(total=None)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidArgumentError(f"timeout must be seconds or a Timeout, got {value!r}")
        return cls(total=value)


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    if ":" not in host and not host.replace(".", "").isdigit():
        return False  # a DNS name: skip the costly failed parse as an IP address
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def resolve_base_url(value: str) -> str:
    """A preset name ("eu-dev", "eu", "us") or a URL -> the URL without trailing slash.

    https only; plain http is accepted for loopback hosts (the emulator). A URL that
    could not be requested (no host, a port that is not a number from 1 to 65535,
    whitespace or control characters) is refused here, not at the first request.
    """
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgumentError(f"base_url must be a URL or one of {sorted(BASE_URLS)}")
    url = BASE_URLS.get(value.strip(), value.strip())
    if not url.isprintable() or " " in url:
        raise InvalidArgumentError(
            f"base_url {_shown(url)} contains whitespace or control characters"
        )
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError as exc:  # `https://[::1`, `https://host:abc`, port 99999
        raise InvalidArgumentError(f"base_url {_shown(url)} is not a valid URL: {exc}") from None
    if parts.scheme not in ("https", "http") or not host:
        raise InvalidArgumentError(
            f"base_url {_shown(url)} is not an absolute http(s) URL nor one of {sorted(BASE_URLS)}"
        )
    if port == 0:
        raise InvalidArgumentError(f"base_url {_shown(url)} needs a port from 1 to 65535")
    if parts.scheme == "http" and not is_loopback_host(host):
        raise InvalidArgumentError(
            f"base_url {_shown(url)} uses plain http; https is required (http only for loopback)"
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise InvalidArgumentError("base_url must not carry a query, fragment or credentials")
    import yarl  # aiohttp's URL type, loaded with the client: what requests will parse

    try:
        yarl.URL(url)
    except ValueError as exc:  # `https://[::1]x`, a backslash in the host...
        raise InvalidArgumentError(f"base_url {_shown(url)} is not a valid URL: {exc}") from None
    return url.rstrip("/")


def _shown(url: str) -> str:
    """The URL quoted for an error message: credentials masked, control characters
    escaped (by repr), even where the URL cannot be parsed."""
    try:
        urlsplit(url).port  # noqa: B018 (raises for what redact_url cannot show)
    except ValueError:
        return repr(redact_text(url))
    return repr(redact_url(url))
