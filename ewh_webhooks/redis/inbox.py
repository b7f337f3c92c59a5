"""`RedisInbox`: the durable inbox on Redis Streams, shared by receivers and workers on
many processes and machines.

    inbox = RedisInbox("redis://localhost:6379/0", name="ewh", lease=30.0)
    receiver = WebhookReceiver(secret=s, router=router, inbox=inbox)
    worker = InboxWorker(inbox, router)     # in as many processes as you like

A delivery is stored by one Lua script that sets its dedup key (SET NX with a TTL)
and appends it to the stream (XADD), so a redelivery racing the first is never stored
twice nor dropped. Workers read through one consumer group: XREADGROUP leases new
entries, XAUTOCLAIM takes over entries whose lease (the pending entry's idle time) ran
out, and the group's delivery count gives the attempt number. Every state change is
one script (`inbox_scripts.py`); the keys are described in `inbox_layout.py`. The
scripts a process runs meanwhile go out in one pipeline (`inbox_io.py`), so a burst of
deliveries costs Redis one fsync, not one each.

A worker whose lease ran out (another took the delivery over) can no longer retry,
fail, release or extend it: the delivery count is a fencing token. It may still
acknowledge it: its handler did succeed, and the delivery is then done.

Durability is Redis's: with AOF and `appendfsync always`, Redis answers a write only
after it reached the disk, and `put` returns only after that answer (README, "Redis
inbox", lists the settings). Needs Redis >= 6.2 (XAUTOCLAIM).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from ..errors import InvalidArgumentError
from ..inbox.protocol import ClaimedDelivery, DeadLetter, Delivery, InboxStats, check_delivery
from ..validation import check_positive_int, check_seconds
from . import inbox_scripts as scripts
from .connection import RedisStoreError, redact_url
from .inbox_io import InboxRedis
from .inbox_layout import (
    GROUP,
    InboxKeys,
    LeaseToken,
    block_seconds,
    check_name,
    claimed_fields,
    claimed_token,
    delivery_fields,
    delivery_from_fields,
    encode_error,
    encode_text,
    field_map,
    to_ms,
)
from .inbox_upkeep import InboxUpkeep

__all__ = ["DEFAULT_DEDUP_TTL", "RedisInbox"]

log = logging.getLogger("ewh_webhooks.inbox")

# The same window as MemoryDedupStore: a sender that resends a delivery it already got
# a 2xx for does so within hours, not days. Longer costs about 100 bytes per id.
DEFAULT_DEDUP_TTL = 24 * 3600.0
# The sender waits 10 s for its answer: a Redis that hangs must fail a put well before,
# so that the receiver answers 503 in time and the sender retries.
DEFAULT_TIMEOUT = 5.0
# Connections per process: one carries the pipeline of scripts, the others the blocking
# reads of claims waiting for deliveries; beyond it, callers wait for one (as with
# redis-py's BlockingConnectionPool) rather than fail.
DEFAULT_MAX_CONNECTIONS = 50
# Due retries moved back to the stream per claim: bounds the work of one script call.
_PROMOTE_BATCH = 100


class RedisInbox:
    """The `Inbox` protocol on Redis Streams. The constructor needs no event loop and
    no Redis: the connection opens on first use, in the loop that uses it.

    `lease`: seconds a claim lasts before another worker may take the delivery over.
    `dedup_ttl`: seconds a delivery id is remembered (a redelivery within it is not
    stored again). `timeout`: seconds for connecting and for each Redis answer.
    `max_connections`: Redis connections this process opens at most.
    Every Redis failure raises `RedisStoreError`, with the URL's password redacted.
    """

    def __init__(
        self,
        url: str,
        name: str = "ewh",
        lease: float = 30.0,
        *,
        dedup_ttl: float = DEFAULT_DEDUP_TTL,
        timeout: float = DEFAULT_TIMEOUT,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        check_name("name", name)
        self._lease = check_seconds(lease, "lease")
        self._dedup_ttl = check_seconds(dedup_ttl, "dedup_ttl")
        self.name = name
        self._keys = InboxKeys.for_name(name)
        self._redis = InboxRedis(
            url,
            name=name,
            timeout=check_seconds(timeout, "timeout"),
            max_connections=_check_connections(max_connections),
        )
        self._upkeep = InboxUpkeep(self._redis, self._keys, self._lease)

    def __repr__(self) -> str:
        return (
            f"RedisInbox({redact_url(self._redis.url)!r}, name={self.name!r}, lease={self._lease})"
        )

    @property
    def lease(self) -> float:
        """Seconds a claim lasts before another worker may take the delivery over."""
        return self._lease

    async def put(self, delivery: Delivery) -> bool:
        """Store the delivery and its dedup key in one Lua script (SET NX + XADD); True if
        new, False for a redelivery. Returns after Redis applied it (with AOF
        `appendfsync always`, after the fsync)."""
        check_delivery(delivery)
        stored = await self._redis.run(
            scripts.PUT,
            [self._keys.seen(delivery.delivery_id), self._keys.stream],
            [to_ms(self._dedup_ttl), *delivery_fields(delivery)],
        )
        return bool(stored)

    async def claim(
        self, consumer: str, *, limit: int = 1, wait: float = 0.0
    ) -> list[ClaimedDelivery]:
        """Lease up to `limit` due deliveries: leases run out first (XAUTOCLAIM), then
        retries now due, then new entries (XREADGROUP, blocking up to `wait`)."""
        check_name("consumer", consumer)
        check_positive_int(limit, "limit")
        wait = check_seconds(wait, "wait", allow_zero=True)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            entries, due_in_ms = await self._redis.run(
                scripts.CLAIM,
                [self._keys.stream, self._keys.delayed, self._keys.due],
                [GROUP, consumer, limit, to_ms(self._lease), _PROMOTE_BATCH],
            )
            if entries:
                return self._claimed(
                    consumer, [(row[0], row[1], claimed_fields(row[2:])) for row in entries]
                )
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            due_in = None if due_in_ms < 0 else due_in_ms / 1000
            block = block_seconds(remaining, due_in, self._lease)
            fresh = await self._redis.read_new(
                self._keys.stream, GROUP, consumer, limit, to_ms(block)
            )
            if fresh:  # new entries: first claim of this entry
                return self._claimed(consumer, [(e, 1, f) for e, f in fresh])

    def _claimed(
        self, consumer: str, rows: Iterable[tuple[bytes, int, Any]]
    ) -> list[ClaimedDelivery]:
        claimed = []
        for entry_id, deliveries, fields in rows:
            try:
                delivery, carried = delivery_from_fields(field_map(fields))
            except RedisStoreError as exc:
                # Not written by us: leave it leased (it comes back after the lease, and
                # is logged again) rather than stop every worker on it or drop it.
                log.error("inbox %r: stream entry %r skipped: %s", self.name, entry_id, exc)
                continue
            token = LeaseToken(entry_id.decode(), int(deliveries), consumer)
            claimed.append(
                ClaimedDelivery(
                    delivery=delivery, attempt=carried + int(deliveries), token=str(token)
                )
            )
        return claimed

    async def ack(self, claimed: ClaimedDelivery) -> None:
        """Handled: XACK and XDEL, and the id recorded as handled for the dedup window."""
        token = claimed_token(claimed)
        await self._redis.run(
            scripts.ACK,
            [self._keys.stream, self._keys.handled],
            [
                GROUP,
                token.entry_id,
                encode_text(claimed.delivery.delivery_id),
                to_ms(self._dedup_ttl),
            ],
        )

    async def retry(self, claimed: ClaimedDelivery, *, delay: float, error: str) -> None:
        """Failed: the delivery waits `delay` seconds (Redis time) in the delayed set,
        its attempts carried, then is claimed again."""
        token = claimed_token(claimed)
        delay = check_seconds(delay, "delay", allow_zero=True)
        done = await self._redis.run(
            scripts.RETRY,
            [self._keys.stream, self._keys.delayed, self._keys.due],
            [
                GROUP,
                token.entry_id,
                token.consumer,
                token.deliveries,
                to_ms(delay),
                encode_error(error),
            ],
        )
        self._check_held(done, "retry", claimed)

    async def fail(self, claimed: ClaimedDelivery, *, error: str) -> None:
        """The last attempt failed: move the delivery to the dead-letter stream with
        `error` and its attempts."""
        token = claimed_token(claimed)
        done = await self._redis.run(
            scripts.FAIL,
            [self._keys.stream, self._keys.dead],
            [GROUP, token.entry_id, token.consumer, token.deliveries, encode_error(error)],
        )
        self._check_held(done, "fail", claimed)

    async def release(self, claimed: ClaimedDelivery) -> None:
        """Give an unstarted claim back: due at once, and not counted as an attempt."""
        token = claimed_token(claimed)
        done = await self._redis.run(
            scripts.RELEASE,
            [self._keys.stream],
            [GROUP, token.entry_id, token.consumer, token.deliveries, to_ms(self._lease)],
        )
        self._check_held(done, "release", claimed)

    async def extend(self, claimed: ClaimedDelivery) -> None:
        """Renew the lease of a delivery still being handled (resets its idle time)."""
        token = claimed_token(claimed)
        done = await self._redis.run(
            scripts.EXTEND,
            [self._keys.stream],
            [GROUP, token.entry_id, token.consumer, token.deliveries],
        )
        self._check_held(done, "extend", claimed)

    def _check_held(self, done: int, what: str, claimed: ClaimedDelivery) -> None:
        # The lease ran out and another worker holds the delivery now, or it is done
        # with already (e.g. acknowledged while a renewal was on its way): the current
        # holder's outcome decides, this one changes nothing.
        if done == 1:
            return
        delivery_id = claimed.delivery.delivery_id
        if done == 0:
            log.debug("inbox %r: %s of delivery %s: already settled", self.name, what, delivery_id)
        else:
            log.warning(
                "inbox %r: %s of delivery %s ignored: its lease ran out and another "
                "worker took it over",
                self.name,
                what,
                delivery_id,
            )

    async def stats(self) -> InboxStats:
        """Deliveries by state; a lease that ran out counts as ready."""
        return await self._upkeep.stats()

    async def dead_letters(self, *, limit: int = 100) -> list[DeadLetter]:
        """The oldest dead letters first, with their last error and attempts."""
        return await self._upkeep.dead_letters(limit=limit)

    async def replay_dead(self, delivery_ids: Iterable[str] | None = None) -> int:
        """Move dead letters (all, or those ids) back to be handled, attempts reset;
        return how many."""
        return await self._upkeep.replay_dead(delivery_ids)

    async def purge(self, *, older_than: float) -> int:
        """Forget handled deliveries finished more than `older_than` seconds ago (Redis
        time): their handled record and their dedup key. Bodies are not kept once
        handled, so this frees little; handled records older than `dedup_ttl` go by
        themselves. Also deletes the group's consumers left behind by worker processes
        gone for longer (at least an hour) with nothing pending."""
        return await self._upkeep.purge(older_than=older_than)

    async def aclose(self) -> None:
        """Close the connections; they reopen if the inbox is used again."""
        await self._redis.aclose()


def _check_connections(value: object) -> int:
    # One for the pipeline of scripts, at least one for a claim's blocking read.
    count = check_positive_int(value, "max_connections")
    if count < 2:
        raise InvalidArgumentError(f"max_connections must be at least 2, got {value!r}")
    return count
