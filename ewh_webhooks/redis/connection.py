"""One way for every Redis-backed part to reach Redis: a client opened lazily inside
the running event loop (constructors never need one), closed by `aclose()` and
opened again on next use, with the URL's password kept out of every message."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis.asyncio as aioredis

from ..errors import InvalidArgumentError

__all__ = ["RedisConnection", "check_redis_url", "redact_url"]

_SCHEMES = frozenset({"redis", "rediss", "unix"})


def redact_url(url: str) -> str:
    """`redis://user:secret@host:6379/0` -> `redis://user:***@host:6379/0`."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid URL>"
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port is not None:
        host += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def check_redis_url(url: object) -> str:
    if not isinstance(url, str) or not url.strip():
        raise InvalidArgumentError("a Redis URL (redis://host:6379/0) is required")
    try:
        scheme = urlsplit(url).scheme
    except ValueError:
        scheme = ""
    if scheme not in _SCHEMES:
        raise InvalidArgumentError(
            f"Redis URL {redact_url(url)!r} must start with redis://, rediss:// or unix://"
        )
    return url


class RedisConnection:
    """A `redis.asyncio.Redis` made on first use, in the loop that uses it."""

    def __init__(self, url: str, **options: Any) -> None:
        self.url = check_redis_url(url)
        self._options = options
        self._client: aioredis.Redis | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"RedisConnection({redact_url(self.url)!r})"

    def client(self) -> aioredis.Redis:
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            # A client belongs to one loop; a new loop (a second asyncio.run) gets its own.
            self._client = aioredis.from_url(self.url, **self._options)
            self._loop = loop
        return self._client

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None and self._loop is asyncio.get_running_loop():
            await client.aclose()
