"""One thread that owns one SQLite connection and runs the operations the event loop
hands it in batches, each batch in one transaction: group commit.

Why a thread of our own rather than `asyncio.to_thread` per call: a commit with
`synchronous=FULL` costs one fsync, and a receiver under load has dozens of deliveries
waiting to be stored at once. Everything queued while the previous commit was on disk
goes into the next transaction, so the disk's fsync rate never caps how many
deliveries per second are acknowledged, and the event loop never waits on SQLite.

If an operation raises, the batch is rolled back and its operations run again one
transaction each, so the error reaches only its own caller. If the transaction cannot
begin (another process holds the file past the busy timeout) or commit, every caller
of the batch gets the error at once, as a `StoreError`: nothing of theirs was stored,
so nothing was acknowledged, and no one waits a busy timeout per operation.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from ..errors import StoreError

__all__ = ["Operation", "SQLiteWriter"]

log = logging.getLogger("ewh_webhooks.inbox")

T = TypeVar("T")
Operation = Callable[[sqlite3.Connection], T]

# A batch stays short enough that other processes sharing the file are not held off long.
MAX_BATCH = 512


class _Job(Generic[T]):
    __slots__ = ("future", "loop", "operation")

    def __init__(
        self,
        operation: Operation[T],
        loop: asyncio.AbstractEventLoop,
        future: asyncio.Future[T],
    ) -> None:
        self.operation = operation
        self.loop = loop
        self.future = future


class _Stop:
    __slots__ = ("future", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop, future: asyncio.Future[None]) -> None:
        self.loop = loop
        self.future = future


class SQLiteWriter:
    """Runs operations on a connection made by `connect`, in a thread of its own.

    The connection opens on the first batch (an error then is the callers' error,
    and the next batch tries again) and closes on `stop()`.
    """

    def __init__(self, connect: Callable[[], sqlite3.Connection], *, name: str) -> None:
        self._connect = connect
        self._queue: queue.SimpleQueue[_Job[Any] | _Stop] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._thread.start()

    def submit(self, operation: Operation[T]) -> asyncio.Future[T]:
        """Queue `operation`; the future resolves in the caller's loop once committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put(_Job(operation, loop, future))
        return future

    async def stop(self) -> None:
        """Finish what is queued, close the connection, end the thread."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._queue.put(_Stop(loop, done))
        await done

    def _main(self) -> None:
        connection: sqlite3.Connection | None = None
        while True:
            first = self._queue.get()
            batch: list[_Job[Any]] = []
            stop = first if isinstance(first, _Stop) else None
            if stop is None:
                batch.append(first)  # type: ignore[arg-type]
                while len(batch) < MAX_BATCH:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if isinstance(item, _Stop):
                        stop = item
                        break
                    batch.append(item)
            if batch:
                if connection is None:
                    try:
                        connection = self._connect()
                    except Exception as exc:
                        _deliver([(job, None, exc) for job in batch])
                        batch = []
                if batch and connection is not None:
                    _deliver(_run_batch(connection, batch))
            if stop is not None:
                if connection is not None:
                    try:
                        connection.close()
                    except sqlite3.Error:  # pragma: no cover - closing cannot fail in practice
                        log.exception("closing the inbox database failed")
                _call_soon(stop.loop, _resolve, stop.future, None, None)
                return


def _run_batch(
    connection: sqlite3.Connection, batch: list[_Job[Any]]
) -> list[tuple[_Job[Any], Any, BaseException | None]]:
    """Run the batch in one transaction. If one operation raises, the transaction is
    rolled back and each operation runs again in a transaction of its own, so that one
    failure is that caller's alone (rare: the statements fail only on bad input)."""
    try:
        connection.execute("BEGIN IMMEDIATE")
    except Exception as exc:  # busy past the timeout: nothing ran, for anyone
        return [(job, None, exc) for job in batch]
    try:
        values = [job.operation(connection) for job in batch]
    except Exception as exc:  # one operation's trouble: find whose
        _rollback(connection)
        if len(batch) == 1:
            return [(batch[0], None, exc)]
        return [result for job in batch for result in _run_batch(connection, [job])]
    try:
        connection.execute("COMMIT")
    except Exception as exc:  # the disk refused it: nothing was stored, for anyone
        _rollback(connection)
        return [(job, None, exc) for job in batch]
    return [(job, value, None) for job, value in zip(batch, values, strict=True)]


def _rollback(connection: sqlite3.Connection) -> None:
    if connection.in_transaction:
        try:
            connection.execute("ROLLBACK")
        except sqlite3.Error:
            log.exception("rolling back a failed inbox batch failed")


def _deliver(results: list[tuple[_Job[Any], Any, BaseException | None]]) -> None:
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Job[Any], Any, BaseException | None]]]
    by_loop = {}
    for result in results:
        by_loop.setdefault(result[0].loop, []).append(result)
    for loop, group in by_loop.items():
        _call_soon(loop, _resolve_all, group)  # one wake-up of the loop per batch


def _call_soon(loop: asyncio.AbstractEventLoop, callback: Callable[..., None], *args: Any) -> None:
    with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting any more
        loop.call_soon_threadsafe(callback, *args)


def _resolve_all(results: list[tuple[_Job[Any], Any, BaseException | None]]) -> None:
    for job, value, error in results:
        _resolve(job.future, value, error)


def _resolve(future: asyncio.Future[Any], value: Any, error: BaseException | None) -> None:
    if future.done():  # the caller was cancelled; the operation ran anyway
        return
    if isinstance(error, sqlite3.Error):
        store_error = StoreError(f"the inbox database failed: {type(error).__name__}: {error}")
        store_error.__cause__ = error
        error = store_error
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(value)
