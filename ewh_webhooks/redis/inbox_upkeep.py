"""Inspection and recovery of a `RedisInbox`: counts by state, dead letters and
their replay, and the purge of handled records and of consumers long gone."""

from __future__ import annotations

from collections.abc import Iterable

from ..inbox.protocol import DeadLetter, InboxStats, check_delivery_ids
from ..validation import check_positive_int, check_seconds
from . import inbox_upkeep_scripts as upkeep
from .inbox_io import InboxRedis
from .inbox_layout import GROUP, InboxKeys, dead_letter_from_fields, field_map, to_ms

__all__ = ["CONSUMER_MAX_IDLE", "InboxUpkeep"]

# A consumer (one per worker process) idle this long with nothing pending is gone:
# live workers read at least every second.
CONSUMER_MAX_IDLE = 3600.0
# Entries per round trip when listing dead letters or purging.
_BATCH = 500


class InboxUpkeep:
    """The inbox's maintenance calls, over its connection and keys."""

    def __init__(self, redis: InboxRedis, keys: InboxKeys, lease: float) -> None:
        self._redis = redis
        self._keys = keys
        self._lease = lease

    async def stats(self) -> InboxStats:
        """Deliveries by state; a lease that ran out counts as ready."""
        k = self._keys
        ready, leased, handled, dead = await self._redis.run(
            upkeep.STATS, [k.stream, k.delayed, k.dead, k.handled], [GROUP, to_ms(self._lease)]
        )
        return InboxStats(ready=ready, leased=leased, handled=handled, dead=dead)

    async def dead_letters(self, *, limit: int = 100) -> list[DeadLetter]:
        """The oldest dead letters first, with their last error and attempts."""
        check_positive_int(limit, "limit")
        entries = await self._redis.xrange(self._keys.dead, "-", limit)
        return [dead_letter_from_fields(field_map(fields)) for _, fields in entries]

    async def replay_dead(self, delivery_ids: Iterable[str] | None = None) -> int:
        """Move dead letters (all, or those ids) back to be handled, attempts reset;
        return how many."""
        wanted = None if delivery_ids is None else check_delivery_ids(delivery_ids)
        replayed, start = 0, "-"
        while True:
            entries = await self._redis.xrange(self._keys.dead, start, _BATCH)
            if not entries:
                return replayed
            chosen = [
                entry_id
                for entry_id, fields in entries
                if wanted is None
                or field_map(fields).get(b"id", b"").decode("utf-8", "surrogatepass") in wanted
            ]
            if chosen:
                replayed += await self._redis.run(
                    upkeep.REPLAY, [self._keys.dead, self._keys.stream], chosen
                )
            start = "(" + entries[-1][0].decode()

    async def purge(self, *, older_than: float) -> int:
        """Forget handled deliveries finished more than `older_than` seconds ago (Redis
        time): their handled record and their dedup key. Bodies are not kept once
        handled, so this frees little; handled records older than `dedup_ttl` go by
        themselves. Also deletes the group's consumers left behind by worker processes
        gone for longer (at least an hour) with nothing pending."""
        age = to_ms(check_seconds(older_than, "older_than", allow_zero=True))
        await self._redis.run(
            upkeep.PRUNE_CONSUMERS,
            [self._keys.stream],
            [GROUP, max(age, to_ms(CONSUMER_MAX_IDLE))],
        )
        purged = 0
        while True:
            n: int = await self._redis.run(
                upkeep.PURGE, [self._keys.handled], [self._keys.seen_prefix, age, _BATCH]
            )
            purged += n
            if n < _BATCH:
                return purged
