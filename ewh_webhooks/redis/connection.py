"""One way for every Redis-backed part to reach Redis: a client opened lazily inside
the running event loop (constructors never need one), closed by `aclose()` and
opened again on next use, with the URL's password kept out of every message."""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import redis.asyncio as aioredis
from redis.asyncio.connection import BlockingConnectionPool, parse_url
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import NoScriptError, RedisError

from ..errors import InvalidArgumentError, StoreError
from ..redaction import redact_text, redact_url

__all__ = [
    "REDIS_ERRORS",
    "LuaScript",
    "RedisConnection",
    "RedisStoreError",
    "check_redis_url",
    "redact_url",
]

# What Redis trouble looks like from redis-py: its own errors (refused, reset, timed
# out, a command refused), plus the OS and asyncio errors a socket can raise first.
REDIS_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)


class RedisStoreError(StoreError):
    """A Redis-backed store could not do its work: Redis unreachable, too slow, or it
    refused the command. A receiver answers 503 on it, so the sender delivers again."""


_SCHEMES = frozenset({"redis", "rediss", "unix"})


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
    try:
        # redis-py's own parser, now rather than at first use (a bad port, a bad db).
        parse_url(url)
    except ValueError as exc:
        raise InvalidArgumentError(f"Redis URL {redact_url(url)!r} is not valid: {exc}") from None
    return url


class LuaScript:
    """A Lua script run by its SHA1 (EVALSHA), sent whole only when Redis does not know
    it yet (after a restart or SCRIPT FLUSH): one round trip, atomic on the server."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.sha = hashlib.sha1(text.encode()).hexdigest()

    async def __call__(
        self, client: aioredis.Redis, keys: Sequence[str], args: Sequence[str | bytes | int | float]
    ) -> Any:
        try:
            return await client.evalsha(self.sha, len(keys), *keys, *args)
        except NoScriptError:
            return await client.eval(self.text, len(keys), *keys, *args)


class RedisConnection:
    """A `redis.asyncio.Redis` made on first use, in the loop that uses it.

    With `pool_wait`, its pool holds at most `max_connections` and a call finding them
    all busy waits up to `pool_wait` seconds for one (redis-py's
    `BlockingConnectionPool`): a burst of calls queues instead of failing with "Too
    many connections" (redis-py >= 7 caps a pool at 100).
    """

    def __init__(self, url: str, *, pool_wait: float | None = None, **options: Any) -> None:
        self.url = check_redis_url(url)
        self._pool_wait = pool_wait
        self._options = options
        self._client: aioredis.Redis | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def for_quick_calls(cls, url: str, *, timeout: float, max_connections: int) -> RedisConnection:
        """For one-command calls on a request's path (a dedup claim, a rate-limit slot):
        each bounded by `timeout`, a broken pooled connection replaced by one immediate
        retry (not redis-py's ten with backoff), at most `max_connections`, and a call
        finding them all busy waiting up to `timeout` for one."""
        return cls(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 1),
            max_connections=max_connections,
            pool_wait=timeout,
        )

    def __repr__(self) -> str:
        return f"RedisConnection({redact_url(self.url)!r})"

    def client(self) -> aioredis.Redis:
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            # A client belongs to one loop; a new loop (a second asyncio.run) gets its own.
            if self._pool_wait is None:
                self._client = aioredis.from_url(self.url, **self._options)
            else:
                pool = BlockingConnectionPool.from_url(
                    self.url, timeout=self._pool_wait, **self._options
                )
                self._client = aioredis.Redis.from_pool(pool)
            self._loop = loop
        return self._client

    def describe(self, exc: BaseException) -> str:
        """`exc` for a log line or an error message, never with the URL's password."""
        text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        for password in _passwords(self.url):
            text = text.replace(password, "***")
        text = redact_text(text)
        return f"Redis at {redact_url(self.url)} failed ({text})"

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None and self._loop is asyncio.get_running_loop():
            await client.aclose()


def _passwords(url: str) -> list[str]:
    try:
        parts = urlsplit(url)
        found = [parts.password or ""]
    except ValueError:
        return []
    found += [value for name, value in parse_qsl(parts.query) if name == "password"]
    # What a lenient parser reads as a password where urlsplit sees none (`redis:////:pw@h`).
    found += re.findall(r"//[^/?#@\s]*?:([^/?#@\s]*)@", url)
    # redis-py decodes %-escapes in the userinfo: hide both spellings.
    return sorted({v for p in found if p for v in (p, unquote(p))}, key=len, reverse=True)
