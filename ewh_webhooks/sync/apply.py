"""The sync executor: apply a `SyncPlan` with bounded concurrency, one outcome per item.

Failures are collected, not raised: one bad webhook never stops the others. A
create whose outcome is unknown (the connection dropped after sending) is not
retried blindly; the next sync lists again and plans from what really exists.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

import attrs

from ..errors import EWHError
from ..models import Webhook, WebhookCreate
from ..validation import webhook_path
from .plan import SyncAction, SyncKind, SyncPlan

if TYPE_CHECKING:
    from ..resources.webhooks import Webhooks

__all__ = ["SyncError", "SyncItemResult", "SyncProgress", "SyncResult", "apply_plan"]

log = logging.getLogger("ewh_webhooks.sync")


@attrs.frozen(slots=True, kw_only=True)
class SyncItemResult:
    """What happened to one action: `webhook` is the server's answer, `error` the failure."""

    action: SyncAction
    webhook: Webhook | None = None
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


SyncProgress = Callable[[SyncItemResult, int, int], None]
"""`on_progress(item, done, total)`, called after each write finishes."""


class SyncError(EWHError):
    """Raised by `SyncResult.raise_for_errors()`; `.results` holds every failed result."""

    def __init__(self, message: str, results: Sequence[SyncResult]) -> None:
        super().__init__(message)
        self.results = list(results)


@attrs.frozen(slots=True, kw_only=True)
class SyncResult:
    """The outcome of one customer's sync. With `dry_run`, `items` is empty."""

    customer: str
    plan: SyncPlan
    items: tuple[SyncItemResult, ...] = ()
    dry_run: bool = False
    # A failure before any write (listing the current webhooks): nothing was changed.
    error: Exception | None = None

    def _count(self, kind: SyncKind) -> int:
        return sum(1 for item in self.items if item.ok and item.action.kind is kind)

    @property
    def created(self) -> int:
        return self._count(SyncKind.CREATE)

    @property
    def updated(self) -> int:
        return self._count(SyncKind.UPDATE)

    @property
    def deleted(self) -> int:
        return self._count(SyncKind.DELETE)

    @property
    def unchanged(self) -> int:
        return len(self.plan.unchanged)

    @property
    def failed(self) -> tuple[SyncItemResult, ...]:
        return tuple(item for item in self.items if not item.ok)

    @property
    def ok(self) -> bool:
        return self.error is None and not self.failed

    def summary(self) -> str:
        if self.error is not None:
            return f"{self.customer}: failed before any change: {self.error}"
        if self.dry_run:
            return f"{self.customer}: dry run: {self.plan.summary()}"
        return (
            f"{self.customer}: {self.created} created, {self.updated} updated, "
            f"{self.deleted} deleted, {self.unchanged} unchanged, {len(self.failed)} failed"
        )

    def raise_for_errors(self) -> None:
        if not self.ok:
            raise SyncError(failure_text([self]), [self])


def failure_text(results: Sequence[SyncResult]) -> str:
    lines = []
    for result in results:
        if result.error is not None:
            lines.append(result.summary())
        for item in result.failed:
            lines.append(f"{result.customer}: {item.action.describe()}: {item.error}")
    return f"sync failed for {len(lines)} item(s):\n  " + "\n  ".join(lines)


async def _apply_one(webhooks: Webhooks, action: SyncAction) -> Webhook | None:
    # The specs passed check_specs before planning: no argument is checked twice.
    if action.kind is SyncKind.CREATE:
        assert action.spec is not None
        spec = action.spec
        body = WebhookCreate(
            url=spec.url, group=spec.group, action=spec.action, hash_secret=spec.hash_secret
        )
        return await webhooks._post(body)
    assert action.webhook is not None
    if action.kind is SyncKind.UPDATE:
        assert action.changes is not None
        return await webhooks._patch(webhook_path(action.webhook.id), action.changes)
    await webhooks.delete(action.webhook.id)
    return None


async def apply_plan(
    webhooks: Webhooks,
    plan: SyncPlan,
    *,
    concurrency: int,
    on_progress: SyncProgress | None = None,
    limiter: asyncio.Semaphore | None = None,
) -> tuple[SyncItemResult, ...]:
    """Run the plan's writes, `concurrency` at a time (and under `limiter` if shared).

    Replacements run before deletes. Cancelling the caller cancels the workers and
    leaves no task behind.
    """
    total = plan.request_count
    results: list[SyncItemResult] = []

    async def run(action: SyncAction) -> None:
        try:
            if limiter is None:
                hook = await _apply_one(webhooks, action)
            else:
                async with limiter:
                    hook = await _apply_one(webhooks, action)
            item = SyncItemResult(action=action, webhook=hook)
        except Exception as exc:  # every failure is reported on its item, none is lost
            log.debug("sync %s failed: %s", action.describe(), exc)
            item = SyncItemResult(action=action, error=exc)
        results.append(item)
        if on_progress is not None:
            on_progress(item, len(results), total)

    async def drain(queue: Iterator[SyncAction]) -> None:
        # Workers share one iterator: each takes the next action when it is free.
        for action in queue:
            await run(action)

    for phase in (plan.updates + plan.creates, plan.deletes):
        queue = iter(phase)
        async with asyncio.TaskGroup() as group:
            for _ in range(min(concurrency, len(phase))):
                group.create_task(drain(queue))
    return tuple(results)
