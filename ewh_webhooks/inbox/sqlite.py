"""`SQLiteInbox`: the durable inbox in one SQLite file, the embedded default for
receivers and workers on one machine.

    inbox = SQLiteInbox("events.sqlite3", lease=30.0)
    receiver = WebhookReceiver(secret=s, router=router, inbox=inbox)

Durability: the database runs in WAL mode with `synchronous=FULL` by default, so a
delivery is on disk (fsync'd) before `put` returns and the receiver answers 2xx: it
survives a crash of the process and a power loss. `synchronous="NORMAL"` is faster
on slow disks and still survives a crash of the process (SIGKILL, OOM), but a power
loss or kernel panic may lose the last commits, which the sender will not resend.

Throughput: every operation goes through one thread that owns the connection and
commits everything queued in one transaction (group commit), so the event loop
never blocks and the fsync rate does not cap deliveries per second.

Several processes may share one file (e.g. a receiver and `ewh-webhooks worker`
processes): each claim runs inside `BEGIN IMMEDIATE`, and a process waits up to
`busy_timeout` seconds for another's write. Keep the file on a local disk (SQLite's
locking is unreliable on network file systems).

Dedup: a delivery id is refused as long as its row exists; `purge()` of handled rows
ends it (purge only what the sender can no longer redeliver, e.g. after 7 days).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from ..errors import InvalidArgumentError
from ..validation import check_positive_int, check_seconds
from . import sqlite_schema as sql
from .protocol import (
    ClaimedDelivery,
    DeadLetter,
    Delivery,
    InboxStats,
    check_delivery,
    check_delivery_ids,
)
from .sqlite_writer import SQLiteWriter

__all__ = ["SQLiteInbox"]

T = TypeVar("T")

_SYNCHRONOUS = ("FULL", "EXTRA", "NORMAL")


class SQLiteInbox:
    """The `Inbox` protocol over one SQLite file (created if missing).

    Nothing opens until first use, so it can be built outside a running event loop;
    `aclose()` closes the connection and a later call opens it again.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        lease: float = 30.0,
        synchronous: str = "FULL",
        busy_timeout: float = 10.0,
        poll_interval: float = 0.25,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not isinstance(path, str | os.PathLike) or not str(path).strip():
            raise InvalidArgumentError("SQLiteInbox needs the path of a database file")
        if str(path) == ":memory:" or str(path).startswith("file::memory:"):
            raise InvalidArgumentError("an in-memory database is not durable: give a file path")
        if not isinstance(synchronous, str) or synchronous.upper() not in _SYNCHRONOUS:
            raise InvalidArgumentError(
                f"synchronous must be one of {', '.join(_SYNCHRONOUS)}, got {synchronous!r}"
            )
        self.path = Path(path)
        self._lease = check_seconds(lease, "lease")
        self.synchronous = synchronous.upper()
        self.busy_timeout = check_seconds(busy_timeout, "busy_timeout", allow_zero=True)
        self.poll_interval = check_seconds(poll_interval, "poll_interval")
        self._clock = clock
        self._writer: SQLiteWriter | None = None
        # Claims waiting in this process, woken by a put here (other processes: polling).
        self._waiters: set[asyncio.Future[None]] = set()

    def __repr__(self) -> str:
        return f"SQLiteInbox({str(self.path)!r}, lease={self._lease})"

    @property
    def lease(self) -> float:
        """Seconds a claim lasts before another worker may take the delivery."""
        return self._lease

    def connect(self) -> sqlite3.Connection:
        """A new connection to the inbox's file, set up as the inbox's own (WAL, the
        `synchronous` setting, the busy timeout, the schema): for your own queries.
        Close it when done; write nothing through it."""
        connection = sqlite3.connect(
            self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False
        )
        try:
            self._enter_wal(connection)
            connection.execute(f"PRAGMA synchronous = {self.synchronous}")
            sql.create_schema(connection)
        except BaseException:
            connection.close()
            raise
        return connection

    def _enter_wal(self, connection: sqlite3.Connection) -> None:
        # Turning a new file to WAL needs it to itself, and SQLite answers "locked" at
        # once rather than through the busy timeout when another connection opens it at
        # the same moment: try again for as long as the busy timeout allows.
        deadline = time.monotonic() + self.busy_timeout
        while True:
            try:
                connection.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    raise
                time.sleep(0.005)

    def _timed(
        self, function: Callable[..., T], **arguments: Any
    ) -> Callable[[sqlite3.Connection], T]:
        # The clock is read inside the transaction, after any wait for another
        # process's lock (up to `busy_timeout`): a lease stamped before that wait would
        # be shorter than `lease`, and another worker could take the delivery early.
        clock = self._clock

        def operation(connection: sqlite3.Connection) -> T:
            return function(connection, now=clock(), **arguments)

        return operation

    async def _run(self, operation: Callable[[sqlite3.Connection], T]) -> T:
        if self._writer is None:
            self._writer = SQLiteWriter(self.connect, name=f"ewh-inbox {self.path.name}")
        return await self._writer.submit(operation)

    async def put(self, delivery: Delivery) -> bool:
        """Store `delivery` and its dedup key in one transaction, committed before it
        returns; False if its id was stored already (a redelivery)."""
        check_delivery(delivery)
        stored = await self._run(self._timed(sql.put, delivery=delivery))
        if stored:
            self._wake_waiters()
        return stored

    def _wake_waiters(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def claim(
        self, consumer: str, *, limit: int = 1, wait: float = 0.0
    ) -> list[ClaimedDelivery]:
        """Lease up to `limit` due deliveries, oldest first, waiting up to `wait` seconds
        (woken by a put in this process, polling for other processes' puts)."""
        check_positive_int(limit, "limit")
        deadline = asyncio.get_running_loop().time() + check_seconds(wait, "wait", allow_zero=True)
        while True:
            # Register before looking, so a put between the look and the wait is not missed.
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.add(waiter)
            try:
                claimed = await self._claim_once(consumer, limit)
                remaining = deadline - asyncio.get_running_loop().time()
                if claimed or remaining <= 0:
                    return claimed
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(waiter, min(remaining, self.poll_interval))
            finally:
                self._waiters.discard(waiter)

    async def _claim_once(self, consumer: str, limit: int) -> list[ClaimedDelivery]:
        operation = self._timed(sql.claim, consumer=consumer, limit=limit, lease=self._lease)
        claiming = asyncio.ensure_future(self._run(operation))
        try:
            # Shielded: the claim commits in the writer thread whatever happens here,
            # so a cancelled caller gives its leases back rather than leave them to
            # run out (which would cost each delivery an attempt).
            return await asyncio.shield(claiming)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                for claimed in await claiming:
                    await self.release(claimed)
            raise

    async def ack(self, claimed: ClaimedDelivery) -> None:
        """Mark the delivery handled: never handed out again (kept until purged)."""
        await self._run(self._timed(sql.ack, claimed=claimed))

    async def retry(self, claimed: ClaimedDelivery, *, delay: float, error: str) -> None:
        """Hand the delivery out again after `delay` seconds, keeping `error`."""
        delay = check_seconds(delay, "delay", allow_zero=True)
        await self._run(self._timed(sql.retry, claimed=claimed, delay=delay, error=error))

    async def fail(self, claimed: ClaimedDelivery, *, error: str) -> None:
        """Move the delivery to the dead letters with its last `error`."""
        await self._run(self._timed(sql.fail, claimed=claimed, error=error))

    async def release(self, claimed: ClaimedDelivery) -> None:
        """Give the delivery back unstarted: due at once, no attempt counted."""
        if await self._run(self._timed(sql.release, claimed=claimed)):
            self._wake_waiters()

    async def extend(self, claimed: ClaimedDelivery) -> None:
        """Renew the lease of a delivery still being handled."""
        await self._run(self._timed(sql.extend, claimed=claimed, lease=self._lease))

    async def stats(self) -> InboxStats:
        """Deliveries by state: ready, leased, handled, dead."""
        return await self._run(self._timed(sql.stats))

    async def dead_letters(self, *, limit: int = 100) -> list[DeadLetter]:
        """Up to `limit` dead letters, oldest first."""
        check_positive_int(limit, "limit")
        return await self._run(partial(sql.dead_letters, limit=limit))

    async def replay_dead(self, delivery_ids: Iterable[str] | None = None) -> int:
        """Hand dead letters (all, or these ids) back to the workers, attempts reset;
        return how many."""
        ids = None if delivery_ids is None else sorted(check_delivery_ids(delivery_ids))
        replayed = await self._run(self._timed(sql.replay_dead, delivery_ids=ids))
        if replayed:
            self._wake_waiters()
        return replayed

    async def purge(self, *, older_than: float) -> int:
        """Delete deliveries handled more than `older_than` seconds ago (their ids are
        then no longer deduplicated); return how many."""
        older_than = check_seconds(older_than, "older_than", allow_zero=True)
        before = self._clock() - older_than
        # In chunks, each its own short write: deliveries keep being stored (and
        # acknowledged) between them, however many rows a purge deletes.
        purged = 0
        while True:
            deleted = await self._run(partial(sql.purge, before=before, limit=sql.PURGE_CHUNK))
            purged += deleted
            if deleted < sql.PURGE_CHUNK:
                return purged

    async def aclose(self) -> None:
        """Stop the writer thread and close the connection; the next call reopens it."""
        writer, self._writer = self._writer, None
        if writer is not None:
            await writer.stop()
