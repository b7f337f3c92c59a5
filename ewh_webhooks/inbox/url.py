"""An inbox from a URL, for the command line and configuration files.

sqlite:///events.sqlite3            a file relative to the working directory
sqlite:////var/lib/ewh/events.db    an absolute path (four slashes)
sqlite:///events.sqlite3?synchronous=NORMAL
redis://localhost:6379/0            RedisInbox (the redis extra); also rediss://, unix://
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from ..errors import EWHError, InvalidArgumentError
from ..redaction import redact_url
from .protocol import Inbox

__all__ = ["open_inbox"]

_SQLITE_OPTIONS = frozenset({"synchronous", "busy_timeout"})
_REDIS_SCHEMES = frozenset({"redis", "rediss", "unix"})


def open_inbox(url: str, *, lease: float = 30.0, name: str | None = None) -> Inbox:
    """The inbox `url` names (nothing is opened yet: that happens on first use).
    `name` is the Redis inbox's key prefix (ignored for SQLite)."""
    if not isinstance(url, str) or not url.strip():
        raise InvalidArgumentError("an inbox URL is required, e.g. sqlite:///events.sqlite3")
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    scheme = parts.scheme if parts is not None else ""
    if parts is not None and scheme == "sqlite":
        return _sqlite(parts.netloc, parts.path, parts.query, lease)
    if scheme in _REDIS_SCHEMES:
        return _redis(url, lease, name)
    raise InvalidArgumentError(
        f"inbox URL {redact_url(url)!r} must start with sqlite:/// or redis:// "
        "(e.g. sqlite:///events.sqlite3)"
    )


def _sqlite(netloc: str, path: str, query: str, lease: float) -> Inbox:
    from .sqlite import SQLiteInbox

    if netloc or not path.startswith("/") or len(path) < 2:
        raise InvalidArgumentError(
            "a SQLite inbox URL is sqlite:///relative/path or sqlite:////absolute/path"
        )
    options: dict[str, Any] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key not in _SQLITE_OPTIONS:
            raise InvalidArgumentError(
                f"unknown SQLite inbox option {key!r} (known: {', '.join(sorted(_SQLITE_OPTIONS))})"
            )
        options[key] = value if key == "synchronous" else _number(key, value)
    return SQLiteInbox(unquote(path[1:]), lease=lease, **options)


def _number(key: str, value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise InvalidArgumentError(f"SQLite inbox option {key} must be a number") from None


def _redis(url: str, lease: float, name: str | None) -> Inbox:
    try:
        from ..redis import RedisInbox
    except (ImportError, AttributeError, EWHError) as exc:
        raise InvalidArgumentError(f"a Redis inbox is not available: {exc}") from None
    options: dict[str, Any] = {"lease": lease}
    if name is not None:
        options["name"] = name
    inbox: Inbox = RedisInbox(url, **options)
    return inbox
