"""The sync executor: apply a `SyncPlan` over a `WebhookStore` with bounded
concurrency, one outcome per item.

Failures are collected, not raised: one bad webhook never stops the others. A
create whose outcome is unknown (the connection dropped after sending) is not
retried blindly; the next sync lists again and plans from what really exists.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Iterator

from ..errors import NotFoundError
from ..models import Webhook
from .plan import SyncAction, SyncKind, SyncPlan
from .results import SyncItemResult, SyncProgress
from .store import WebhookStore

__all__ = ["apply_plan"]

log = logging.getLogger("ewh_webhooks.sync")


async def _apply_one(store: WebhookStore, action: SyncAction) -> Webhook | None:
    # The specs passed check_specs before planning: no argument is checked twice.
    if action.kind is SyncKind.CREATE:
        assert action.spec is not None
        return await store.create_checked(action.spec.as_create())
    assert action.webhook is not None
    if action.kind is SyncKind.UPDATE:
        assert action.changes is not None
        return await store.update_checked(action.webhook.id, action.changes)
    try:
        await store.delete(action.webhook.id)
    except NotFoundError:
        # Gone already (deleted by someone else since the listing): what prune wants.
        log.debug("sync %s: already gone", action.describe())
    return None


async def apply_plan(
    store: WebhookStore,
    plan: SyncPlan,
    *,
    concurrency: int,
    on_progress: SyncProgress | None = None,
    limiter: asyncio.Semaphore | None = None,
) -> tuple[SyncItemResult, ...]:
    """Run the plan's writes, `concurrency` at a time (and under `limiter` if shared).

    Replacements run before deletes. Cancelling the caller cancels the workers and
    leaves no task behind. Every write that started has its result.
    """
    total = plan.request_count
    results: list[SyncItemResult] = []

    async def run(action: SyncAction) -> None:
        try:
            if limiter is None:
                hook = await _apply_one(store, action)
            else:
                async with limiter:
                    hook = await _apply_one(store, action)
            item = SyncItemResult(action=action, webhook=hook)
        except Exception as exc:  # every failure is reported on its item, none is lost
            log.debug("sync %s failed: %s", action.describe(), exc)
            item = SyncItemResult(action=action, error=exc)
        results.append(item)
        if on_progress is not None:
            try:
                reported = on_progress(item, len(results), total)
                if inspect.isawaitable(reported):  # an async callback: awaited in turn
                    await reported
            except Exception:
                log.exception("sync on_progress callback failed; the sync goes on")

    async def drain(queue: Iterator[SyncAction]) -> None:
        # Workers share one iterator: each takes the next action when it is free.
        for action in queue:
            await run(action)

    for phase in (plan.updates + plan.creates, plan.deletes):
        queue = iter(phase)
        async with asyncio.TaskGroup() as group:
            for index in range(min(concurrency, len(phase))):
                group.create_task(drain(queue), name=f"ewh_webhooks sync worker {index}")
    return tuple(results)
