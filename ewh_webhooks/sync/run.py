"""Running a sync: options, one customer (`sync_webhooks`), many (`sync_customers`).

List everything, plan, then write. A plan is made only from a complete listing:
if the listing fails or an item cannot be identified, nothing is written for that
customer and its result says why.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

import attrs

from ..errors import InvalidArgumentError
from ..models import Webhook, WebhookSpec
from ..validation import check_bool, check_positive_int
from .apply import apply_plan
from .plan import SyncPlan, check_specs, plan_sync
from .results import SyncError, SyncProgress, SyncResult, failure_text
from .store import WebhookStore

__all__ = [
    "SyncOptions",
    "effective_concurrency",
    "raise_for_errors",
    "sync_customers",
    "sync_webhooks",
]

log = logging.getLogger("ewh_webhooks.sync")


def _positive(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    check_positive_int(value, attribute.name)


def _flag(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    check_bool(value, attribute.name)


def _callable_or_none(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not callable(value):
        raise InvalidArgumentError(f"{attribute.name} must be a callable, got {value!r}")


@attrs.frozen(slots=True, kw_only=True)
class SyncOptions:
    """How a sync runs. `concurrency` caps the writes in flight (for `sync_customers`,
    across all customers together), and never exceeds the client's `max_in_flight`."""

    prune: bool = attrs.field(default=False, validator=_flag)
    dry_run: bool = attrs.field(default=False, validator=_flag)
    concurrency: int = attrs.field(default=8, validator=_positive)
    resend_secrets: bool = attrs.field(default=False, validator=_flag)
    validate_topic: bool = attrs.field(default=True, validator=_flag)
    allow_credentials: bool = attrs.field(default=False, validator=_flag)
    on_progress: SyncProgress | None = attrs.field(default=None, validator=_callable_or_none)


class HasWebhooks(Protocol):
    @property
    def webhooks(self) -> WebhookStore: ...


def effective_concurrency(requested: int, max_in_flight: int) -> int:
    """The writes sync keeps in flight: what was asked, within the client's cap.

    Asking for more than `max_in_flight` would only queue the extra writes inside
    the client; the cap is the client's promise to the API, so sync keeps it and
    says so once (raise `max_in_flight` on the client to go faster).
    """
    if requested > max_in_flight:
        log.warning(
            "sync concurrency %d exceeds the client's max_in_flight %d: running %d at a time "
            "(pass max_in_flight=%d to EWHClient to allow more)",
            requested,
            max_in_flight,
            max_in_flight,
            requested,
        )
        return max_in_flight
    return requested


async def list_current(store: WebhookStore) -> list[Webhook]:
    """The customer's complete listing, each webhook once (a page that shifted while
    it was read may repeat one)."""
    found: dict[str, Webhook] = {}
    async for hook in store.list():
        found.setdefault(hook.id, hook)
    return list(found.values())


async def sync_webhooks(
    store: WebhookStore,
    specs: Iterable[WebhookSpec],
    options: SyncOptions | None = None,
) -> SyncResult:
    """List, plan, apply for one customer. Bad specs raise before any request; a
    listing that cannot be completed raises before any write; write failures are
    reported per item on the result."""
    options = options or SyncOptions()
    checked = check_specs(
        specs,
        validate_topic=options.validate_topic,
        allow_loopback_http=store.allows_loopback_http,
        allow_credentials=options.allow_credentials,
    )
    concurrency = effective_concurrency(options.concurrency, store.max_in_flight)
    return await _sync_checked(store, checked, options, concurrency, limiter=None)


async def _sync_checked(
    store: WebhookStore,
    checked: Sequence[WebhookSpec],
    options: SyncOptions,
    concurrency: int,
    limiter: asyncio.Semaphore | None,
) -> SyncResult:
    current = await list_current(store)
    plan = plan_sync(current, checked, prune=options.prune, resend_secrets=options.resend_secrets)
    customer = store.customer_code
    if options.dry_run:
        return SyncResult(customer=customer, plan=plan, dry_run=True)
    items = await apply_plan(
        store, plan, concurrency=concurrency, on_progress=options.on_progress, limiter=limiter
    )
    return SyncResult(customer=customer, plan=plan, items=items)


async def sync_customers(
    client: HasWebhooks,
    specs_by_customer: Mapping[str, Iterable[WebhookSpec]],
    *,
    prune: bool = False,
    dry_run: bool = False,
    concurrency: int = 16,
    resend_secrets: bool = False,
    validate_topic: bool = True,
    allow_credentials: bool = False,
    on_progress: SyncProgress | None = None,
) -> dict[str, SyncResult]:
    """Sync many customers at once over one session and one login.

    `concurrency` caps the writes in flight across all customers together. Every
    spec of every customer is checked before the first request. A customer whose
    listing fails gets a result with `error` set and nothing written; the others go on.

    >>> results = await sync_customers(client, {"CUST1": specs, "CUST2": other}, prune=True)
    >>> raise_for_errors(results)
    """
    options = SyncOptions(
        prune=prune,
        dry_run=dry_run,
        concurrency=concurrency,
        resend_secrets=resend_secrets,
        validate_topic=validate_topic,
        allow_credentials=allow_credentials,
        on_progress=on_progress,
    )
    store = client.webhooks
    checked: dict[str, list[WebhookSpec]] = {}
    for customer, specs in specs_by_customer.items():
        try:
            checked[customer] = check_specs(
                specs,
                validate_topic=validate_topic,
                allow_loopback_http=store.allows_loopback_http,
                allow_credentials=allow_credentials,
            )
        except InvalidArgumentError as exc:
            raise InvalidArgumentError(f"customer {customer}: {exc}") from None
    limit = effective_concurrency(concurrency, store.max_in_flight)
    limiter = asyncio.Semaphore(limit)
    results: dict[str, SyncResult] = {}

    async def one(customer: str, specs: Sequence[WebhookSpec]) -> None:
        try:
            results[customer] = await _sync_checked(
                store.for_customer(customer), specs, options, limit, limiter
            )
        except Exception as exc:  # reported on the customer's result, never lost
            results[customer] = SyncResult(customer=customer, plan=SyncPlan(), error=exc)

    async with asyncio.TaskGroup() as group:
        for customer, specs in checked.items():
            group.create_task(one(customer, specs), name=f"ewh_webhooks sync {customer}")
    return {customer: results[customer] for customer in specs_by_customer}


def raise_for_errors(results: Mapping[str, SyncResult]) -> None:
    """Raise one `SyncError` covering every customer that had a failure."""
    failed = [result for result in results.values() if not result.ok]
    if failed:
        raise SyncError(failure_text(failed), failed)
