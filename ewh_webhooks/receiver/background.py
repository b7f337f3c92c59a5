"""Handling without an inbox: callbacks run in tasks of this process, after the answer
(background mode), bounded by `max_pending`.

This mode keeps events only in memory: an event acknowledged with 200 whose callback
has not finished when the process dies (a deploy, an OOM kill, a crash) is lost, and
the sender will not resend it. Give the receiver an inbox for anything that matters.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque

from ..events import WebhookEvent
from ..routing import ErrorHook, Router, report_failures

__all__ = ["BackgroundHandling", "ErrorHook"]

log = logging.getLogger("ewh_webhooks.receiver")


class BackgroundHandling:
    """Pending callback tasks, the recent failures, and their reporting."""

    def __init__(
        self, router: Router, *, max_pending: int, max_failed: int, on_error: ErrorHook | None
    ) -> None:
        self.router = router
        self.max_pending = max_pending
        self.failed: deque[tuple[WebhookEvent, BaseException]] = deque(maxlen=max_failed)
        self._on_error = on_error
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def pending(self) -> int:
        return len(self._tasks)

    @property
    def full(self) -> bool:
        return len(self._tasks) >= self.max_pending

    def start(self, event: WebhookEvent) -> None:
        task = asyncio.create_task(self._run(event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, event: WebhookEvent) -> None:
        failures = await self.router.dispatch(event)
        if failures:
            await self.report(event, failures)

    async def report(self, event: WebhookEvent, failures: list[BaseException]) -> None:
        self.failed.extend((event, exc) for exc in failures)
        await report_failures(self._on_error, event, failures)

    async def replay(self) -> int:
        pending = list(self.failed)
        self.failed.clear()
        succeeded = 0
        replayed: set[int] = set()
        for event, _ in pending:
            if id(event) in replayed:  # one entry per failed callback: dispatch once
                continue
            replayed.add(id(event))
            failures = await self.router.dispatch(event)
            if failures:
                await self.report(event, failures)
            else:
                succeeded += 1
        return succeeded

    async def drain(self, timeout: float | None = None) -> bool:
        """Wait for the pending tasks (and any they lead to); False if `timeout` passed first."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while self._tasks:
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                return False
            await asyncio.wait(list(self._tasks), timeout=remaining)
        return True

    async def cancel_pending(self) -> int:
        """Cancel what is still running (shutdown past its timeout); return how many."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return len(tasks)
