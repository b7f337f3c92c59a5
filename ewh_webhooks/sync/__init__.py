"""Declarative sync: make a customer's webhooks match a list of `WebhookSpec`.

    result = await client.webhooks.sync(specs, prune=True)
    result.raise_for_errors()

Secrets: the API never returns `hash_secret` when listing, so a webhook that
already matches a spec (same topic and url) keeps the secret it has. Pass
`resend_secrets=True` to PATCH every matched webhook with its spec's secret (one
request each), e.g. after rotating secrets. Repurposed and created webhooks
always get the spec's secret.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from ..errors import InvalidArgumentError
from ..models import Webhook, WebhookSpec
from .apply import SyncError, SyncItemResult, SyncProgress, SyncResult, apply_plan, failure_text
from .plan import SyncAction, SyncKind, SyncPlan, check_specs, plan_sync

if TYPE_CHECKING:
    from ..client import EWHClient
    from ..resources.webhooks import Webhooks

__all__ = [
    "SyncAction",
    "SyncError",
    "SyncItemResult",
    "SyncKind",
    "SyncPlan",
    "SyncProgress",
    "SyncResult",
    "check_specs",
    "plan_sync",
    "raise_for_errors",
    "sync_customers",
    "sync_webhooks",
]

# Listing pages are fetched at this size: fewer requests than the API's default of 50.
LIST_LIMIT = 100


def _check_concurrency(concurrency: object) -> int:
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise InvalidArgumentError(f"concurrency must be an integer >= 1, got {concurrency!r}")
    return concurrency


async def sync_webhooks(
    webhooks: Webhooks,
    specs: Sequence[WebhookSpec],
    *,
    prune: bool = False,
    dry_run: bool = False,
    concurrency: int = 8,
    resend_secrets: bool = False,
    validate_topic: bool = True,
    on_progress: SyncProgress | None = None,
    allow_loopback_http: bool = False,
    limiter: asyncio.Semaphore | None = None,
) -> SyncResult:
    """List, plan, apply. Bad specs raise before any request; write failures are
    reported per item on the result."""
    _check_concurrency(concurrency)
    checked = check_specs(
        specs, validate_topic=validate_topic, allow_loopback_http=allow_loopback_http
    )
    return await _sync_checked(
        webhooks,
        checked,
        prune=prune,
        dry_run=dry_run,
        concurrency=concurrency,
        resend_secrets=resend_secrets,
        on_progress=on_progress,
        limiter=limiter,
    )


async def _sync_checked(
    webhooks: Webhooks,
    checked: Sequence[WebhookSpec],
    *,
    prune: bool,
    dry_run: bool,
    concurrency: int,
    resend_secrets: bool,
    on_progress: SyncProgress | None,
    limiter: asyncio.Semaphore | None,
) -> SyncResult:
    current: list[Webhook] = [hook async for hook in webhooks.list(limit=LIST_LIMIT)]
    plan = plan_sync(current, checked, prune=prune, resend_secrets=resend_secrets)
    customer = webhooks.customer_code
    if dry_run:
        return SyncResult(customer=customer, plan=plan, dry_run=True)
    items = await apply_plan(
        webhooks, plan, concurrency=concurrency, on_progress=on_progress, limiter=limiter
    )
    return SyncResult(customer=customer, plan=plan, items=items)


async def sync_customers(
    client: EWHClient,
    specs_by_customer: Mapping[str, Sequence[WebhookSpec]],
    *,
    prune: bool = False,
    dry_run: bool = False,
    concurrency: int = 16,
    resend_secrets: bool = False,
    validate_topic: bool = True,
    on_progress: SyncProgress | None = None,
) -> dict[str, SyncResult]:
    """Sync many customers at once over one session and one login.

    `concurrency` caps the writes in flight across all customers together. Every
    spec of every customer is checked before the first request. A customer whose
    listing fails gets a result with `error` set; the others go on.
    """
    _check_concurrency(concurrency)
    loopback = client._loopback
    checked: dict[str, list[WebhookSpec]] = {}
    for customer, specs in specs_by_customer.items():
        try:
            checked[customer] = check_specs(
                specs, validate_topic=validate_topic, allow_loopback_http=loopback
            )
        except InvalidArgumentError as exc:
            raise InvalidArgumentError(f"customer {customer}: {exc}") from None
    limiter = asyncio.Semaphore(concurrency)
    results: dict[str, SyncResult] = {}

    async def one(customer: str, specs: Sequence[WebhookSpec]) -> None:
        try:
            results[customer] = await _sync_checked(
                client.for_customer(customer).webhooks,
                specs,
                prune=prune,
                dry_run=dry_run,
                concurrency=concurrency,
                resend_secrets=resend_secrets,
                on_progress=on_progress,
                limiter=limiter,
            )
        except Exception as exc:  # reported on the customer's result, never lost
            results[customer] = SyncResult(customer=customer, plan=SyncPlan(), error=exc)

    async with asyncio.TaskGroup() as group:
        for customer, specs in checked.items():
            group.create_task(one(customer, specs))
    return {customer: results[customer] for customer in specs_by_customer}


def raise_for_errors(results: Mapping[str, SyncResult]) -> None:
    """Raise one `SyncError` covering every customer that had a failure."""
    failed = [result for result in results.values() if not result.ok]
    if failed:
        raise SyncError(failure_text(failed), failed)
