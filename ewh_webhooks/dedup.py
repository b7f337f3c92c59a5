"""Deduplication of deliveries on `X-Webhook-Id`: delivery is at least once."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

__all__ = ["DedupStore", "MemoryDedupStore"]


class DedupStore(Protocol):
    """A store of delivery ids. Implement it over Redis (SET NX EX) to share it
    between processes."""

    async def add(self, delivery_id: str) -> bool:
        """Record `delivery_id`; True if it was new, False if already seen (atomically)."""
        ...

    async def discard(self, delivery_id: str) -> None:
        """Forget `delivery_id`, so that a redelivery is handled again."""
        ...


class MemoryDedupStore:
    """In-process store: at most `max_size` ids, each kept for `ttl` seconds."""

    def __init__(
        self,
        *,
        max_size: int = 100_000,
        ttl: float = 24 * 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._max_size = max_size
        self._ttl = ttl
        self._clock = clock

    def _expire(self, now: float) -> None:
        while self._seen:
            oldest, stamp = next(iter(self._seen.items()))
            if now - stamp < self._ttl and len(self._seen) <= self._max_size:
                break
            del self._seen[oldest]

    async def add(self, delivery_id: str) -> bool:
        now = self._clock()
        self._expire(now)
        if delivery_id in self._seen:
            return False
        self._seen[delivery_id] = now
        self._expire(now)
        return True

    async def discard(self, delivery_id: str) -> None:
        self._seen.pop(delivery_id, None)

    def __len__(self) -> int:
        return len(self._seen)
