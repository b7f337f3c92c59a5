"""ewh_webhooks: an asyncio SDK for the eWarehousing Solutions Webhooks API.

from ewh_webhooks import EWHClient

async with EWHClient.from_env() as client:
    async for hook in client.webhooks.list():
        print(hook.topic, hook.url)

Every public name is importable from here. Each loads on first use (PEP 562), so
`import ewh_webhooks` costs almost nothing and the CLI starts fast; the receiver
(aiohttp.web), the emulator and the Redis backends load only when asked for.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

# public name -> the module that defines it
_EXPORTS: dict[str, str] = {
    "BASE_URLS": "config",
    "Timeout": "config",
    "EWHClient": "client",
    "DedupState": "dedup",
    "DedupStore": "dedup",
    "MemoryDedupStore": "dedup",
    "APIConnectionError": "errors",
    "APIError": "errors",
    "APITimeoutError": "errors",
    "AuthenticationError": "errors",
    "BadRequestError": "errors",
    "ClientClosedError": "errors",
    "EWHError": "errors",
    "InvalidArgumentError": "errors",
    "InvalidEventError": "errors",
    "InvalidSignatureError": "errors",
    "NotFoundError": "errors",
    "PermissionDeniedError": "errors",
    "RateLimitError": "errors",
    "ResponseValidationError": "errors",
    "ServerError": "errors",
    "StoreError": "errors",
    "WebhookEvent": "events",
    "parse_event": "events",
    "Backoff": "inbox.backoff",
    "ClaimedDelivery": "inbox.protocol",
    "DeadLetter": "inbox.protocol",
    "Delivery": "inbox.protocol",
    "Inbox": "inbox.protocol",
    "InboxStats": "inbox.protocol",
    "SQLiteInbox": "inbox.sqlite",
    "InboxWorker": "inbox.worker",
    "RateLimit": "limits",
    "RateLimiter": "limits",
    "Page": "models",
    "Tokens": "models",
    "Webhook": "models",
    "WebhookCreate": "models",
    "WebhookSpec": "models",
    "WebhookUpdate": "models",
    "WebhookReceiver": "receiver",
    "RedisInbox": "redis.inbox",
    "RedisDedupStore": "redis.dedup",
    "RedisRateLimit": "redis.rate_limit",
    "RedisStoreError": "redis.connection",
    "FakeClock": "testing",
    "RetryPolicy": "retry",
    "Router": "routing",
    "sign": "signature",
    "verify_signature": "signature",
    "SyncAction": "sync",
    "SyncError": "sync",
    "SyncItemResult": "sync",
    "SyncKind": "sync",
    "SyncPlan": "sync",
    "SyncResult": "sync",
    "plan_sync": "sync",
    "raise_for_errors": "sync",
    "sync_customers": "sync",
    "EWHEmulator": "testing",
    "KNOWN_TOPICS": "topics",
}

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "BASE_URLS",
    "Backoff",
    "BadRequestError",
    "ClaimedDelivery",
    "ClientClosedError",
    "DeadLetter",
    "DedupState",
    "DedupStore",
    "Delivery",
    "EWHClient",
    "EWHEmulator",
    "EWHError",
    "FakeClock",
    "Inbox",
    "InboxStats",
    "InboxWorker",
    "InvalidArgumentError",
    "InvalidEventError",
    "InvalidSignatureError",
    "KNOWN_TOPICS",
    "MemoryDedupStore",
    "NotFoundError",
    "Page",
    "PermissionDeniedError",
    "RateLimit",
    "RateLimitError",
    "RateLimiter",
    "RedisDedupStore",
    "RedisInbox",
    "RedisRateLimit",
    "RedisStoreError",
    "ResponseValidationError",
    "RetryPolicy",
    "Router",
    "SQLiteInbox",
    "ServerError",
    "StoreError",
    "SyncAction",
    "SyncError",
    "SyncItemResult",
    "SyncKind",
    "SyncPlan",
    "SyncResult",
    "Timeout",
    "Tokens",
    "Webhook",
    "WebhookCreate",
    "WebhookEvent",
    "WebhookReceiver",
    "WebhookSpec",
    "WebhookUpdate",
    "__version__",
    "parse_event",
    "plan_sync",
    "raise_for_errors",
    "sign",
    "sync_customers",
    "verify_signature",
]

if TYPE_CHECKING:
    from .client import EWHClient
    from .config import BASE_URLS, Timeout
    from .dedup import DedupState, DedupStore, MemoryDedupStore
    from .errors import (
        APIConnectionError,
        APIError,
        APITimeoutError,
        AuthenticationError,
        BadRequestError,
        ClientClosedError,
        EWHError,
        InvalidArgumentError,
        InvalidEventError,
        InvalidSignatureError,
        NotFoundError,
        PermissionDeniedError,
        RateLimitError,
        ResponseValidationError,
        ServerError,
        StoreError,
    )
    from .events import WebhookEvent, parse_event
    from .inbox.backoff import Backoff
    from .inbox.protocol import ClaimedDelivery, DeadLetter, Delivery, Inbox, InboxStats
    from .inbox.sqlite import SQLiteInbox
    from .inbox.worker import InboxWorker
    from .limits import RateLimit, RateLimiter
    from .models import Page, Tokens, Webhook, WebhookCreate, WebhookSpec, WebhookUpdate
    from .receiver import WebhookReceiver
    from .redis.connection import RedisStoreError
    from .redis.dedup import RedisDedupStore
    from .redis.inbox import RedisInbox
    from .redis.rate_limit import RedisRateLimit
    from .retry import RetryPolicy
    from .routing import Router
    from .signature import sign, verify_signature
    from .sync import (
        SyncAction,
        SyncError,
        SyncItemResult,
        SyncKind,
        SyncPlan,
        SyncResult,
        plan_sync,
        raise_for_errors,
        sync_customers,
    )
    from .testing import EWHEmulator, FakeClock
    from .topics import KNOWN_TOPICS


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ewh_webhooks' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # once loaded, a plain attribute: no second lookup
    return value


def __dir__() -> list[str]:
    return __all__
