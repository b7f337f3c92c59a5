"""`RedisDedupStore`: one set of delivery ids for every receiver of a deployment, so
a delivery retried to another replica is not handled twice.

    receiver = WebhookReceiver(secret=s, router=r, dedup=RedisDedupStore("redis://redis:6379/0"))

Each id is one key, `key_prefix + delivery_id`, holding "pending" (with the claim's
`pending_ttl`) or "done" (with `ttl`): claimed with `SET NX`, so of two receivers
claiming at once exactly one gets NEW, and every key expires, so memory is bounded by
what arrives in one `ttl`.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable
from typing import TypeVar

from ..dedup import DEFAULT_PENDING_TTL, DedupState
from ..errors import InvalidArgumentError
from ..validation import check_non_empty_str, check_positive_int, check_seconds
from .connection import REDIS_ERRORS, LuaScript, RedisConnection, RedisStoreError, redact_url

__all__ = ["RedisDedupStore"]

T = TypeVar("T")

_PENDING = b"pending"
_DONE = b"done"

# Forget a claim only while it is still pending: a "done" written meanwhile stays.
_RELEASE = LuaScript(
    """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""
)

DEFAULT_TTL = 24 * 3600.0
# The sender waits at most 10 s for an answer: a Redis call must fail well before.
DEFAULT_TIMEOUT = 2.0
# Connections one store opens at most; a burst of deliveries beyond it waits its turn.
DEFAULT_MAX_CONNECTIONS = 32


class RedisDedupStore:
    """Delivery ids in Redis, atomic across every process that shares `url` and
    `key_prefix`; handled ids are remembered for `ttl` seconds.

    Raises `RedisStoreError` (an `EWHError`) when Redis is unreachable, too slow
    (`timeout` seconds per call) or refuses a command: the receiver then answers 503
    and the sender delivers again, so no event is lost to a Redis outage. At most
    `max_connections` connections per store: calls beyond them wait (up to `timeout`)
    for one to be free.
    """

    def __init__(
        self,
        url: str,
        ttl: float = DEFAULT_TTL,
        key_prefix: str = "ewh:dedup:",
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        check_seconds(ttl, "RedisDedupStore.ttl")
        check_seconds(timeout, "RedisDedupStore.timeout")
        if not isinstance(key_prefix, str):
            raise InvalidArgumentError(
                f"RedisDedupStore.key_prefix must be a string, got {key_prefix!r}"
            )
        self.ttl = float(ttl)
        self.key_prefix = key_prefix
        self._redis = RedisConnection.for_quick_calls(
            url,
            timeout=timeout,
            max_connections=check_positive_int(max_connections, "RedisDedupStore.max_connections"),
        )

    def __repr__(self) -> str:
        return (
            f"RedisDedupStore({redact_url(self._redis.url)!r}, ttl={self.ttl:g}, "
            f"key_prefix={self.key_prefix!r})"
        )

    def key(self, delivery_id: str) -> str:
        """The Redis key that holds `delivery_id`'s state."""
        return self.key_prefix + check_non_empty_str(delivery_id, "a delivery id")

    async def claim(
        self, delivery_id: str, *, pending_ttl: float = DEFAULT_PENDING_TTL
    ) -> DedupState:
        """Mark `delivery_id` pending unless it is known; say what it was before.
        Raises `RedisStoreError` if Redis fails (answer 503: the sender retries)."""
        check_seconds(pending_ttl, "RedisDedupStore.pending_ttl")
        key = self.key(delivery_id)

        async def claim() -> list[object]:
            # One transaction: the SET NX decides, the GET says what was there instead.
            async with self._redis.client().pipeline(transaction=True) as pipe:
                pipe.set(key, _PENDING, nx=True, px=_ms(pending_ttl))
                pipe.get(key)
                result: list[object] = await pipe.execute()
                return result

        created, value = await self._call("claim", delivery_id, claim())
        if created:
            return DedupState.NEW
        return DedupState.DONE if value == _DONE else DedupState.PENDING

    async def complete(self, delivery_id: str) -> None:
        """Mark `delivery_id` handled for `ttl` seconds. Raises `RedisStoreError`."""
        key = self.key(delivery_id)
        await self._call(
            "complete", delivery_id, self._redis.client().set(key, _DONE, px=_ms(self.ttl))
        )

    async def release(self, delivery_id: str) -> None:
        """Forget a pending `delivery_id` (a redelivery is handled again); a handled one
        stays handled. Raises `RedisStoreError`."""
        key = self.key(delivery_id)
        await self._call("release", delivery_id, _RELEASE(self._redis.client(), [key], [_PENDING]))

    async def aclose(self) -> None:
        """Close the Redis connections; they reopen if the store is used again."""
        await self._redis.aclose()

    async def _call(self, action: str, delivery_id: str, call: Awaitable[T]) -> T:
        try:
            return await call
        except REDIS_ERRORS as exc:
            # The cause is not chained: only our redacted description is kept.
            raise RedisStoreError(
                f"dedup {action} of delivery {delivery_id!r}: {self._redis.describe(exc)}"
            ) from None


def _ms(seconds: float) -> int:
    return max(1, math.ceil(seconds * 1000))
