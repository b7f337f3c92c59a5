"""Deliveries: the vendor's envelope with the entity of each group, signed, the same
bytes on every attempt, retried on a schedule that tests never wait for."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

from ewh_webhooks import verify_signature
from ewh_webhooks.testing import DEFAULT_RETRY_DELAYS, EWHEmulator, FakeClock
from ewh_webhooks.testing.deliveries import retry_delays

SECRET = "delivery-secret"


class Receiver:
    """Answers each delivery with the next scripted status (the last one repeats)."""

    def __init__(self) -> None:
        self.statuses = [200]
        self.received: list[tuple[bytes, dict[str, str]]] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((await request.read(), dict(request.headers)))
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        if status == 302:
            return web.Response(status=302, headers={"Location": "https://elsewhere.test/"})
        return web.Response(status=status)


@pytest_asyncio.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()
    app = web.Application()
    app.router.add_post("/hooks", rec.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    rec.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hooks"
    try:
        yield rec
    finally:
        await runner.cleanup()


async def subscribe(
    emu: EWHEmulator, url: str, group: str = "order", action: str = "shipped"
) -> None:
    emu.state.add_webhook(
        emu.customer_code, url=url, group=group, action=action, hash_secret=SECRET
    )


async def test_by_default_a_failing_receiver_sees_the_whole_guessed_schedule_at_once(
    receiver: Receiver,
) -> None:
    receiver.statuses = [500]
    async with EWHEmulator() as emu:
        await subscribe(emu, receiver.url)
        began = time.monotonic()
        attempts = await emu.deliver("order", "shipped", {"id": 7})
        elapsed = time.monotonic() - began
    assert [a.status for a in attempts] == [500] * 5
    assert [a.delay for a in attempts] == [0.0, *DEFAULT_RETRY_DELAYS]
    assert [a.attempt for a in attempts] == [1, 2, 3, 4, 5]
    assert emu.delivery_attempts == 5
    assert elapsed < 2.0  # the 2.5 hours of delays are recorded, not waited


async def test_a_fake_clock_sleeps_each_delay_of_the_schedule(receiver: Receiver) -> None:
    receiver.statuses = [503]
    clock = FakeClock()
    async with EWHEmulator(delivery_retry_delays=[1, 60], delivery_sleep=clock.sleep) as emu:
        await subscribe(emu, receiver.url)
        attempts = await emu.deliver("order", "shipped", {"id": 7})
    assert clock.sleeps == [1.0, 60.0]
    assert [a.delay for a in attempts] == [0.0, 1.0, 60.0]


async def test_retries_stop_at_the_first_2xx_and_resend_the_same_signed_bytes(
    receiver: Receiver,
) -> None:
    receiver.statuses = [500, 302, 204]
    async with EWHEmulator() as emu:
        await subscribe(emu, receiver.url)
        attempts = await emu.deliver("order", "shipped", {"id": 7}, delivery_id="evt-1")
    assert [a.status for a in attempts] == [500, 302, 204]  # a redirect is not followed
    assert attempts[-1].ok
    assert len(receiver.received) == 3
    bodies = {body for body, _ in receiver.received}
    assert len(bodies) == 1
    for body, headers in receiver.received:
        verify_signature(body, headers["X-Hmac-Sha256"], SECRET)
        assert headers["X-Webhook-Id"] == "evt-1"


async def test_an_unreachable_url_is_recorded_as_an_error_and_retried() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed when the block ends: nothing listens
    async with EWHEmulator(delivery_retry_delays=[0]) as emu:
        await subscribe(emu, f"http://127.0.0.1:{port}/hooks")
        attempts = await emu.deliver("order", "shipped", {"id": 7})
    assert [a.status for a in attempts] == [None, None]
    assert all(a.error and "Connect" in a.error for a in attempts)


@pytest.mark.parametrize(
    ("group", "action", "entity"),
    [("stock", "updated", "variant"), ("order", "shipped", "order"), ("article", "created", "article")],
)  # fmt: skip
async def test_the_envelope_carries_the_entity_of_the_group(
    receiver: Receiver, group: str, action: str, entity: str
) -> None:
    async with EWHEmulator() as emu:
        await subscribe(emu, receiver.url, group, action)
        await emu.deliver(group, action, {"id": 12, "sku": "A"})
    envelope = json.loads(receiver.received[0][0])
    assert envelope == {
        "body": {"id": 12, "sku": "A"},
        "group": group,
        "action": action,
        "entity": entity,
        "customer": emu.state.customers[emu.customer_code],
        "entityId": "12",
    }


async def test_an_explicit_entity_wins_and_an_unknown_group_needs_one(receiver: Receiver) -> None:
    async with EWHEmulator() as emu:
        await subscribe(emu, receiver.url, "pallet", "moved")
        with pytest.raises(ValueError, match="no entity known for group 'pallet'"):
            await emu.deliver("pallet", "moved", {"id": 1})
        await emu.deliver("pallet", "moved", {"id": 1}, entity="pallet", entity_id="p-1")
    envelope = json.loads(receiver.received[0][0])
    assert (envelope["entity"], envelope["entityId"]) == ("pallet", "p-1")


async def test_deliveries_go_only_to_the_topic_and_customer_asked(receiver: Receiver) -> None:
    async with EWHEmulator() as emu:
        await subscribe(emu, receiver.url, "order", "created")
        emu.state.add_webhook(
            "CUSTOMER2", url=receiver.url, group="order", action="shipped", hash_secret=SECRET
        )
        assert await emu.deliver("order", "shipped", {"id": 1}, customer_code="CUSTOMER1") == []
        assert len(await emu.deliver("order", "shipped", {"id": 1})) == 1
    assert len(receiver.received) == 1


@pytest.mark.parametrize(
    ("delays", "attempts", "delay", "expected"),
    [
        (None, None, None, DEFAULT_RETRY_DELAYS),
        ([], None, None, ()),
        ([1, 2.5], None, None, (1.0, 2.5)),
        (None, 3, None, (0.0, 0.0)),  # the older settings keep their meaning
        (None, 1, None, ()),
        (None, 2, 4.0, (4.0,)),
        (None, None, 4.0, (4.0, 4.0)),
    ],
)
def test_retry_delays(delays: Any, attempts: Any, delay: Any, expected: tuple[float, ...]) -> None:
    assert retry_delays(delays, attempts, delay) == expected
