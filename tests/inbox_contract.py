"""The contract every `Inbox` backend keeps, as one reusable test class.

A backend plugs in with a few lines:

    class TestMyInbox(InboxContract):
        @pytest_asyncio.fixture
        async def make_inbox(self, contract_clock) -> AsyncIterator[MakeInbox]:
            opened = []

            async def make(*, lease: float = LEASE) -> Inbox:
                inbox = MyInbox(..., lease=lease)     # the same store on every call
                opened.append(inbox)
                return inbox

            yield make
            for inbox in opened:
                await inbox.aclose()

Each call of `make_inbox` inside one test opens another handle on the SAME store (as
another process would), and each test gets an empty store. Time moves through the
`contract_clock` fixture: real sleeps by default (Redis server time cannot be faked),
so leases stay around 0.2 s; a backend with an injectable clock overrides
`contract_clock` with `FakeContractClock` and passes its `now` to the backend.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable
from typing import Protocol

import pytest
import pytest_asyncio

from ewh_webhooks import InvalidArgumentError
from ewh_webhooks.inbox import ClaimedDelivery, DeadLetter, Delivery, Inbox, InboxStats

__all__ = [
    "LEASE",
    "ContractClock",
    "FakeContractClock",
    "InboxContract",
    "MakeInbox",
    "RealContractClock",
    "delivery",
]

LEASE = 0.2  # seconds: short, since a backend may only know real time


class MakeInbox(Protocol):
    def __call__(self, *, lease: float = LEASE) -> Awaitable[Inbox]: ...


class ContractClock(Protocol):
    def now(self) -> float: ...

    async def advance(self, seconds: float) -> None: ...


class RealContractClock:
    """Real time: `advance` sleeps."""

    def now(self) -> float:
        return time.time()

    async def advance(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class FakeContractClock:
    """Wall time that moves only when a test advances it: pass `now` to the backend."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.time = start

    def now(self) -> float:
        return self.time

    async def advance(self, seconds: float) -> None:
        self.time += seconds
        await asyncio.sleep(0)


def delivery(delivery_id: str, *, body: bytes | None = None, received_at: float = 1.5) -> Delivery:
    return Delivery(
        delivery_id=delivery_id,
        body=body
        if body is not None
        else b'{"group":"order","action":"shipped","id":"%s"}' % delivery_id.encode(),
        headers={
            "X-Hmac-Sha256": "c2lnbmF0dXJl",
            "X-Webhook-Id": delivery_id,
            "Content-Type": "application/json",
        },
        received_at=received_at,
    )


def ids(claimed: list[ClaimedDelivery]) -> list[str]:
    return [c.delivery.delivery_id for c in claimed]


def same_delivery(got: Delivery, sent: Delivery) -> bool:
    return (
        got.delivery_id == sent.delivery_id
        and bytes(got.body) == sent.body
        and dict(got.headers) == dict(sent.headers)
        and got.received_at == pytest.approx(sent.received_at, abs=1e-6)
    )


async def put_all(inbox: Inbox, *delivery_ids: str) -> None:
    for delivery_id in delivery_ids:
        assert await inbox.put(delivery(delivery_id))


class InboxContract:
    """The tests; subclasses provide `make_inbox` (and may override `contract_clock`)."""

    @pytest.fixture
    def contract_clock(self) -> ContractClock:
        return RealContractClock()

    @pytest_asyncio.fixture
    async def make_inbox(self, contract_clock: ContractClock) -> AsyncIterator[MakeInbox]:
        raise NotImplementedError("a backend's test class provides make_inbox")
        yield  # pragma: no cover

    @pytest_asyncio.fixture
    async def inbox(self, make_inbox: MakeInbox) -> Inbox:
        return await make_inbox()

    # -- storing and deduplicating ------------------------------------------------

    async def test_is_an_inbox_with_the_lease_it_was_given(self, make_inbox: MakeInbox) -> None:
        inbox = await make_inbox(lease=0.5)
        assert isinstance(inbox, Inbox)
        assert inbox.lease == 0.5

    async def test_put_stores_once_and_a_repeated_id_returns_false(self, inbox: Inbox) -> None:
        assert await inbox.put(delivery("a")) is True
        assert await inbox.put(delivery("a", body=b"{}")) is False
        assert await inbox.put(delivery("b")) is True
        stats = await inbox.stats()
        assert (stats.ready, stats.total) == (2, 2)

    async def test_a_repeated_id_is_refused_through_another_handle(
        self, make_inbox: MakeInbox
    ) -> None:
        first, second = await make_inbox(), await make_inbox()
        assert await first.put(delivery("a"))
        assert not await second.put(delivery("a"))

    async def test_concurrent_puts_of_one_id_store_it_exactly_once(
        self, make_inbox: MakeInbox
    ) -> None:
        handles = [await make_inbox(), await make_inbox()]
        results = await asyncio.gather(*(handles[i % 2].put(delivery("same")) for i in range(20)))
        assert results.count(True) == 1
        claimed = await handles[0].claim("c", limit=10)
        assert ids(claimed) == ["same"]

    async def test_concurrent_puts_of_different_ids_are_all_stored(self, inbox: Inbox) -> None:
        results = await asyncio.gather(*(inbox.put(delivery(f"d{i}")) for i in range(200)))
        assert all(results)
        assert (await inbox.stats()).ready == 200

    async def test_put_is_visible_to_claim_with_everything_it_stored(self, inbox: Inbox) -> None:
        sent = delivery("a", body=b'{"x": "\xc3\xa9"}\x00\xff', received_at=1234.25)
        assert await inbox.put(sent)
        [claimed] = await inbox.claim("worker-1")
        assert same_delivery(claimed.delivery, sent)
        assert claimed.attempt == 1

    # -- claiming and leases -------------------------------------------------------

    async def test_claim_respects_limit_and_hands_out_the_oldest_first(self, inbox: Inbox) -> None:
        await put_all(inbox, "a", "b", "c", "d", "e")
        assert ids(await inbox.claim("w", limit=2)) == ["a", "b"]
        assert ids(await inbox.claim("w")) == ["c"]
        assert ids(await inbox.claim("w", limit=10)) == ["d", "e"]
        assert await inbox.claim("w", limit=10) == []

    async def test_claim_of_an_empty_inbox_returns_nothing(self, inbox: Inbox) -> None:
        assert await inbox.claim("w", limit=5) == []

    async def test_concurrent_claims_never_hand_one_delivery_to_two_consumers(
        self, make_inbox: MakeInbox
    ) -> None:
        handles = [await make_inbox(), await make_inbox()]
        await put_all(handles[0], *(f"d{i:02}" for i in range(30)))
        batches = await asyncio.gather(*(handles[i % 2].claim(f"w{i}", limit=3) for i in range(15)))
        claimed = [d for batch in batches for d in ids(batch)]
        assert sorted(claimed) == [f"d{i:02}" for i in range(30)]

    async def test_a_leased_delivery_goes_to_another_consumer_once_the_lease_runs_out(
        self, make_inbox: MakeInbox, contract_clock: ContractClock
    ) -> None:
        first, second = await make_inbox(), await make_inbox()
        await put_all(first, "a")
        [claimed] = await first.claim("dead-worker")
        assert await second.claim("live-worker") == []  # leased
        await contract_clock.advance(LEASE * 1.5)
        [again] = await second.claim("live-worker")
        assert again.delivery.delivery_id == "a"
        assert (claimed.attempt, again.attempt) == (1, 2)
        await second.ack(again)
        await contract_clock.advance(LEASE * 1.5)
        assert await first.claim("any") == []

    async def test_extend_renews_the_lease(
        self, make_inbox: MakeInbox, contract_clock: ContractClock
    ) -> None:
        first, second = await make_inbox(), await make_inbox()
        await put_all(first, "a")
        [claimed] = await first.claim("slow-worker")
        for _ in range(3):  # 1.8 leases in all, never more than 0.6 since the last renewal
            await contract_clock.advance(LEASE * 0.6)
            await first.extend(claimed)
        assert await second.claim("other") == []
        await contract_clock.advance(LEASE * 1.5)
        assert ids(await second.claim("other")) == ["a"]

    async def test_claim_waits_for_a_delivery_to_arrive(self, make_inbox: MakeInbox) -> None:
        waiting, putting = await make_inbox(), await make_inbox()
        await waiting.claim("w")  # opened before the clock starts

        async def put_later() -> None:
            await asyncio.sleep(0.05)
            await putting.put(delivery("late"))

        started = time.monotonic()
        claimed, _ = await asyncio.gather(waiting.claim("w", wait=5.0), put_later())
        assert ids(claimed) == ["late"]
        assert time.monotonic() - started < 2.0

    async def test_claim_with_a_wait_returns_empty_when_nothing_arrives(self, inbox: Inbox) -> None:
        started = time.monotonic()
        assert await inbox.claim("w", wait=0.1) == []
        assert 0.05 <= time.monotonic() - started < 2.0

    # -- outcomes ------------------------------------------------------------------

    async def test_ack_removes_a_delivery_for_good(
        self, inbox: Inbox, contract_clock: ContractClock
    ) -> None:
        await put_all(inbox, "a")
        [claimed] = await inbox.claim("w")
        await inbox.ack(claimed)
        await contract_clock.advance(LEASE * 1.5)
        assert await inbox.claim("w") == []
        assert await inbox.stats() == InboxStats(ready=0, leased=0, handled=1, dead=0)
        assert not await inbox.put(delivery("a"))  # still deduplicated

    async def test_retry_hands_the_delivery_out_again_after_the_delay(
        self, inbox: Inbox, contract_clock: ContractClock
    ) -> None:
        await put_all(inbox, "a")
        [claimed] = await inbox.claim("w")
        await inbox.retry(claimed, delay=LEASE, error="RuntimeError: database down")
        assert await inbox.claim("w") == []
        assert (await inbox.stats()).ready == 1
        await contract_clock.advance(LEASE * 1.5)
        [again] = await inbox.claim("w")
        assert again.attempt == 2
        assert again.delivery.delivery_id == "a"

    async def test_retry_without_delay_is_due_at_once(self, inbox: Inbox) -> None:
        await put_all(inbox, "a")
        [claimed] = await inbox.claim("w")
        await inbox.retry(claimed, delay=0.0, error="boom")
        [again] = await inbox.claim("w")
        assert again.attempt == 2

    async def test_fail_moves_the_delivery_to_the_dead_letters_with_its_error(
        self, inbox: Inbox, contract_clock: ContractClock
    ) -> None:
        sent = delivery("a")
        assert await inbox.put(sent)
        [claimed] = await inbox.claim("w")
        await inbox.retry(claimed, delay=0.0, error="first")
        [claimed] = await inbox.claim("w")
        await inbox.fail(claimed, error="ValueError: bad order")
        await contract_clock.advance(LEASE * 1.5)
        assert await inbox.claim("w") == []
        [dead] = await inbox.dead_letters()
        assert isinstance(dead, DeadLetter)
        assert same_delivery(dead.delivery, sent)
        assert (dead.attempts, dead.error) == (2, "ValueError: bad order")
        assert dead.failed_at > 0
        assert not await inbox.put(delivery("a"))  # a dead letter still deduplicates

    async def test_release_gives_a_delivery_back_without_counting_an_attempt(
        self, make_inbox: MakeInbox
    ) -> None:
        first, second = await make_inbox(), await make_inbox()
        await put_all(first, "a")
        [claimed] = await first.claim("stopping-worker")
        await first.release(claimed)
        [again] = await second.claim("other")  # due at once, lease or not
        assert again.attempt == 1
        await second.retry(again, delay=0.0, error="boom")
        [third] = await second.claim("other")
        await second.release(third)
        assert [c.attempt for c in await first.claim("w")] == [2]

    # -- inspection and recovery ---------------------------------------------------

    async def test_stats_count_deliveries_by_state(self, inbox: Inbox) -> None:
        await put_all(inbox, "handled", "dead", "leased", "ready")
        handled, dead, leased = await inbox.claim("w", limit=3)
        await inbox.ack(handled)
        await inbox.fail(dead, error="boom")
        stats = await inbox.stats()
        assert stats == InboxStats(ready=1, leased=1, handled=1, dead=1)
        assert stats.total == 4
        await inbox.release(leased)
        assert (await inbox.stats()).ready == 2

    async def test_dead_letters_come_oldest_first_up_to_the_limit(
        self, inbox: Inbox, contract_clock: ContractClock
    ) -> None:
        await put_all(inbox, "a", "b", "c")
        for claimed in await inbox.claim("w", limit=3):
            await inbox.fail(claimed, error=f"error {claimed.delivery.delivery_id}")
            await contract_clock.advance(0.01)
        assert [d.delivery.delivery_id for d in await inbox.dead_letters(limit=2)] == ["a", "b"]
        letters = await inbox.dead_letters()
        assert [d.error for d in letters] == ["error a", "error b", "error c"]
        assert letters[0].failed_at <= letters[1].failed_at <= letters[2].failed_at

    async def test_replay_dead_brings_back_every_dead_letter_with_attempts_reset(
        self, inbox: Inbox
    ) -> None:
        await put_all(inbox, "a", "b", "live")
        a, b = await inbox.claim("w", limit=2)
        await inbox.fail(a, error="boom")
        await inbox.fail(b, error="boom")
        assert await inbox.replay_dead() == 2
        assert await inbox.dead_letters() == []
        assert await inbox.replay_dead() == 0
        replayed = await inbox.claim("w", limit=3)
        assert sorted(ids(replayed)) == ["a", "b", "live"]
        assert [c.attempt for c in replayed] == [1, 1, 1]

    async def test_replay_dead_by_id_brings_back_only_those(self, inbox: Inbox) -> None:
        await put_all(inbox, "a", "b", "c")
        for claimed in await inbox.claim("w", limit=3):
            await inbox.fail(claimed, error="boom")
        assert await inbox.replay_dead(["b", "unknown"]) == 1
        assert await inbox.replay_dead([]) == 0
        assert [d.delivery.delivery_id for d in await inbox.dead_letters()] == ["a", "c"]
        [claimed] = await inbox.claim("w", limit=5)
        assert (claimed.delivery.delivery_id, claimed.attempt) == ("b", 1)

    async def test_replay_dead_refuses_one_string_for_a_collection_of_ids(
        self, inbox: Inbox
    ) -> None:
        await put_all(inbox, "a", "b", "c", "abc")
        for claimed in await inbox.claim("w", limit=4):
            await inbox.fail(claimed, error="boom")
        with pytest.raises(InvalidArgumentError, match="not one string"):
            await inbox.replay_dead("abc")  # not the ids "a", "b" and "c"
        assert len(await inbox.dead_letters()) == 4

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"delivery_id": ""}, "non-empty string delivery_id"),
            ({"delivery_id": 5}, "non-empty string delivery_id"),
            ({"body": "text"}, "raw bytes"),
            ({"headers": {"X-Webhook-Id": 1}}, "map str to str"),
        ],
    )
    async def test_put_refuses_a_delivery_it_could_not_store_faithfully(
        self, inbox: Inbox, changes: dict[str, object], message: str
    ) -> None:
        fields: dict[str, object] = {
            "delivery_id": "d",
            "body": b"{}",
            "headers": {},
            "received_at": 1.0,
        }
        fields.update(changes)
        with pytest.raises(InvalidArgumentError, match=message):
            await inbox.put(Delivery(**fields))  # type: ignore[arg-type]
        with pytest.raises(InvalidArgumentError, match="takes a Delivery"):
            await inbox.put(fields)  # type: ignore[arg-type]
        assert (await inbox.stats()).total == 0

    async def test_purge_deletes_handled_deliveries_older_than_the_retention(
        self, inbox: Inbox, contract_clock: ContractClock
    ) -> None:
        await put_all(inbox, "old", "new", "dead", "ready")
        old, new, dead = await inbox.claim("w", limit=3)
        await inbox.ack(old)
        await inbox.fail(dead, error="boom")
        await contract_clock.advance(LEASE * 2)
        await inbox.ack(new)
        assert await inbox.purge(older_than=LEASE) == 1
        assert await inbox.stats() == InboxStats(ready=1, leased=0, handled=1, dead=1)
        assert await inbox.purge(older_than=LEASE) == 0
        # Dedup lasts as long as the stored delivery: a purged id is new again.
        assert await inbox.put(delivery("old"))
        assert not await inbox.put(delivery("new"))
        assert not await inbox.put(delivery("dead"))

    # -- lifecycle -----------------------------------------------------------------

    async def test_aclose_then_reuse_opens_again_and_keeps_the_data(
        self, make_inbox: MakeInbox
    ) -> None:
        inbox = await make_inbox()
        await inbox.aclose()  # never opened: nothing to do
        await put_all(inbox, "a")
        await inbox.aclose()
        await inbox.aclose()
        assert ids(await inbox.claim("w")) == ["a"]
        assert not await inbox.put(delivery("a"))

    async def test_constructed_outside_a_running_loop_and_used_in_two_loops(
        self, make_inbox: MakeInbox
    ) -> None:
        inbox = await make_inbox()
        await put_all(inbox, "a")
        await inbox.aclose()

        def in_a_new_loop() -> list[str]:
            async def use() -> list[str]:
                try:
                    return ids(await inbox.claim("w"))
                finally:
                    await inbox.aclose()

            return asyncio.run(use())

        assert await asyncio.to_thread(in_a_new_loop) == ["a"]
