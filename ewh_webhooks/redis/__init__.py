"""Redis-backed parts, for deployments of several processes or machines (the
`[redis]` extra): `RedisInbox` (durable receiving over Redis Streams),
`RedisRateLimit` (one request budget and 429 pause for every process of a login)
and `RedisDedupStore` (one set of delivery ids for every receiver).

`import ewh_webhooks` never imports this package; each name loads on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ..errors import EWHError

# Each backend adds `from .module import Name` under `if TYPE_CHECKING:` here when it lands.
if TYPE_CHECKING:
    from .connection import RedisStoreError
    from .dedup import RedisDedupStore
    from .inbox import RedisInbox
    from .rate_limit import RedisRateLimit

__all__ = ["RedisDedupStore", "RedisInbox", "RedisRateLimit", "RedisStoreError"]

_EXPORTS = {
    "RedisDedupStore": "dedup",
    "RedisInbox": "inbox",
    "RedisRateLimit": "rate_limit",
    "RedisStoreError": "connection",
}

try:
    import redis.asyncio  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise EWHError(
        "the Redis-backed parts need redis-py: install this package with its [redis] "
        "extra (pip install -e '.[redis]' in a clone) or pip install 'redis>=6.0'"
    ) from exc


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ewh_webhooks.redis' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
