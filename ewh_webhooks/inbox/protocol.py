"""The durable inbox: the records it keeps and the one small protocol that the
receiver and the workers know (after huey's storage interface).

A delivery is stored, with its dedup key, in one atomic and durable write before
the receiver answers 2xx. Workers then claim deliveries for a lease, run the
router, and acknowledge; a failure is retried later; after too many attempts the
delivery becomes a dead letter, kept with its last error for inspection and
replay. A delivery whose lease runs out (its worker died) is claimed again by
another worker. Backends: `SQLiteInbox` (one machine) and `RedisInbox` (many).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol, runtime_checkable

import attrs

from ..errors import InvalidArgumentError, StoreError

__all__ = [
    "ClaimedDelivery",
    "DeadLetter",
    "Delivery",
    "Inbox",
    "InboxStats",
    "check_delivery",
    "check_delivery_ids",
    "probe_inbox",
]


@attrs.frozen(slots=True, kw_only=True)
class Delivery:
    """A verified delivery as received: enough to parse (or verify) it again later.

    `headers` keeps only what is needed for that (`X-Hmac-Sha256`, `X-Webhook-Id`,
    `Content-Type`); `received_at` is Unix seconds.
    """

    delivery_id: str
    body: bytes = attrs.field(repr=False)
    headers: Mapping[str, str] = attrs.field(factory=dict, repr=False)
    received_at: float


@attrs.frozen(slots=True, kw_only=True)
class ClaimedDelivery:
    """A delivery leased to one worker. `attempt` is 1 on the first claim; `token` is
    the backend's handle on this lease (pass the object back to ack/retry/fail)."""

    delivery: Delivery
    attempt: int
    token: str = attrs.field(repr=False)


@attrs.frozen(slots=True, kw_only=True)
class DeadLetter:
    """A delivery that failed `max_attempts` times, with its last error."""

    delivery: Delivery
    attempts: int
    error: str
    failed_at: float


@attrs.frozen(slots=True, kw_only=True)
class InboxStats:
    """Deliveries by state: waiting (new or due for a retry later), leased to a
    worker now, handled (kept until purged), and dead letters."""

    ready: int
    leased: int
    handled: int
    dead: int

    @property
    def total(self) -> int:
        """Every delivery the inbox holds."""
        return self.ready + self.leased + self.handled + self.dead


@runtime_checkable
class Inbox(Protocol):
    """What the receiver and `InboxWorker` need from a store. Constructors never need a
    running event loop: connections open on first use, and `aclose()` releases them
    (a later call opens them again)."""

    @property
    def lease(self) -> float:
        """Seconds a claim lasts before another worker may take the delivery."""
        ...

    async def put(self, delivery: Delivery) -> bool:
        """Store `delivery` and its dedup key in one durable write; return only after
        the commit. True if stored, False if its `delivery_id` was already stored
        (a redelivery: never handled twice, never dropped)."""
        ...

    async def claim(
        self, consumer: str, *, limit: int = 1, wait: float = 0.0
    ) -> list[ClaimedDelivery]:
        """Lease up to `limit` deliveries that are due (new, retry time reached, or
        lease run out), oldest first; wait up to `wait` seconds for one to arrive."""
        ...

    async def ack(self, claimed: ClaimedDelivery) -> None:
        """The delivery was handled: it is never handed out again."""
        ...

    async def retry(self, claimed: ClaimedDelivery, *, delay: float, error: str) -> None:
        """The attempt failed: hand the delivery out again after `delay` seconds."""
        ...

    async def fail(self, claimed: ClaimedDelivery, *, error: str) -> None:
        """The last attempt failed: move the delivery to the dead letters."""
        ...

    async def release(self, claimed: ClaimedDelivery) -> None:
        """Give a claimed delivery back unstarted (a worker stopping): due at once, and
        this claim does not count as an attempt."""
        ...

    async def extend(self, claimed: ClaimedDelivery) -> None:
        """Renew the lease of a delivery still being handled (a long handler)."""
        ...

    async def stats(self) -> InboxStats:
        """Deliveries by state."""
        ...

    async def dead_letters(self, *, limit: int = 100) -> list[DeadLetter]:
        """The oldest dead letters first."""
        ...

    async def replay_dead(self, delivery_ids: Iterable[str] | None = None) -> int:
        """Move dead letters (all, or those ids) back to be handled, attempts reset;
        return how many."""
        ...

    async def purge(self, *, older_than: float) -> int:
        """Delete handled deliveries finished more than `older_than` seconds ago; return
        how many. A purged id is no longer deduplicated."""
        ...

    async def aclose(self) -> None:
        """Release connections or threads; the next call opens them again."""
        ...


def check_delivery(delivery: object) -> Delivery:
    """What every backend's `put` checks before storing anything."""
    if not isinstance(delivery, Delivery):
        raise InvalidArgumentError("put() takes a Delivery")
    if not isinstance(delivery.delivery_id, str) or not delivery.delivery_id:
        # An empty id would be every later empty id's "duplicate": never stored.
        raise InvalidArgumentError("a delivery needs a non-empty string delivery_id")
    if not isinstance(delivery.body, bytes | bytearray | memoryview):
        raise InvalidArgumentError("a delivery's body must be the raw bytes received")
    headers = delivery.headers
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
        raise InvalidArgumentError("a delivery's headers must map str to str")
    return delivery


def check_delivery_ids(delivery_ids: Iterable[str]) -> set[str]:
    """The ids `replay_dead` was given: a collection of strings, never one string
    (whose characters would be taken for ids)."""
    if isinstance(delivery_ids, str | bytes):
        raise InvalidArgumentError("delivery_ids must be a collection of ids, not one string")
    ids = set(delivery_ids)
    if not all(isinstance(i, str) for i in ids):
        raise InvalidArgumentError("delivery_ids must be strings")
    return ids


async def probe_inbox(inbox: Inbox) -> None:
    """Fail now, with our error naming the inbox, if its store cannot be reached or
    opened (a receiver or a worker checks this at startup, not at the first delivery).
    The inbox is closed again when it fails."""
    try:
        await inbox.dead_letters(limit=1)
    except Exception as exc:
        await inbox.aclose()
        raise StoreError(f"the inbox {inbox!r} cannot be used: {exc}") from exc
