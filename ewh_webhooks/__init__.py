"""ewh_webhooks: an asyncio SDK for the eWarehousing Solutions Webhooks API.

from ewh_webhooks import EWHClient

async with EWHClient.from_env() as client:
    async for hook in client.webhooks.list():
        print(hook.topic, hook.url)
"""

from ._core import Runtime
from ._version import __version__
from .client import EWHClient
from .config import BASE_URLS, Timeout
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
from .retry import RetryPolicy
from .signature import sign, verify_signature
from .sync import (
    SyncAction,
    SyncError,
    SyncItemResult,
    SyncKind,
    SyncPlan,
    SyncResult,
    plan_sync,
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
    "EWHClient",
    "EWHError",
    "InvalidArgumentError",
    "InvalidEventError",
    "InvalidSignatureError",
    "NotFoundError",
    "Page",
    "PermissionDeniedError",
    "RateLimit",
    "RateLimitError",
    "ResponseValidationError",
    "RetryPolicy",
    "Runtime",
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
    "WebhookSpec",
    "WebhookUpdate",
    "__version__",
    "parse_event",
    "plan_sync",
    "sign",
    "sync_customers",
    "verify_signature",
]
