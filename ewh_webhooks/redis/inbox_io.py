"""The one place where `RedisInbox` talks to Redis: scripts run by SHA, at most
`max_connections` commands in flight per process, and every Redis failure turned
into `RedisInboxError` with the URL's password redacted."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Any
from urllib.parse import urlsplit

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import NoScriptError, RedisError, ResponseError

from .connection import RedisConnection, redact_url
from .inbox_layout import RedisInboxError
from .inbox_scripts import Script

__all__ = ["InboxRedis"]


class InboxRedis:
    def __init__(self, url: str, *, name: str, timeout: float, max_connections: int) -> None:
        self.name = name
        self._max_connections = max_connections
        # A broken pooled connection (Redis restarted) is replaced by one quick retry; a
        # Redis that stays down fails within milliseconds, not after redis-py's 10 tries.
        # Every script is safe to run twice: the dedup key and the lease token see to it.
        self._conn = RedisConnection(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            max_connections=max_connections,
            retry=Retry(ExponentialBackoff(cap=0.05, base=0.01), retries=2),
        )
        self._gate: asyncio.Semaphore | None = None
        self._gate_loop: asyncio.AbstractEventLoop | None = None

    @property
    def url(self) -> str:
        return self._conn.url

    @contextlib.asynccontextmanager
    async def _client(self, what: str) -> AsyncIterator[aioredis.Redis]:
        # redis-py's pool raises once its connections are all in use; a burst of
        # deliveries waits here for one instead (what BlockingConnectionPool does).
        loop = asyncio.get_running_loop()
        if self._gate is None or self._gate_loop is not loop:
            self._gate, self._gate_loop = asyncio.Semaphore(self._max_connections), loop
        async with self._gate:
            try:
                yield self._conn.client()
            except RedisError as exc:
                raise self.error(what, exc) from exc

    def error(self, what: str, exc: BaseException) -> RedisInboxError:
        detail = str(exc)
        # redis-py does not put the password in its messages; make sure of it.
        password = _password(self.url)
        if password:
            detail = detail.replace(password, "***")
        return RedisInboxError(
            f"Redis inbox {self.name!r} at {redact_url(self.url)}: {what}: "
            f"{type(exc).__name__}: {detail}"
        )

    async def run(self, script: Script, keys: Sequence[str | bytes], args: Sequence[Any]) -> Any:
        async with self._client(f"{script.name} failed") as client:
            try:
                return await client.evalsha(script.sha, len(keys), *keys, *args)
            except NoScriptError:  # a restarted or another Redis: EVAL caches it again
                return await client.eval(script.source, len(keys), *keys, *args)

    async def read_new(
        self, stream: str, group: str, consumer: str, count: int, block_ms: int
    ) -> list[tuple[bytes, Any]]:
        """Wait up to `block_ms` for new entries and lease them (XREADGROUP: a script
        cannot block). Returns (entry id, fields) pairs."""
        async with self._client("claim failed") as client:
            try:
                reply: Any = await client.xreadgroup(
                    group, consumer, {stream: ">"}, count=count, block=block_ms
                )
            except ResponseError as exc:
                if not str(exc).startswith("NOGROUP"):
                    raise
                return []  # the keys were deleted since the claim script made the group
        # RESP2 gives [[stream, entries]], RESP3 {stream: entries}.
        streams = reply.items() if isinstance(reply, dict) else (reply or [])
        return [(entry_id, fields) for _, entries in streams for entry_id, fields in entries]

    async def xrange(self, key: str, start: str, count: int) -> list[tuple[bytes, Any]]:
        async with self._client(f"reading {key} failed") as client:
            entries: Any = await client.xrange(key, start, "+", count=count)
        return list(entries)

    async def aclose(self) -> None:
        try:
            await self._conn.aclose()
        except RedisError as exc:
            raise self.error("closing failed", exc) from exc


def _password(url: str) -> str | None:
    try:
        return urlsplit(url).password
    except ValueError:
        return None
