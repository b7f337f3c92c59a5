"""`InboxWorker`: claims stored deliveries, runs the router, and settles each one
(after arq's worker and huey's consumer: the storage knows nothing of retries or
shutdown; the worker owns both).

    worker = InboxWorker(SQLiteInbox("events.sqlite3"), router, concurrency=8)
    asyncio.run(worker.run())          # until cancelled (Ctrl-C), then stops gracefully

Each delivery is claimed for the inbox's lease, parsed into a `WebhookEvent` (it was
verified before it was stored, so the worker needs no secret) whose `attempt` says
how often it has been tried, and handed to the router. Success acknowledges it. A
failure is retried after a capped exponential backoff (`Backoff`); after
`max_attempts` it becomes a dead letter with its last error. A handler running past
a third of the lease has its lease renewed, so no other worker takes it meanwhile.

Graceful stop (cancelling `run()` or calling `stop()`): no new claims; handlers in
flight get `shutdown_timeout` seconds to finish; those still running then are
cancelled and returned to the inbox as a failed attempt (due at once); a claim that
returned while stopping is released unstarted (no attempt counted).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import secrets
import socket
from collections.abc import Callable

from ..errors import EWHError, InvalidArgumentError, InvalidEventError
from ..events import WebhookEvent
from ..routing import ErrorHook, Router, report_failures
from ..validation import check_bool, check_positive_int, check_seconds, conforms
from .backoff import Backoff, decide_claim, decide_failure
from .claims import describe_failures, event_from_claim
from .protocol import ClaimedDelivery, Inbox

__all__ = ["InboxWorker"]

log = logging.getLogger("ewh_webhooks.inbox")


# Pause after the store itself failed (Redis down, disk full), doubling up to this.
MAX_STORE_PAUSE = 30.0


class InboxWorker:
    """Runs the router over deliveries stored in `inbox`, `concurrency` at a time."""

    def __init__(
        self,
        inbox: Inbox,
        router: Router,
        *,
        concurrency: int = 8,
        max_attempts: int = 8,
        backoff: Backoff | None = None,
        handler_timeout: float | None = None,
        shutdown_timeout: float = 10.0,
        poll_interval: float = 1.0,
        consumer: str | None = None,
        on_error: ErrorHook | None = None,
        close_inbox: bool = True,
        random: Callable[[], float] = random.random,
    ) -> None:
        if not conforms(inbox, Inbox):
            raise InvalidArgumentError("inbox must implement the Inbox protocol (SQLiteInbox...)")
        if not isinstance(router, Router):
            raise InvalidArgumentError("router must be a Router")
        if backoff is not None and not isinstance(backoff, Backoff):
            raise InvalidArgumentError("backoff must be a Backoff")
        self.inbox = inbox
        self.router = router
        # Whether `run()` closes the inbox when it ends: yes for a worker on its own (the
        # `asyncio.run(worker.run())` one-liner), no where others share the inbox.
        self.close_inbox = check_bool(close_inbox, "close_inbox")
        self.concurrency = check_positive_int(concurrency, "concurrency")
        self.max_attempts = check_positive_int(max_attempts, "max_attempts")
        self.backoff = backoff if backoff is not None else Backoff()
        self.handler_timeout = (
            None if handler_timeout is None else check_seconds(handler_timeout, "handler_timeout")
        )
        self.shutdown_timeout = check_seconds(shutdown_timeout, "shutdown_timeout", allow_zero=True)
        self.poll_interval = check_seconds(poll_interval, "poll_interval")
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
        self._on_error = on_error
        self._random = random
        self._in_flight: dict[asyncio.Task[None], ClaimedDelivery] = {}
        self._stopping: asyncio.Event | None = None
        self._stop_requested = False
        self._running = False
        # Counts since construction, for logs, tests and benchmarks.
        self.handled = 0
        self.retried = 0
        self.dead = 0

    def __repr__(self) -> str:
        return (
            f"InboxWorker({self.inbox!r}, consumer={self.consumer!r}, "
            f"in_flight={len(self._in_flight)})"
        )

    def stop(self) -> None:
        """Ask `run()` to stop gracefully (as cancelling it does) and return; before
        `run()` started, it makes `run()` return at once."""
        self._stop_requested = True
        if self._stopping is not None:
            self._stopping.set()

    async def run(self) -> None:
        """Handle deliveries until cancelled or `stop()`; then stop gracefully, and close
        the inbox's connections unless `close_inbox=False` (they reopen if the inbox is
        used again)."""
        if self._running:
            raise EWHError("this InboxWorker is already running")
        self._running = True
        self._stopping = asyncio.Event()
        if self._stop_requested:
            self._stopping.set()
        renewer = asyncio.create_task(self._renew_leases())
        try:
            await self._claim_loop(self._stopping)
        finally:
            try:
                await self._finish_in_flight()
            finally:
                renewer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await renewer
                self._running = False
                self._stop_requested = False
                if self.close_inbox:
                    await self.inbox.aclose()

    async def _claim_loop(self, stopping: asyncio.Event) -> None:
        pause = 0.0
        while not stopping.is_set():
            free = self.concurrency - len(self._in_flight)
            if free <= 0:
                stop_wait = asyncio.ensure_future(stopping.wait())
                try:
                    await asyncio.wait(
                        [*self._in_flight, stop_wait], return_when=asyncio.FIRST_COMPLETED
                    )
                finally:
                    stop_wait.cancel()
                continue
            try:
                claimed = await self._claim(free)
            except Exception as exc:  # the store failed: wait, then try again
                pause = min(MAX_STORE_PAUSE, max(pause * 2, self.poll_interval))
                log.warning("claiming from %r failed (%s); again in %.1fs", self.inbox, exc, pause)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), pause)
                continue
            pause = 0.0
            if stopping.is_set():  # stopped while claiming: these were never started
                for one in claimed:
                    with contextlib.suppress(Exception):
                        await self.inbox.release(one)
                break
            for one in claimed:
                task = asyncio.create_task(self._handle(one))
                self._in_flight[task] = one
                task.add_done_callback(self._in_flight.pop)

    async def _claim(self, limit: int) -> list[ClaimedDelivery]:
        # Shielded: a claim that completes while we are being cancelled still hands us
        # leases, which are then given back rather than left to expire.
        claiming = asyncio.ensure_future(
            self.inbox.claim(self.consumer, limit=limit, wait=self.poll_interval)
        )
        try:
            return await asyncio.shield(claiming)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                for claimed in await claiming:
                    await self.inbox.release(claimed)
            raise

    async def _handle(self, claimed: ClaimedDelivery) -> None:
        used_up = decide_claim(attempt=claimed.attempt, max_attempts=self.max_attempts)
        if used_up is not None:
            await self._bury(claimed, used_up.reason)
            return
        try:
            event = event_from_claim(claimed)
        except InvalidEventError as exc:
            log.error("stored delivery %s cannot be parsed: %s", claimed.delivery.delivery_id, exc)
            await self._settle(claimed, None, [exc], permanent=True)
            return
        try:
            async with asyncio.timeout(self.handler_timeout):
                failures = await self.router.dispatch(event)
        except TimeoutError:
            failures = [TimeoutError(f"callbacks ran past handler_timeout={self.handler_timeout}s")]
        except asyncio.CancelledError:
            # Stopping past shutdown_timeout: back to the inbox, due at once; the
            # attempt counts, since the handler ran (part of it).
            with contextlib.suppress(Exception):
                await asyncio.shield(
                    self.inbox.retry(claimed, delay=0.0, error="the worker stopped mid-handler")
                )
            raise
        await self._settle(claimed, event, failures)

    async def _settle(
        self,
        claimed: ClaimedDelivery,
        event: WebhookEvent | None,
        failures: list[BaseException],
        *,
        permanent: bool = False,
    ) -> None:
        delivery_id = claimed.delivery.delivery_id
        try:
            if not failures:
                await self.inbox.ack(claimed)
                self.handled += 1
                return
            error = describe_failures(failures)
            decision = decide_failure(
                self.backoff,
                attempt=claimed.attempt,
                max_attempts=self.max_attempts,
                rand=self._random(),
                permanent=permanent,
            )
            if decision.dead:
                await self.inbox.fail(claimed, error=error)
                self.dead += 1
                log.error(
                    "delivery %s is a dead letter: %s (%s)", delivery_id, decision.reason, error
                )
            else:
                await self.inbox.retry(claimed, delay=decision.delay, error=error)
                self.retried += 1
                log.warning("delivery %s: %s (%s)", delivery_id, decision.reason, error)
        except Exception:
            # The store failed: the lease runs out and the delivery is handled again.
            log.exception(
                "settling delivery %s failed; it returns when its lease ends", delivery_id
            )
            return
        if event is not None:
            await self._report(event, failures)

    async def _bury(self, claimed: ClaimedDelivery, reason: str) -> None:
        try:
            await self.inbox.fail(claimed, error=reason)
        except Exception:  # the store failed: the lease runs out, and we are asked again
            log.exception(
                "moving delivery %s to the dead letters failed", claimed.delivery.delivery_id
            )
            return
        self.dead += 1
        log.error("delivery %s is a dead letter: %s", claimed.delivery.delivery_id, reason)

    async def _report(self, event: WebhookEvent, failures: list[BaseException]) -> None:
        await report_failures(self._on_error, event, failures)

    async def _renew_leases(self) -> None:
        interval = self.inbox.lease / 3
        while True:
            await asyncio.sleep(interval)
            held = list(self._in_flight.values())
            results = await asyncio.gather(
                *(self.inbox.extend(claimed) for claimed in held), return_exceptions=True
            )
            for claimed, result in zip(held, results, strict=True):
                if isinstance(result, Exception):
                    log.warning(
                        "renewing the lease of %s failed: %s", claimed.delivery.delivery_id, result
                    )

    async def _finish_in_flight(self) -> None:
        tasks = list(self._in_flight)
        if not tasks:
            return
        log.info("waiting up to %.1fs for %d handlers", self.shutdown_timeout, len(tasks))
        _, pending = await asyncio.wait(tasks, timeout=self.shutdown_timeout)
        for task in pending:
            task.cancel()
        if pending:
            log.warning(
                "%d handlers ran past shutdown_timeout; returned to the inbox", len(pending)
            )
            await asyncio.gather(*pending, return_exceptions=True)
