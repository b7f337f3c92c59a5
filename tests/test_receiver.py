"""The receiver: verification, dedup, routing, answers; end to end with the emulator."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from ewh_webhooks import (
    EWHClient,
    InvalidArgumentError,
    MemoryDedupStore,
    Router,
    WebhookEvent,
    WebhookReceiver,
    parse_event,
    sign,
)
from ewh_webhooks.testing import EWHEmulator

SECRET = "whsec-😀-test"


class Running:
    def __init__(self, receiver: WebhookReceiver, url: str, session: aiohttp.ClientSession) -> None:
        self.receiver, self.url, self.session = receiver, url, session

    async def post(self, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str]]:
        async with self.session.post(self.url, data=body, headers=headers) as resp:
            return resp.status, await resp.json()


async def start(receiver: WebhookReceiver) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(receiver.app("/hooks"))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}/hooks"


@pytest.fixture
def events() -> list[WebhookEvent]:
    return []


@pytest.fixture
def router(events: list[WebhookEvent]) -> Router:
    router = Router()

    @router.on("order.shipped")
    async def shipped(event: WebhookEvent) -> None:
        events.append(event)

    return router


@pytest_asyncio.fixture
async def running(router: Router) -> AsyncIterator[Running]:
    receiver = WebhookReceiver(secret=SECRET, router=router, max_body_size=4096)
    runner, url = await start(receiver)
    async with aiohttp.ClientSession() as session:
        yield Running(receiver, url, session)
    await runner.cleanup()


def envelope(**overrides: object) -> bytes:
    data = {
        "body": {"id": 5},
        "group": "order",
        "action": "shipped",
        "entity": "order",
        "customer": "c",
        "entityId": "5",
    }
    data.update(overrides)
    return json.dumps(data).encode()


def signed(body: bytes, delivery_id: str = "evt-1") -> dict[str, str]:
    return {
        "X-Hmac-Sha256": sign(body, SECRET),
        "X-Webhook-Id": delivery_id,
        "Content-Type": "application/json",
    }


async def test_valid_delivery_is_dispatched_once_even_when_redelivered(
    running: Running, events: list[WebhookEvent]
) -> None:
    body = envelope()
    assert await running.post(body, signed(body)) == (200, {"status": "accepted"})
    assert await running.post(body, signed(body)) == (200, {"status": "duplicate"})
    await running.receiver.drain()
    assert [e.delivery_id for e in events] == ["evt-1"]


async def test_bad_signature_is_401(running: Running, events: list[WebhookEvent]) -> None:
    body = envelope()
    status, answer = await running.post(body + b" ", signed(body))
    assert status == 401
    assert "does not match" in answer["status"]
    status, _ = await running.post(body, {"X-Webhook-Id": "evt-2"})
    assert status == 401
    await running.receiver.drain()
    assert events == []


async def test_oversized_body_is_413(running: Running) -> None:
    body = envelope(body={"blob": "x" * 5000})
    status, _ = await running.post(body, signed(body))
    assert status == 413


async def test_malformed_body_with_a_valid_signature_is_400(running: Running) -> None:
    body = b"{not json"
    status, answer = await running.post(body, signed(body))
    assert status == 400
    assert "not JSON" in answer["status"]


async def test_slow_handler_does_not_delay_the_answer(router: Router) -> None:
    release = asyncio.Event()

    @router.on("order.shipped")
    async def slow(event: WebhookEvent) -> None:
        await release.wait()

    receiver = WebhookReceiver(secret=SECRET, router=router)
    runner, url = await start(receiver)
    try:
        async with aiohttp.ClientSession() as session:
            body = envelope()
            async with asyncio.timeout(1):
                async with session.post(url, data=body, headers=signed(body)) as resp:
                    assert resp.status == 200
        release.set()
        await receiver.drain()
    finally:
        await runner.cleanup()


async def test_failed_handler_keeps_the_event_for_replay(events: list[WebhookEvent]) -> None:
    router = Router()
    attempts: list[str] = []
    errors: list[BaseException] = []

    @router.on("*")
    async def flaky(event: WebhookEvent) -> None:
        attempts.append(event.topic)
        if len(attempts) == 1:
            raise RuntimeError("database down")

    receiver = WebhookReceiver(
        secret=SECRET, router=router, on_error=lambda e, exc: errors.append(exc)
    )
    runner, url = await start(receiver)
    try:
        async with aiohttp.ClientSession() as session:
            body = envelope()
            async with session.post(url, data=body, headers=signed(body)) as resp:
                assert resp.status == 200
        await receiver.drain()
        assert [type(e) for e in errors] == [RuntimeError]
        assert len(receiver.failed) == 1
        assert await receiver.replay() == 1
        assert not receiver.failed
        assert attempts == ["order.shipped", "order.shipped"]
    finally:
        await runner.cleanup()


async def test_inline_mode_answers_500_and_lets_the_retry_through() -> None:
    router = Router()
    calls: list[str] = []

    @router.on("order.*")
    async def flaky(event: WebhookEvent) -> None:
        calls.append(event.topic)
        if len(calls) == 1:
            raise RuntimeError("boom")

    receiver = WebhookReceiver(secret=SECRET, router=router, mode="inline")
    runner, url = await start(receiver)
    try:
        async with aiohttp.ClientSession() as session:
            body = envelope()
            for expected in (500, 200, 200):
                async with session.post(url, data=body, headers=signed(body)) as resp:
                    assert resp.status == expected
        assert calls == ["order.shipped", "order.shipped"]  # the third was a duplicate
    finally:
        await runner.cleanup()


def test_router_matches_topic_group_wildcard_and_catch_all() -> None:
    router = Router()

    async def a(e: WebhookEvent) -> None: ...
    async def b(e: WebhookEvent) -> None: ...
    async def c(e: WebhookEvent) -> None: ...

    router.add("order.shipped", a)
    router.add("order.*", b)
    router.add("*", c)
    event = WebhookEvent(group="order", action="shipped")
    assert router.callbacks_for(event) == [a, b, c]
    assert router.callbacks_for(WebhookEvent(group="stock", action="updated")) == [c]
    from ewh_webhooks import InvalidArgumentError

    for bad in ("order", "order.", ".x", "a.b.c", ""):
        with pytest.raises(InvalidArgumentError):
            router.add(bad, a)


async def test_memory_dedup_store_expires_and_bounds() -> None:
    now = [0.0]
    store = MemoryDedupStore(max_size=3, ttl=10, clock=lambda: now[0])
    assert await store.add("a")
    assert not await store.add("a")
    for key in "bcd":
        assert await store.add(key)
    assert len(store) == 3
    assert await store.add("a")
    now[0] = 11
    assert await store.add("b")  # expired by ttl


async def test_emulator_delivers_signed_events_end_to_end(
    router: Router, events: list[WebhookEvent]
) -> None:
    receiver = WebhookReceiver(secret=SECRET, router=router)
    runner, url = await start(receiver)
    try:
        async with EWHEmulator(delivery_retry_delays=(0, 0)) as emu, emu.client() as client:
            await client.webhooks.create(
                url=url, group="order", action="shipped", hash_secret=SECRET
            )
            await client.webhooks.create(
                url=url, group="stock", action="updated", hash_secret=SECRET
            )
            attempts = await emu.deliver("order", "shipped", {"id": 42}, delivery_id="evt-42")
            assert [a.status for a in attempts] == [200]
            again = await emu.deliver("order", "shipped", {"id": 42}, delivery_id="evt-42")
            assert [a.status for a in again] == [200]  # acknowledged, not dispatched again
            # Signed correctly but not an event: 400, and the sender retries a non-2xx.
            malformed = await emu.deliver("order", "shipped", {}, raw_body=b'{"tampered": true}')
            assert [a.status for a in malformed] == [400, 400, 400]
            # Signed with another secret, as a forged or tampered delivery is: 401.
            for stored in emu.state.webhooks[emu.customer_code].values():
                stored.hash_secret = "not-the-secret"
            rejected = await emu.deliver("order", "shipped", {"id": 44})
            assert [a.status for a in rejected] == [401, 401, 401]
            await receiver.drain()
            assert len(emu.deliveries) == 1 + 1 + 3 + 3
            assert emu.requests[0].path == "/wms/auth/login/"
        assert [(e.topic, e.entity_id, e.delivery_id) for e in events] == [
            ("order.shipped", "42", "evt-42")
        ]
    finally:
        await runner.cleanup()


async def test_client_fixture_from_the_plugin(
    ewh_client: EWHClient, ewh_emulator: EWHEmulator
) -> None:
    await ewh_client.webhooks.create(
        url="https://e.test/h", group="order", action="created", hash_secret="s"
    )
    assert len(ewh_emulator.webhooks()) == 1


async def test_setup_mounts_on_an_exact_path_and_drains_on_shutdown() -> None:
    router = Router()
    finished: list[str] = []

    @router.on("*")
    async def slow(event: WebhookEvent) -> None:
        await asyncio.sleep(0.05)
        finished.append(event.topic)

    app = web.Application()
    WebhookReceiver(secret=SECRET, router=router).setup(app, "/hooks")
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/hooks"
    async with aiohttp.ClientSession() as session:
        body = envelope()
        async with session.post(url, data=body, headers=signed(body)) as resp:
            assert resp.status == 200
    assert finished == []
    await runner.cleanup()  # waits for the pending callback
    assert finished == ["order.shipped"]


async def test_a_plain_function_is_a_callback_too_and_a_non_callable_is_refused() -> None:
    router = Router()
    seen: list[str | None] = []
    router.add("order.shipped", lambda event: seen.append(event.entity_id))  # not async
    event = parse_event(envelope(), signed(envelope()), SECRET)
    assert await router.dispatch(event) == []
    assert seen == ["5"]
    with pytest.raises(InvalidArgumentError, match="callback must be callable"):
        router.add("order.shipped", "not a function")  # type: ignore[arg-type]
