"""ewh_webhooks: an asyncio SDK for the eWarehousing Solutions Webhooks API.

from ewh_webhooks import EWHClient

async with EWHClient.from_env() as client:
    async for hook in client.webhooks.list():
        print(hook.topic, hook.url)
"""

from typing import TYPE_CHECKING, Any

from ._version import __version__
from .client import EWHClient
from .config import BASE_URLS, Timeout
from .dedup import DedupStore, MemoryDedupStore
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
)
from .events import WebhookEvent, parse_event
from .limits import RateLimit
from .models import Page, Tokens, Webhook, WebhookCreate, WebhookSpec, WebhookUpdate
from .receiver import WebhookReceiver
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
from .topics import KNOWN_TOPICS

__all__ = [
    "BASE_URLS",
    "KNOWN_TOPICS",
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "DedupStore",
    "EWHEmulator",
    "EWHClient",
    "EWHError",
    "InvalidArgumentError",
    "InvalidEventError",
    "InvalidSignatureError",
    "MemoryDedupStore",
    "NotFoundError",
    "Page",
    "PermissionDeniedError",
    "RateLimit",
    "RateLimitError",
    "ResponseValidationError",
    "RetryPolicy",
    "Router",
    "ServerError",
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
    from .testing import EWHEmulator


def __getattr__(name: str) -> Any:
    # The emulator (aiohttp.web server, test tooling) loads only when asked for.
    if name == "EWHEmulator":
        from .testing import EWHEmulator

        return EWHEmulator
    raise AttributeError(f"module 'ewh_webhooks' has no attribute {name!r}")
