"""Declarative sync: make a customer's webhooks match a list of `WebhookSpec`.

    result = await client.webhooks.sync(specs, prune=True)
    result.raise_for_errors()

A webhook is identified by group + action + url. Secrets: the API never returns
`hash_secret` when listing, so a webhook that already matches a spec keeps the
secret it has. Pass `resend_secrets=True` to PATCH every matched webhook with its
spec's secret (one request each), e.g. after rotating secrets. Repurposed and
created webhooks always get the spec's secret.

Modules: `plan` (pure planner), `results`, `apply` (executor over a `WebhookStore`),
`run` (options, one customer, many customers), `store` (the protocol).
"""

from .plan import SyncAction, SyncKind, SyncPlan, check_specs, plan_sync
from .results import SyncError, SyncItemResult, SyncProgress, SyncResult
from .run import SyncOptions, effective_concurrency, raise_for_errors, sync_customers, sync_webhooks
from .store import WebhookStore

__all__ = [
    "SyncAction",
    "SyncError",
    "SyncItemResult",
    "SyncKind",
    "SyncOptions",
    "SyncPlan",
    "SyncProgress",
    "SyncResult",
    "WebhookStore",
    "check_specs",
    "effective_concurrency",
    "plan_sync",
    "raise_for_errors",
    "sync_customers",
    "sync_webhooks",
]
