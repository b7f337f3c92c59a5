"""RedisInbox: the inbox contract on a real redis-server, plus what only Redis does
(the put script's atomicity, XAUTOCLAIM handover, the delayed set, the dead-letter
stream, trimming only acknowledged entries, a Redis that is down)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import pytest_asyncio
import redis.asyncio as aioredis

from ewh_webhooks import RedisInbox, Router, WebhookReceiver
from ewh_webhooks import redis as ewh_redis
from ewh_webhooks.errors import EWHError, InvalidArgumentError
from ewh_webhooks.inbox import ClaimedDelivery, Delivery, Inbox, InboxStats
from ewh_webhooks.redis import RedisStoreError, inbox_upkeep

from .inbox_contract import LEASE, InboxContract, MakeInbox, delivery, ids
from .receiver_helpers import SECRET, envelope, serve, signed
from .redis_server import RedisServer


class TestRedisInboxContract(InboxContract):
    @pytest_asyncio.fixture
    async def make_inbox(self, redis_url: str) -> AsyncIterator[MakeInbox]:
        opened: list[RedisInbox] = []

        async def make(*, lease: float = LEASE) -> Inbox:
            inbox = RedisInbox(redis_url, name="contract", lease=lease)
            opened.append(inbox)
            return inbox

        yield make
        for inbox in opened:
            await inbox.aclose()


@pytest_asyncio.fixture
async def raw(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    """A plain client, to look at what the inbox wrote."""
    client = aioredis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest_asyncio.fixture
async def make(redis_url: str) -> AsyncIterator[Callable[..., RedisInbox]]:
    opened: list[RedisInbox] = []

    def make(**options: object) -> RedisInbox:
        inbox = RedisInbox(redis_url, **options)  # type: ignore[arg-type]
        opened.append(inbox)
        return inbox

    yield make
    for inbox in opened:
        await inbox.aclose()


# -- storing ---------------------------------------------------------------------


async def test_concurrent_puts_of_one_id_from_fifty_connections_store_one_entry(
    make: Callable[..., RedisInbox], raw: aioredis.Redis
) -> None:
    handles = [make() for _ in range(50)]
    results = await asyncio.gather(*(h.put(delivery("same")) for h in handles))
    assert results.count(True) == 1
    assert await raw.xlen("ewh:stream") == 1
    assert await raw.pttl("ewh:seen:same") > 0


async def test_a_burst_of_puts_goes_out_in_a_few_pipelines_on_a_few_connections(
    make: Callable[..., RedisInbox], raw: aioredis.Redis
) -> None:
    inbox = make()
    before = len(await raw.client_list())
    results = await asyncio.gather(*(inbox.put(delivery(f"d{i}")) for i in range(300)))
    assert all(results)
    assert len(await raw.client_list()) - before <= 2
    assert await raw.xlen("ewh:stream") == 300


async def test_a_put_whose_caller_gave_up_is_stored_and_the_others_are_unaffected(
    make: Callable[..., RedisInbox], raw: aioredis.Redis
) -> None:
    inbox = make()
    puts = [asyncio.ensure_future(inbox.put(delivery(f"d{i}"))) for i in range(10)]
    await asyncio.sleep(0)
    puts[3].cancel()
    done = await asyncio.gather(*puts, return_exceptions=True)
    assert isinstance(done[3], asyncio.CancelledError)
    assert done[:3] + done[4:] == [True] * 9
    assert await raw.xlen("ewh:stream") == 10  # the sender's retry will be a duplicate
    assert not await inbox.put(delivery("d3"))


async def test_put_writes_the_entry_and_its_dedup_key_with_the_ttl(
    make: Callable[..., RedisInbox], raw: aioredis.Redis
) -> None:
    inbox = make(dedup_ttl=3600)
    sent = delivery("a", body=b"\x00\xff raw", received_at=1234.5)
    assert await inbox.put(sent)
    [(_, fields)] = await raw.xrange("ewh:stream")
    assert fields == {
        b"id": b"a",
        b"body": b"\x00\xff raw",
        b"headers": b'{"X-Hmac-Sha256":"c2lnbmF0dXJl","X-Webhook-Id":"a","Content-Type":"application/json"}',
        b"received": b"1234.5",
        b"attempts": b"0",
    }
    assert 3_590_000 < await raw.pttl("ewh:seen:a") <= 3_600_000


async def test_undecodable_header_bytes_and_error_messages_are_stored_not_refused(
    make: Callable[..., RedisInbox],
) -> None:
    # aiohttp turns header bytes that are not UTF-8 into lone surrogates.
    odd = Delivery(
        delivery_id="id-\udcff", body=b"{}", headers={"X-Webhook-Id": "id-\udcff"}, received_at=1.0
    )
    inbox = make()
    assert await inbox.put(odd)
    assert not await inbox.put(odd)
    [claimed] = await inbox.claim("w")
    assert claimed.delivery == odd
    await inbox.fail(claimed, error="ValueError: b'\udcff'")
    [dead] = await inbox.dead_letters()
    assert (dead.delivery, dead.error) == (odd, "ValueError: b'\\udcff'")
    assert await inbox.replay_dead(["id-\udcff"]) == 1


async def test_a_dedup_key_that_expired_lets_the_id_be_stored_again(
    make: Callable[..., RedisInbox],
) -> None:
    inbox = make(dedup_ttl=0.05)
    assert await inbox.put(delivery("a"))
    assert not await inbox.put(delivery("a"))
    await asyncio.sleep(0.1)
    assert await inbox.put(delivery("a"))


async def test_inboxes_with_other_names_share_nothing(make: Callable[..., RedisInbox]) -> None:
    one, two = make(name="one"), make(name="two")
    assert await one.put(delivery("a"))
    assert await two.put(delivery("a"))
    assert ids(await one.claim("w", limit=5)) == ["a"]
    assert ids(await two.claim("w", limit=5)) == ["a"]


# -- leases ----------------------------------------------------------------------


async def test_xautoclaim_hands_an_expired_lease_over_and_the_delivery_count_is_the_attempt(
    make: Callable[..., RedisInbox], raw: aioredis.Redis
) -> None:
    inbox = make(lease=0.1)
    await inbox.put(delivery("a"))
    [first] = await inbox.claim("dies")
    await asyncio.sleep(0.15)
    [second] = await inbox.claim("lives")
    await asyncio.sleep(0.15)
    [third] = await inbox.claim("lives-too")
    assert [c.attempt for c in (first, second, third)] == [1, 2, 3]
    [pending] = await raw.xpending_range("ewh:stream", "workers", "-", "+", 10)
    assert (pending["consumer"], pending["times_delivered"]) == (b"lives-too", 3)


async def test_claims_do_not_walk_the_pending_list_while_no_lease_ran_out(
    make: Callable[..., RedisInbox], raw: aioredis.Redis
) -> None:
    inbox = make()
    await asyncio.gather(*(inbox.put(delivery(f"d{i}")) for i in range(300)))
    assert len(await inbox.claim("w", limit=250)) == 250  # 250 leases held
    await raw.config_resetstat()
    for _ in range(10):
        assert len(await inbox.claim("w", limit=5)) == 5
    stats = await raw.info("commandstats")
    assert "cmdstat_xautoclaim" not in stats  # one XPENDING IDLE per claim said "none"


async def test_a_worker_whose_lease_ran_out_changes_nothing_but_may_still_ack(
    make: Callable[..., RedisInbox], caplog: pytest.LogCaptureFixture
) -> None:
    inbox = make(lease=0.1)
    await inbox.put(delivery("a"))
    [stale] = await inbox.claim("slow")
    await asyncio.sleep(0.15)
    [current] = await inbox.claim("fast")
    with caplog.at_level(logging.WARNING, "ewh_webhooks.inbox"):
        await inbox.retry(stale, delay=0, error="late")
        await inbox.fail(stale, error="late")
        await inbox.release(stale)
        await inbox.extend(stale)
    assert caplog.text.count("its lease ran out") == 4
    assert await inbox.stats() == InboxStats(ready=0, leased=1, handled=0, dead=0)
    # The slow handler did succeed: the delivery is done, and the other ack is a no-op.
    await inbox.ack(stale)
    await inbox.ack(current)
    assert await inbox.stats() == InboxStats(ready=0, leased=0, handled=1, dead=0)
    caplog.clear()
    with caplog.at_level(logging.WARNING, "ewh_webhooks.inbox"):
        await inbox.extend(current)  # a renewal racing the ack: nothing to warn about
    assert caplog.text == ""


async def test_a_claim_with_a_forged_token_is_refused(make: Callable[..., RedisInbox]) -> None:
    inbox = make()
    await inbox.put(delivery("a"))
    [claimed] = await inbox.claim("w")
    forged = ClaimedDelivery(delivery=claimed.delivery, attempt=1, token="1-0; DROP")
    for outcome in (inbox.ack, inbox.extend, inbox.release):
        with pytest.raises(InvalidArgumentError, match="not a lease token"):
            await outcome(forged)
    with pytest.raises(InvalidArgumentError, match="ClaimedDelivery"):
        await inbox.ack(claimed.delivery)  # type: ignore[arg-type]


# -- retries, dead letters, trimming ---------------------------------------------


async def test_a_retry_waits_in_the_delayed_set_scored_with_redis_time_then_returns(
    make: Callable[..., RedisInbox], raw: aioredis.Redis
) -> None:
    inbox = make()
    await inbox.put(delivery("a"))
    [claimed] = await inbox.claim("w")
    seconds, micros = await raw.time()
    await inbox.retry(claimed, delay=0.2, error="RuntimeError: down")
    assert await raw.xlen("ewh:stream") == 0
    [(entry_id, due)] = await raw.zrange("ewh:due", 0, -1, withscores=True)
    assert due == pytest.approx(seconds * 1000 + micros / 1000 + 200, abs=50)
    [(delayed_id, fields)] = await raw.xrange("ewh:delayed")
    assert delayed_id == entry_id
    assert (fields[b"attempts"], fields[b"error"]) == (b"1", b"RuntimeError: down")
    assert await inbox.claim("w") == []
    [again] = await inbox.claim("w", wait=2.0)  # woken by the due time, not the poll
    assert again.attempt == 2
    assert await raw.zcard("ewh:due") == 0
    assert await raw.xlen("ewh:delayed") == 0


async def test_many_due_retries_all_come_back(make: Callable[..., RedisInbox]) -> None:
    inbox = make()
    # more than one claim moves at once
    await asyncio.gather(*(inbox.put(delivery(f"d{i}")) for i in range(250)))
    claimed = await inbox.claim("w", limit=250)
    await asyncio.gather(*(inbox.retry(c, delay=0, error="boom") for c in claimed))
    again = await inbox.claim("w", limit=250)
    again += await inbox.claim("w", limit=250)
    again += await inbox.claim("w", limit=250)
    assert sorted(ids(again)) == sorted(f"d{i}" for i in range(250))
    assert {c.attempt for c in again} == {2}


async def test_the_dead_letter_stream_holds_the_delivery_its_error_and_attempts(
    make: Callable[..., RedisInbox], raw: aioredis.Redis
) -> None:
    inbox = make()
    await inbox.put(delivery("a", body=b"\x00 body"))
    for attempt in (1, 2):
        [claimed] = await inbox.claim("w")
        await inbox.retry(claimed, delay=0, error=f"error {attempt}")
    [claimed] = await inbox.claim("w")
    seconds, _ = await raw.time()
    await inbox.fail(claimed, error="ValueError: last")
    [(_, fields)] = await raw.xrange("ewh:dead")
    assert fields[b"id"] == b"a"
    assert fields[b"body"] == b"\x00 body"
    assert (fields[b"attempts"], fields[b"error"]) == (b"3", b"ValueError: last")
    assert int(fields[b"failed"]) // 1000 in (seconds, seconds + 1)
    assert await raw.xlen("ewh:stream") == 0
    assert await raw.xpending("ewh:stream", "workers") == {
        "pending": 0, "min": None, "max": None, "consumers": [],
    }  # fmt: skip


async def test_the_stream_loses_only_acknowledged_entries(
    make: Callable[..., RedisInbox], raw: aioredis.Redis
) -> None:
    inbox = make()
    for i in range(10):
        await inbox.put(delivery(f"d{i}"))
    claimed = await inbox.claim("w", limit=6)
    for c in claimed[::2]:
        await inbox.ack(c)
    assert await raw.xlen("ewh:stream") == 7  # 4 never claimed + 3 leased
    left = {f[b"id"].decode() for _, f in await raw.xrange("ewh:stream")}
    assert left == {"d1", "d3", "d5", "d6", "d7", "d8", "d9"}
    assert await raw.zcard("ewh:handled") == 3
    for c in claimed[1::2]:
        await inbox.release(c)
    assert sorted(ids(await inbox.claim("w", limit=10))) == sorted(left)


async def test_purge_forgets_handled_records_and_their_dedup_keys(
    make: Callable[..., RedisInbox], raw: aioredis.Redis
) -> None:
    inbox = make()
    # more than one purge batch
    await asyncio.gather(*(inbox.put(delivery(f"d{i}")) for i in range(600)))
    await asyncio.gather(*(inbox.ack(c) for c in await inbox.claim("w", limit=600)))
    assert await inbox.purge(older_than=60) == 0
    assert await inbox.purge(older_than=0) == 600
    assert await raw.zcard("ewh:handled") == 0
    assert await raw.keys("ewh:seen:*") == []


async def test_purge_deletes_consumers_left_idle_by_gone_workers_but_none_with_leases(
    make: Callable[..., RedisInbox], raw: aioredis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inbox_upkeep, "CONSUMER_MAX_IDLE", 0.1)
    inbox = make()
    for i in "abc":
        await inbox.put(delivery(i))
    [held] = await inbox.claim("holds-a-lease")
    [done] = await inbox.claim("gone")
    await inbox.ack(done)
    await asyncio.sleep(0.15)
    [recent] = await inbox.claim("live")
    await inbox.ack(recent)
    await inbox.purge(older_than=0)
    names = {c["name"] for c in await raw.xinfo_consumers("ewh:stream", "workers")}
    assert names == {b"holds-a-lease", b"live"}
    await inbox.ack(held)


async def test_handled_records_older_than_the_dedup_window_go_by_themselves(
    make: Callable[..., RedisInbox],
) -> None:
    inbox = make(dedup_ttl=0.1)
    await inbox.put(delivery("old"))
    [old] = await inbox.claim("w")
    await inbox.ack(old)
    await asyncio.sleep(0.15)
    await inbox.put(delivery("new"))
    [new] = await inbox.claim("w")
    await inbox.ack(new)
    assert (await inbox.stats()).handled == 1


async def test_an_entry_not_written_by_the_inbox_is_skipped_and_logged(
    make: Callable[..., RedisInbox], raw: aioredis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    inbox = make()
    await raw.xadd("ewh:stream", {"something": "else"})
    await inbox.put(delivery("a"))
    with caplog.at_level(logging.ERROR, "ewh_webhooks.inbox"):
        assert ids(await inbox.claim("w", limit=5)) == ["a"]
    assert "skipped" in caplog.text
    assert "not written by RedisInbox" in caplog.text


# -- Redis down, settings ---------------------------------------------------------


async def test_a_redis_that_is_down_raises_our_error_with_the_password_redacted(
    redis_server_factory: Callable[[], RedisServer],
) -> None:
    server = redis_server_factory()
    url = f"redis://user:s3cret-pw@127.0.0.1:{server.port}/0"
    inbox = RedisInbox(url, timeout=1.0)
    server.stop()
    try:
        calls: list[Callable[[], Awaitable[object]]] = [
            lambda: inbox.put(delivery("a")),
            lambda: inbox.claim("w", wait=0.5),
            inbox.stats,
            inbox.dead_letters,
        ]
        for call in calls:
            with pytest.raises(RedisStoreError) as caught:
                await call()
            assert isinstance(caught.value, EWHError)
            message = str(caught.value)
            assert "redis://user:***@127.0.0.1" in message
            assert "s3cret-pw" not in message
            assert "Connection" in message
    finally:
        await inbox.aclose()


async def test_a_receiver_answers_503_while_redis_is_down_and_200_once_it_is_back(
    redis_server_factory: Callable[[], RedisServer],
) -> None:
    server = redis_server_factory()
    inbox = RedisInbox(server.url, timeout=1.0)
    receiver = WebhookReceiver(secret=SECRET, router=Router(), inbox=inbox, workers=0)
    body = envelope()
    async with serve(receiver) as served:
        assert await served.post(body, signed(body, "evt-1")) == (200, {"status": "accepted"})
        server.stop()
        status, answer = await served.post(body, signed(body, "evt-2"))
        assert (status, answer["retry_after"]) == (503, "5")  # nothing acknowledged
        server.start()
        assert await served.post(body, signed(body, "evt-2")) == (200, {"status": "accepted"})
        assert await served.post(body, signed(body, "evt-1")) == (200, {"status": "duplicate"})
    assert sorted(ids(await inbox.claim("w", limit=5))) == ["evt-1", "evt-2"]
    await inbox.aclose()


async def test_after_a_redis_restart_the_inbox_reconnects_and_kept_its_data(
    redis_server_factory: Callable[[], RedisServer],
) -> None:
    server = redis_server_factory()
    inbox = RedisInbox(server.url)
    try:
        assert await inbox.put(delivery("a"))
        server.stop()
        server.start()  # the AOF brings the delivery back; the pooled socket is dead
        assert not await inbox.put(delivery("a"))
        assert ids(await inbox.claim("w")) == ["a"]
    finally:
        await inbox.aclose()


def test_constructing_needs_no_loop_and_the_repr_hides_the_password() -> None:
    assert RedisInbox is ewh_redis.RedisInbox  # the same class from both packages
    inbox = RedisInbox("redis://:hunter2@localhost:6379/0", name="hooks", lease=5)
    assert "hunter2" not in repr(inbox)
    assert repr(inbox) == "RedisInbox('redis://:***@localhost:6379/0', name='hooks', lease=5.0)"
    assert inbox.lease == 5.0


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("http://localhost",), "must start with redis://"),
        (("",), "Redis URL"),
        (("redis://x", ""), "name"),
        (("redis://x", " ewh"), "name"),
        (("redis://x", "ewh", 0), "lease"),
        (("redis://x", "ewh", float("nan")), "lease"),
        (("redis://x", "ewh", True), "lease"),
    ],
)
def test_bad_settings_are_refused(args: tuple[object, ...], match: str) -> None:
    with pytest.raises(InvalidArgumentError, match=match):
        RedisInbox(*args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("option", "value"),
    [("dedup_ttl", 0), ("timeout", -1.0), ("max_connections", 1), ("max_connections", 2.0)],
)
def test_bad_options_are_refused(option: str, value: object) -> None:
    with pytest.raises(InvalidArgumentError, match=option):
        RedisInbox("redis://x", **{option: value})  # type: ignore[arg-type]


async def test_a_claim_waiting_for_deliveries_never_holds_up_a_put(
    make: Callable[..., RedisInbox],
) -> None:
    inbox = make(max_connections=2)  # one for the pipeline, one for a blocking read
    waiting = asyncio.ensure_future(inbox.claim("w", wait=5.0))
    await asyncio.sleep(0.05)
    async with asyncio.timeout(0.5):  # a blocking read slice lasts up to a second
        assert await inbox.put(delivery("a"))
    assert ids(await waiting) == ["a"]


async def test_bad_arguments_are_refused_before_redis_is_asked() -> None:
    inbox = RedisInbox("redis://127.0.0.1:1/0")  # nothing listens there
    with pytest.raises(InvalidArgumentError, match="Delivery"):
        await inbox.put(b"body")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="consumer"):
        await inbox.claim("")
    with pytest.raises(InvalidArgumentError, match="limit"):
        await inbox.claim("w", limit=0)
    with pytest.raises(InvalidArgumentError, match="wait"):
        await inbox.claim("w", wait=-1)
    with pytest.raises(InvalidArgumentError, match="older_than"):
        await inbox.purge(older_than=float("inf"))
    with pytest.raises(InvalidArgumentError, match="one string"):
        await inbox.replay_dead("abc")
    with pytest.raises(InvalidArgumentError, match="limit"):
        await inbox.dead_letters(limit=0)
