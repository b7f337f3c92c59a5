"""`RedisDedupStore` on a real Redis: the pending/done states, TTLs, namespacing,
errors of our own when Redis is away, and two receivers that share it."""

from __future__ import annotations

import asyncio
import socket
from collections import Counter
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from aiohttp import web

from ewh_webhooks import DedupState, DedupStore, EWHError, InvalidArgumentError, WebhookEvent
from ewh_webhooks.receiver import WebhookReceiver
from ewh_webhooks.redis import RedisDedupStore, RedisStoreError
from ewh_webhooks.routing import Router
from ewh_webhooks.testing import EWHEmulator


@pytest.fixture
async def store(redis_url: str) -> AsyncIterator[RedisDedupStore]:
    store = RedisDedupStore(redis_url)
    yield store
    await store.aclose()


@pytest.fixture
async def raw(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.from_url(redis_url)
    yield client
    await client.aclose()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_a_delivery_goes_new_pending_done(store: RedisDedupStore) -> None:
    assert isinstance(store, DedupStore)
    assert await store.claim("d1") is DedupState.NEW
    assert await store.claim("d1") is DedupState.PENDING
    await store.complete("d1")
    assert await store.claim("d1") is DedupState.DONE
    assert await store.claim("d2") is DedupState.NEW


async def test_release_forgets_a_pending_claim_but_not_a_handled_one(
    store: RedisDedupStore,
) -> None:
    assert await store.claim("d1") is DedupState.NEW
    await store.release("d1")
    assert await store.claim("d1") is DedupState.NEW  # the sender's retry is handled again
    await store.complete("d1")
    await store.release("d1")
    assert await store.claim("d1") is DedupState.DONE
    await store.release("never-seen")


async def test_every_key_is_namespaced_and_expires(redis_url: str, raw: aioredis.Redis) -> None:
    store = RedisDedupStore(redis_url, ttl=600, key_prefix="app1:")
    try:
        await store.claim("d1", pending_ttl=30)
        assert await raw.keys("*") == [b"app1:d1"]
        assert 29_000 < await raw.pttl("app1:d1") <= 30_000
        await store.complete("d1")
        assert 599_000 < await raw.pttl("app1:d1") <= 600_000
    finally:
        await store.aclose()
    other = RedisDedupStore(redis_url, key_prefix="app2:")
    try:
        assert await other.claim("d1") is DedupState.NEW  # another namespace
    finally:
        await other.aclose()


async def test_a_pending_claim_lapses_after_pending_ttl(store: RedisDedupStore) -> None:
    # The handler's process died: after pending_ttl a redelivery is handled again.
    assert await store.claim("d1", pending_ttl=0.05) is DedupState.NEW
    await asyncio.sleep(0.1)
    assert await store.claim("d1") is DedupState.NEW


async def test_of_many_concurrent_claims_across_stores_exactly_one_wins(redis_url: str) -> None:
    stores = [RedisDedupStore(redis_url) for _ in range(4)]
    try:
        for delivery in range(20):
            states = await asyncio.gather(
                *(s.claim(f"d{delivery}") for s in stores for _ in range(5))
            )
            assert Counter(states)[DedupState.NEW] == 1
    finally:
        for s in stores:
            await s.aclose()


async def test_redis_away_is_a_redis_store_error_without_the_password() -> None:
    store = RedisDedupStore(f"redis://user:pw-SECRET@127.0.0.1:{_closed_port()}/0", timeout=0.5)
    try:
        for call in (store.claim, store.complete, store.release):
            with pytest.raises(RedisStoreError) as info:
                await call("d1")
            assert isinstance(info.value, EWHError)
            assert "'d1'" in str(info.value)
            assert "user:***@127.0.0.1" in str(info.value)
            assert "pw-SECRET" not in str(info.value)
            assert info.value.__cause__ is None
    finally:
        await store.aclose()
    assert "pw-SECRET" not in repr(store)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ttl": 0}, "ttl must be a finite number > 0"),
        ({"ttl": float("inf")}, "ttl must be a finite number > 0"),
        ({"timeout": -1}, "timeout must be a finite number > 0"),
        ({"key_prefix": None}, "key_prefix must be a string"),
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        RedisDedupStore("redis://localhost:6379/0", **kwargs)  # type: ignore[arg-type]


async def test_bad_arguments_are_refused_before_redis(store: RedisDedupStore) -> None:
    with pytest.raises(InvalidArgumentError, match="pending_ttl"):
        await store.claim("d1", pending_ttl=0)
    with pytest.raises(InvalidArgumentError, match="delivery id"):
        await store.claim("")
    with pytest.raises(InvalidArgumentError, match="delivery id"):
        await store.claim("   ")
    with pytest.raises(InvalidArgumentError, match="max_connections"):
        RedisDedupStore("redis://localhost:6379/0", max_connections=0)


async def test_two_receivers_sharing_the_store_handle_each_delivery_once(redis_url: str) -> None:
    handled: Counter[str] = Counter()
    router = Router()

    @router.on()
    async def count(event: WebhookEvent) -> None:
        assert event.delivery_id is not None
        handled[event.delivery_id] += 1

    stores = [RedisDedupStore(redis_url), RedisDedupStore(redis_url)]
    receivers = [WebhookReceiver(secret="s3cret", router=router, dedup=s) for s in stores]
    runners = []
    async with EWHEmulator() as emu:
        try:
            for receiver in receivers:
                runner = web.AppRunner(receiver.app("/hooks"))
                await runner.setup()
                site = web.TCPSite(runner, "127.0.0.1", 0)
                await site.start()
                runners.append(runner)
                host, port = runner.addresses[0][:2]
                for copy in ("a", "b"):  # two webhooks each: four concurrent posts per id
                    emu.state.add_webhook(
                        emu.customer_code,
                        url=f"http://{host}:{port}/hooks?{copy}",
                        group="order",
                        action="shipped",
                        hash_secret="s3cret",
                    )
            attempts = await asyncio.gather(
                *(
                    emu.deliver("order", "shipped", {"id": n}, delivery_id=f"id-{n}")
                    for n in range(25)
                )
            )
            for receiver in receivers:
                await receiver.drain()
        finally:
            for runner in runners:
                await runner.cleanup()
            for s in stores:
                await s.aclose()
    flat = [a for per_id in attempts for a in per_id]
    # A copy that arrives while another receiver holds the id as pending gets 503 and
    # is delivered again: every copy ends acknowledged, and each id is handled once.
    assert {a.status for a in flat} <= {200, 503}
    finals: dict[tuple[str, str], int | None] = {}
    for a in flat:
        finals[(a.delivery_id, a.webhook_id)] = a.status
    assert len(finals) == 25 * 4
    assert set(finals.values()) == {200}
    assert handled == Counter({f"id-{n}": 1 for n in range(25)})


async def test_a_burst_past_the_connection_pool_waits_its_turn_instead_of_failing(
    redis_url: str, raw: aioredis.Redis
) -> None:
    # redis-py >= 7 raises "Too many connections" past 100 in a plain pool; the store
    # keeps at most max_connections and queues the rest.
    store = RedisDedupStore(redis_url, max_connections=4)
    before = (await raw.info("clients"))["connected_clients"]
    try:
        states = await asyncio.gather(*(store.claim(f"burst-{i}") for i in range(300)))
        during = (await raw.info("clients"))["connected_clients"]
    finally:
        await store.aclose()
    assert Counter(states) == {DedupState.NEW: 300}
    assert during - before <= 4


async def test_the_default_pool_takes_a_burst_of_hundreds(store: RedisDedupStore) -> None:
    states = await asyncio.gather(*(store.claim(f"burst-{i}") for i in range(400)))
    assert Counter(states) == {DedupState.NEW: 400}
