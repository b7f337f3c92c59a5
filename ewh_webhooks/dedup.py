"""Deduplication of deliveries on `X-Webhook-Id`: delivery is at least once.

An id goes through two states: *pending* while a handler runs (a redelivery that
arrives then must be retried by the sender, not dropped: the first attempt may
still fail) and *done* once handled (a redelivery is acknowledged and ignored).
"""

from __future__ import annotations

import time
import warnings
from collections import OrderedDict
from collections.abc import Callable
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from .errors import InvalidArgumentError
from .validation import check_positive_int, check_seconds, conforms

__all__ = ["DedupState", "DedupStore", "MemoryDedupStore", "as_dedup_store"]

# How long a pending mark lives when its handler never reports back (a crash):
# then a redelivery is handled again.
DEFAULT_PENDING_TTL = 60.0


class DedupState(StrEnum):
    """What `DedupStore.claim` found: the id is new (and now pending), pending, or done."""

    NEW = "new"  # not seen before: now pending, and the caller handles it
    PENDING = "pending"  # being handled by someone else right now
    DONE = "done"  # handled already


@runtime_checkable
class DedupStore(Protocol):
    """A store of delivery ids, atomic across whoever shares it (`MemoryDedupStore` in
    one process, `RedisDedupStore` across processes)."""

    async def claim(
        self, delivery_id: str, *, pending_ttl: float = DEFAULT_PENDING_TTL
    ) -> DedupState:
        """Mark `delivery_id` pending unless it is known; say what it was before."""
        ...

    async def complete(self, delivery_id: str) -> None:
        """Mark `delivery_id` handled: redeliveries are ignored for the store's TTL."""
        ...

    async def release(self, delivery_id: str) -> None:
        """Forget a pending `delivery_id`, so that a redelivery is handled again."""
        ...

    async def aclose(self) -> None:
        """Release connections, if any; the store reopens them if used again."""
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
        # id -> (state, expiry), oldest first
        self._seen: OrderedDict[str, tuple[DedupState, float]] = OrderedDict()
        # Checked now: a ttl of "1h" would fail every delivery, 0 or NaN dedup nothing.
        self._max_size = check_positive_int(max_size, "MemoryDedupStore.max_size")
        self._ttl = check_seconds(ttl, "MemoryDedupStore.ttl")
        self._clock = clock

    def _expire(self, now: float) -> None:
        seen = self._seen
        while seen:
            oldest, (_, expiry) = next(iter(seen.items()))
            if now < expiry and len(seen) <= self._max_size:
                break
            del seen[oldest]

    def _state(self, delivery_id: str, now: float) -> DedupState | None:
        entry = self._seen.get(delivery_id)
        if entry is None or entry[1] <= now:
            return None
        return entry[0]

    async def claim(
        self, delivery_id: str, *, pending_ttl: float = DEFAULT_PENDING_TTL
    ) -> DedupState:
        """Mark `delivery_id` pending for `pending_ttl` seconds unless it is known;
        return what it was (`NEW` if the caller should handle it)."""
        now = self._clock()
        state = self._state(delivery_id, now)
        if state is not None:
            return state
        self._seen.pop(delivery_id, None)
        self._seen[delivery_id] = (DedupState.PENDING, now + pending_ttl)
        self._expire(now)
        return DedupState.NEW

    async def complete(self, delivery_id: str) -> None:
        """Mark `delivery_id` handled: redeliveries are ignored for `ttl` seconds."""
        now = self._clock()
        self._seen.pop(delivery_id, None)
        self._seen[delivery_id] = (DedupState.DONE, now + self._ttl)
        self._expire(now)

    async def release(self, delivery_id: str) -> None:
        """Forget a pending `delivery_id` (its handler failed): a redelivery is handled."""
        entry = self._seen.get(delivery_id)
        if entry is not None and entry[0] is DedupState.PENDING:
            del self._seen[delivery_id]

    async def add(self, delivery_id: str) -> bool:
        """Record `delivery_id` as handled; True if it was new (claim and complete at once)."""
        if await self.claim(delivery_id) is not DedupState.NEW:
            return False
        await self.complete(delivery_id)
        return True

    async def discard(self, delivery_id: str) -> None:
        """Forget `delivery_id` whatever its state."""
        self._seen.pop(delivery_id, None)

    async def aclose(self) -> None:
        """Nothing to release: the ids live in this process."""
        return None

    def __len__(self) -> int:
        return len(self._seen)


class _AddDiscardStore:
    """A store written for the old two-method interface (`add` returning True when
    new, `discard`), seen through the states. It cannot tell *pending* from *done*,
    so a redelivery racing a running inline handler is acknowledged as a duplicate:
    implement `claim`/`complete`/`release` to close that gap."""

    def __init__(self, store: Any) -> None:
        self._store = store

    async def claim(
        self, delivery_id: str, *, pending_ttl: float = DEFAULT_PENDING_TTL
    ) -> DedupState:
        return DedupState.NEW if await self._store.add(delivery_id) else DedupState.DONE

    async def complete(self, delivery_id: str) -> None:
        return None

    async def release(self, delivery_id: str) -> None:
        await self._store.discard(delivery_id)

    async def aclose(self) -> None:
        close = getattr(self._store, "aclose", None)
        if close is not None:
            await close()


def as_dedup_store(store: object) -> DedupStore:
    """`store` as a `DedupStore`; one with only the old `add`/`discard` methods is
    adapted, with a DeprecationWarning."""
    if conforms(store, DedupStore):
        return store  # type: ignore[return-value]
    if callable(getattr(store, "add", None)) and callable(getattr(store, "discard", None)):
        warnings.warn(
            "a dedup store with only add()/discard() cannot tell a delivery being handled "
            "from one handled already; implement claim(), complete(), release() and aclose() "
            "(the DedupStore protocol)",
            DeprecationWarning,
            stacklevel=3,
        )
        return _AddDiscardStore(store)
    raise InvalidArgumentError(
        "dedup must be a DedupStore (claim, complete, release, aclose), e.g. MemoryDedupStore"
    )
