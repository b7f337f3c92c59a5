"""The one place where `RedisInbox` talks to Redis: the scripts a process runs at the
same time sent together in one pipeline (by SHA), blocking reads on the other
connections (at most `max_connections` in all), and every Redis failure turned into
`RedisStoreError` with the URL's password redacted."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import NoScriptError, ResponseError

from .connection import REDIS_ERRORS, RedisConnection, RedisStoreError
from .inbox_scripts import InboxScript

__all__ = ["InboxRedis"]

# Pipelines of batched scripts in flight at once: one. While it waits for Redis (which
# with `appendfsync always` answers after its fsync, and reads nothing meanwhile), the
# calls made gather into the next, which then costs one more fsync however large: a
# group commit, as SQLiteInbox does for its transactions. A second pipeline in flight
# would only wait behind the first and split the next batch in two.
_FLUSHERS = 1

_Call = tuple[InboxScript, Sequence[str | bytes], Sequence[Any], "asyncio.Future[Any]"]


class _LoopState:
    """What belongs to one event loop (a second `asyncio.run` gets its own)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, max_connections: int) -> None:
        self.loop = loop
        # redis-py's pool raises once its connections are all in use; blocking reads
        # wait here for one instead (what BlockingConnectionPool does). The pipeline has
        # a connection of its own: claims waiting for deliveries never hold up a put.
        self.gate = asyncio.Semaphore(max_connections - _FLUSHERS)
        self.queued: list[_Call] = []
        self.flushing = 0
        self.tasks: set[asyncio.Task[None]] = set()  # strong references while they run


class InboxRedis:
    """Scripts, blocking reads and ranges for one `RedisInbox`, on at most
    `max_connections` (>= 2) connections per process."""

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
        self._state: _LoopState | None = None

    @property
    def url(self) -> str:
        return self._conn.url

    def _loop_state(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        if self._state is None or self._state.loop is not loop:
            self._state = _LoopState(loop, self._max_connections)
        return self._state

    @contextlib.asynccontextmanager
    async def _client(self, what: str, *, gated: bool = True) -> AsyncIterator[aioredis.Redis]:
        async with self._loop_state().gate if gated else contextlib.nullcontext():
            try:
                yield self._conn.client()
            except REDIS_ERRORS as exc:
                raise self.error(what, exc) from exc

    def error(self, what: str, exc: BaseException) -> RedisStoreError:
        return RedisStoreError(f"inbox {self.name!r}: {what}: {self._conn.describe(exc)}")

    async def _run_alone(
        self, script: InboxScript, keys: Sequence[str | bytes], args: Sequence[Any]
    ) -> Any:
        async with self._client(f"{script.name} failed") as client:
            try:
                return await client.evalsha(script.sha, len(keys), *keys, *args)
            except NoScriptError:  # a restarted or another Redis: EVAL caches it again
                return await client.eval(script.text, len(keys), *keys, *args)

    async def run(
        self, script: InboxScript, keys: Sequence[str | bytes], args: Sequence[Any]
    ) -> Any:
        """Run `script`, in one pipeline with the calls made meanwhile by this process:
        its receiver's puts, its workers' claims and acks. Every write of the process
        then reaches Redis in one go and shares one fsync; far less client CPU per call
        under load, and no wait when idle."""
        state = self._loop_state()
        future: asyncio.Future[Any] = state.loop.create_future()
        state.queued.append((script, keys, args, future))
        if state.flushing < _FLUSHERS:
            state.flushing += 1
            task = state.loop.create_task(self._flush(state))
            state.tasks.add(task)
            task.add_done_callback(state.tasks.discard)
        return await future

    async def _flush(self, state: _LoopState) -> None:
        try:
            while state.queued:
                calls, state.queued = state.queued, []
                try:
                    results = await self._pipeline(calls)
                except Exception as exc:
                    results = [exc] * len(calls)
                except BaseException:  # cancelled (the loop is closing): so are they
                    for *_, future in calls + state.queued:
                        future.cancel()
                    state.queued = []  # never sent later for callers who are gone
                    raise
                for (*_, future), result in zip(calls, results, strict=True):
                    if future.done():  # its caller was cancelled meanwhile
                        pass
                    elif isinstance(result, BaseException):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
        finally:
            # No await between the empty queue above and this: a call queued after it
            # sees a free flusher slot and starts one.
            state.flushing -= 1

    async def _pipeline(self, calls: list[_Call]) -> list[Any]:
        async with self._client(f"{calls[0][0].name} failed", gated=False) as client:
            pipe = client.pipeline(transaction=False)
            for script, keys, args, _ in calls:
                pipe.evalsha(script.sha, len(keys), *keys, *args)
            results: list[Any] = await pipe.execute(raise_on_error=False)
        for i, result in enumerate(results):
            if isinstance(result, NoScriptError):  # a restarted Redis: EVAL caches it
                results[i] = await self._run_alone(*calls[i][:3])
            elif isinstance(result, REDIS_ERRORS):
                results[i] = self.error(f"{calls[i][0].name} failed", result)
        return results

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
        except REDIS_ERRORS as exc:
            raise self.error("closing failed", exc) from exc
