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
one script (`inbox_scripts.py`); the keys are described in `inbox_layout.py`.

Durability is Redis's: with AOF and `appendfsync always`, Redis answers a write only
after it reached the disk, and `put` returns only after that answer (README, "Redis
inbox", lists the settings). Needs Redis >= 6.2 (XAUTOCLAIM).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import NoScriptError, RedisError

from ..errors import InvalidArgumentError
from ..inbox.protocol import ClaimedDelivery, DeadLetter, Delivery, InboxStats
from . import inbox_scripts as scripts
from .connection import RedisConnection, redact_url
from .inbox_layout import (
    GROUP,
    InboxKeys,
    LeaseToken,
    RedisInboxError,
    block_seconds,
    dead_letter_from_fields,
    delivery_fields,
    delivery_from_fields,
    field_map,
    to_ms,
)

__all__ = ["DEFAULT_DEDUP_TTL", "RedisInbox", "RedisInboxError"]

log = logging.getLogger("ewh_webhooks.inbox")

# The same window as MemoryDedupStore: a sender that resends a delivery it already got
# a 2xx for does so within hours, not days. Longer costs about 100 bytes per id.
DEFAULT_DEDUP_TTL = 24 * 3600.0
# The sender waits 10 s for its answer: a Redis that hangs must fail a put well before,
# so that the receiver answers 503 in time and the sender retries.
DEFAULT_TIMEOUT = 5.0
# Due retries moved back to the stream per claim: bounds the work of one script call.
_PROMOTE_BATCH = 100
# Entries per round trip when listing dead letters or purging.
_BATCH = 500


def _positive(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidArgumentError(f"{name} must be a number of seconds, not {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise InvalidArgumentError(f"{name} must be a positive number of seconds, not {value}")
    return float(value)


def _non_negative(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidArgumentError(f"{name} must be a number of seconds, not {value!r}")
    if not math.isfinite(value) or value < 0:
        raise InvalidArgumentError(f"{name} must be zero or more seconds, not {value}")
    return float(value)


def _token(claimed: ClaimedDelivery) -> LeaseToken:
    if not isinstance(claimed, ClaimedDelivery):
        raise InvalidArgumentError(f"expected a ClaimedDelivery, not {type(claimed).__name__}")
    return LeaseToken.parse(claimed.token)


class RedisInbox:
    """The `Inbox` protocol on Redis Streams. The constructor needs no event loop and
    no Redis: the connection opens on first use, in the loop that uses it.

    `lease`: seconds a claim lasts before another worker may take the delivery over.
    `dedup_ttl`: seconds a delivery id is remembered (a redelivery within it is not
    stored again). `timeout`: seconds for connecting and for each Redis answer.
    Every Redis failure raises `RedisInboxError`, with the URL's password redacted.
    """

    def __init__(
        self,
        url: str,
        name: str = "ewh",
        lease: float = 30.0,
        *,
        dedup_ttl: float = DEFAULT_DEDUP_TTL,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if not isinstance(name, str) or not name or name != name.strip():
            raise InvalidArgumentError(f"name must be a non-empty key prefix, not {name!r}")
        self._lease = _positive("lease", lease)
        self._dedup_ttl = _positive("dedup_ttl", dedup_ttl)
        timeout = _positive("timeout", timeout)
        self.name = name
        self._keys = InboxKeys.for_name(name)
        # A broken pooled connection (Redis restarted) is replaced by a quick retry; a
        # Redis that stays down fails within milliseconds, not after redis-py's 10 tries.
        # Every script is safe to run twice: the dedup key and the fencing token see to it.
        self._conn = RedisConnection(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(ExponentialBackoff(cap=0.05, base=0.01), retries=2),
        )

    def __repr__(self) -> str:
        return (
            f"RedisInbox({redact_url(self._conn.url)!r}, name={self.name!r}, lease={self._lease})"
        )

    @property
    def lease(self) -> float:
        return self._lease

    async def _run(self, script: scripts.Script, keys: Sequence[str], args: Sequence[Any]) -> Any:
        client = self._conn.client()
        try:
            try:
                return await client.evalsha(script.sha, len(keys), *keys, *args)
            except NoScriptError:  # a restarted or other Redis: EVAL caches it again
                return await client.eval(script.source, len(keys), *keys, *args)
        except RedisError as exc:
            raise self._error(f"{script.name} failed", exc) from exc

    def _error(self, what: str, exc: BaseException) -> RedisInboxError:
        detail = str(exc)
        # redis-py does not put the password in its messages; make sure of it.
        password = _password(self._conn.url)
        if password:
            detail = detail.replace(password, "***")
        return RedisInboxError(
            f"Redis inbox {self.name!r} at {redact_url(self._conn.url)}: {what}: "
            f"{type(exc).__name__}: {detail}"
        )

    async def put(self, delivery: Delivery) -> bool:
        if not isinstance(delivery, Delivery):
            raise InvalidArgumentError(f"expected a Delivery, not {type(delivery).__name__}")
        stored = await self._run(
            scripts.PUT,
            [self._keys.seen(delivery.delivery_id), self._keys.stream],
            [to_ms(self._dedup_ttl), *delivery_fields(delivery)],
        )
        return bool(stored)

    async def claim(
        self, consumer: str, *, limit: int = 1, wait: float = 0.0
    ) -> list[ClaimedDelivery]:
        if not isinstance(consumer, str) or not consumer:
            raise InvalidArgumentError(f"consumer must be a non-empty name, not {consumer!r}")
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise InvalidArgumentError(f"limit must be a positive integer, not {limit!r}")
        wait = _non_negative("wait", wait)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            entries, due_in_ms = await self._run(
                scripts.CLAIM,
                [self._keys.stream, self._keys.delayed, self._keys.due],
                [GROUP, consumer, limit, to_ms(self._lease), _PROMOTE_BATCH],
            )
            if entries:
                return self._claimed(consumer, [(e, c, fields) for e, fields, c in entries])
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            due_in = None if due_in_ms < 0 else due_in_ms / 1000
            fresh = await self._read_new(
                consumer, limit, block_seconds(remaining, due_in, self._lease)
            )
            if fresh:
                return fresh

    async def _read_new(self, consumer: str, limit: int, block: float) -> list[ClaimedDelivery]:
        """Wait (outside any script: a script cannot block) for new entries."""
        client = self._conn.client()
        try:
            reply: Any = await client.xreadgroup(
                GROUP, consumer, {self._keys.stream: ">"}, count=limit, block=to_ms(block)
            )
        except RedisError as exc:
            if str(exc).startswith("NOGROUP"):  # the keys were deleted meanwhile
                return []
            raise self._error("claim failed", exc) from exc
        streams = reply.items() if isinstance(reply, dict) else (reply or [])
        return self._claimed(
            consumer,
            [(entry_id, 1, fields) for _, entries in streams for entry_id, fields in entries],
        )

    def _claimed(
        self, consumer: str, rows: Iterable[tuple[bytes, int, Any]]
    ) -> list[ClaimedDelivery]:
        claimed = []
        for entry_id, deliveries, fields in rows:
            try:
                delivery, carried = delivery_from_fields(field_map(fields))
            except RedisInboxError as exc:
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
        token = _token(claimed)
        await self._run(
            scripts.ACK,
            [self._keys.stream, self._keys.handled],
            [GROUP, token.entry_id, claimed.delivery.delivery_id, to_ms(self._dedup_ttl)],
        )

    async def retry(self, claimed: ClaimedDelivery, *, delay: float, error: str) -> None:
        token = _token(claimed)
        delay = _non_negative("delay", delay)
        done = await self._run(
            scripts.RETRY,
            [self._keys.stream, self._keys.delayed, self._keys.due],
            [GROUP, token.entry_id, token.consumer, token.deliveries, to_ms(delay), str(error)],
        )
        self._check_held(done, "retry", claimed)

    async def fail(self, claimed: ClaimedDelivery, *, error: str) -> None:
        token = _token(claimed)
        done = await self._run(
            scripts.FAIL,
            [self._keys.stream, self._keys.dead],
            [GROUP, token.entry_id, token.consumer, token.deliveries, str(error)],
        )
        self._check_held(done, "fail", claimed)

    async def release(self, claimed: ClaimedDelivery) -> None:
        token = _token(claimed)
        done = await self._run(
            scripts.RELEASE,
            [self._keys.stream],
            [GROUP, token.entry_id, token.consumer, token.deliveries, to_ms(self._lease)],
        )
        self._check_held(done, "release", claimed)

    async def extend(self, claimed: ClaimedDelivery) -> None:
        token = _token(claimed)
        done = await self._run(
            scripts.EXTEND,
            [self._keys.stream],
            [GROUP, token.entry_id, token.consumer, token.deliveries],
        )
        self._check_held(done, "extend", claimed)

    def _check_held(self, done: int, what: str, claimed: ClaimedDelivery) -> None:
        # The lease ran out and another worker holds the delivery now (or already finished
        # it): its outcome decides, this one changes nothing.
        if not done:
            log.warning(
                "inbox %r: %s of delivery %s ignored: its lease ran out and another "
                "worker took it over",
                self.name,
                what,
                claimed.delivery.delivery_id,
            )

    async def stats(self) -> InboxStats:
        k = self._keys
        ready, leased, handled, dead = await self._run(
            scripts.STATS, [k.stream, k.delayed, k.dead, k.handled], [GROUP, to_ms(self._lease)]
        )
        return InboxStats(ready=ready, leased=leased, handled=handled, dead=dead)

    async def dead_letters(self, *, limit: int = 100) -> list[DeadLetter]:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise InvalidArgumentError(f"limit must be a positive integer, not {limit!r}")
        entries = await self._xrange(self._keys.dead, "-", limit)
        return [dead_letter_from_fields(field_map(fields)) for _, fields in entries]

    async def _xrange(self, key: str, start: str, count: int) -> list[tuple[bytes, Any]]:
        try:
            entries: Any = await self._conn.client().xrange(key, start, "+", count=count)
        except RedisError as exc:
            raise self._error("reading dead letters failed", exc) from exc
        return list(entries)

    async def replay_dead(self, delivery_ids: Iterable[str] | None = None) -> int:
        wanted = None if delivery_ids is None else _id_set(delivery_ids)
        replayed, start = 0, "-"
        while True:
            entries = await self._xrange(self._keys.dead, start, _BATCH)
            if not entries:
                return replayed
            chosen = [
                entry_id
                for entry_id, fields in entries
                if wanted is None or field_map(fields).get(b"id", b"").decode() in wanted
            ]
            if chosen:
                replayed += await self._run(
                    scripts.REPLAY, [self._keys.dead, self._keys.stream], chosen
                )
            start = "(" + entries[-1][0].decode()

    async def purge(self, *, older_than: float) -> int:
        """Forget handled deliveries finished more than `older_than` seconds ago (Redis
        time): their handled record and their dedup key. Bodies are not kept once
        handled, so this frees little; handled records older than `dedup_ttl` go by
        themselves."""
        age = to_ms(_non_negative("older_than", older_than))
        purged = 0
        while True:
            n: int = await self._run(
                scripts.PURGE, [self._keys.handled], [self._keys.seen_prefix, age, _BATCH]
            )
            purged += n
            if n < _BATCH:
                return purged

    async def aclose(self) -> None:
        try:
            await self._conn.aclose()
        except RedisError as exc:
            raise self._error("closing failed", exc) from exc


def _id_set(delivery_ids: Iterable[str]) -> set[str]:
    if isinstance(delivery_ids, str):
        raise InvalidArgumentError("delivery_ids must be a collection of ids, not one string")
    ids = set(delivery_ids)
    if not all(isinstance(i, str) for i in ids):
        raise InvalidArgumentError("delivery_ids must be strings")
    return ids


def _password(url: str) -> str | None:
    try:
        return urlsplit(url).password
    except ValueError:
        return None
