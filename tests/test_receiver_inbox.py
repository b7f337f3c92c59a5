"""The receiver with an inbox: it answers 2xx only once the delivery is committed,
503 when the store fails, and its app runs the workers for its lifetime."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from ewh_webhooks import EWHError, Router, WebhookEvent, WebhookReceiver
from ewh_webhooks.inbox import Delivery, InboxStats
from ewh_webhooks.inbox.sqlite import SQLiteInbox
from ewh_webhooks.testing import EWHEmulator

from .receiver_helpers import SECRET, envelope, serve, signed

FAST_WORKERS = {"poll_interval": 0.02}


@pytest_asyncio.fixture
async def inbox(tmp_path: Path) -> AsyncIterator[SQLiteInbox]:
    inbox = SQLiteInbox(tmp_path / "events.sqlite3", lease=5.0, poll_interval=0.01)
    yield inbox
    await inbox.aclose()


def recording_router(seen: list[WebhookEvent]) -> Router:
    router = Router()

    @router.on("*")
    async def record(event: WebhookEvent) -> None:
        seen.append(event)

    return router


async def until(condition: object, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.005)


async def test_a_delivery_is_stored_with_what_is_needed_to_parse_it_again(
    inbox: SQLiteInbox,
) -> None:
    receiver = WebhookReceiver(secret=SECRET, router=Router(), inbox=inbox, workers=0)
    body = envelope()
    async with serve(receiver) as served:
        assert await served.post(body, signed(body, "evt-1")) == (200, {"status": "accepted"})
        assert await served.post(body, signed(body, "evt-1")) == (200, {"status": "duplicate"})
        assert (await served.post(body + b" ", signed(body, "evt-2")))[0] == 401
        assert (await served.post(b"[", signed(b"[", "evt-3")))[0] == 400
    assert await inbox.stats() == InboxStats(ready=1, leased=0, handled=0, dead=0)
    [claimed] = await inbox.claim("test")
    stored = claimed.delivery
    assert (stored.delivery_id, stored.body) == ("evt-1", body)
    assert dict(stored.headers) == signed(body, "evt-1")


class GatedInbox(SQLiteInbox):
    """Holds each put until the test opens the gate; can fail like a broken disk."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.gate = asyncio.Event()
        self.putting = asyncio.Event()
        self.broken = False

    async def put(self, delivery: Delivery) -> bool:
        self.putting.set()
        await self.gate.wait()
        if self.broken:
            raise OSError("disk I/O error")
        return await super().put(delivery)


async def test_the_answer_waits_for_the_commit(tmp_path: Path) -> None:
    inbox = GatedInbox(tmp_path / "events.sqlite3")
    receiver = WebhookReceiver(secret=SECRET, router=Router(), inbox=inbox, workers=0)
    async with serve(receiver) as served:
        posting = asyncio.create_task(served.deliver("evt-1"))
        await inbox.putting.wait()
        await asyncio.sleep(0.05)
        assert not posting.done()  # no answer while the write is not committed
        inbox.gate.set()
        assert await posting == 200
    assert (await inbox.stats()).ready == 1
    await inbox.aclose()


async def test_a_failing_store_answers_503_with_retry_after_and_acknowledges_nothing(
    tmp_path: Path,
) -> None:
    inbox = GatedInbox(tmp_path / "events.sqlite3")
    inbox.gate.set()
    inbox.broken = True
    seen: list[WebhookEvent] = []
    receiver = WebhookReceiver(
        secret=SECRET, router=recording_router(seen), inbox=inbox, worker_options=FAST_WORKERS
    )
    async with serve(receiver) as served:
        body = envelope()
        status, answer = await served.post(body, signed(body, "evt-1"))
        assert (status, answer["retry_after"]) == (503, "5")
        inbox.broken = False
        assert await served.deliver("evt-1") == 200  # the sender's retry
        await until(lambda: len(seen) == 1)
    assert [e.delivery_id for e in seen] == ["evt-1"]
    await inbox.aclose()


async def test_the_app_runs_a_worker_that_handles_stored_deliveries(inbox: SQLiteInbox) -> None:
    seen: list[WebhookEvent] = []
    receiver = WebhookReceiver(
        secret=SECRET, router=recording_router(seen), inbox=inbox, worker_options=FAST_WORKERS
    )
    async with serve(receiver) as served:
        for i in range(5):
            assert await served.deliver(f"evt-{i}") == 200
        await until(lambda: len(seen) == 5)
    assert sorted(e.delivery_id or "" for e in seen) == [f"evt-{i}" for i in range(5)]
    assert {e.attempt for e in seen} == {1}
    assert (await inbox.stats()).handled == 5


async def test_workers_zero_only_stores(inbox: SQLiteInbox) -> None:
    seen: list[WebhookEvent] = []
    receiver = WebhookReceiver(secret=SECRET, router=recording_router(seen), inbox=inbox, workers=0)
    async with serve(receiver) as served:
        assert await served.deliver("evt-1") == 200
        await asyncio.sleep(0.1)
    assert seen == []
    assert (await inbox.stats()).ready == 1


async def test_shutdown_lets_the_workers_finish_the_handler_in_flight(inbox: SQLiteInbox) -> None:
    started = asyncio.Event()
    finished: list[str] = []
    router = Router()

    @router.on("*")
    async def slow(event: WebhookEvent) -> None:
        started.set()
        await asyncio.sleep(0.1)
        finished.append(event.delivery_id or "")

    receiver = WebhookReceiver(
        secret=SECRET, router=router, inbox=inbox, worker_options=FAST_WORKERS
    )
    async with serve(receiver) as served:
        assert await served.deliver("evt-1") == 200
        await started.wait()
    assert finished == ["evt-1"]
    assert (await inbox.stats()).handled == 1


async def test_deliveries_without_an_id_are_each_stored(inbox: SQLiteInbox) -> None:
    receiver = WebhookReceiver(secret=SECRET, router=Router(), inbox=inbox, workers=0)
    async with serve(receiver) as served:
        assert await served.deliver(None) == 200
        assert await served.deliver("") == 200
    assert (await inbox.stats()).ready == 2


async def test_an_inbox_that_cannot_be_opened_fails_the_app_at_startup(tmp_path: Path) -> None:
    inbox = SQLiteInbox(tmp_path / "missing-dir" / "events.sqlite3")
    receiver = WebhookReceiver(secret=SECRET, router=Router(), inbox=inbox)
    runner = web.AppRunner(receiver.app("/hooks"))
    with pytest.raises(EWHError, match=r"cannot be used: .*unable to open database file"):
        await runner.setup()
    await runner.cleanup()
    await inbox.aclose()


async def test_the_emulators_signed_deliveries_go_through_the_inbox(inbox: SQLiteInbox) -> None:
    seen: list[WebhookEvent] = []
    receiver = WebhookReceiver(
        secret=SECRET, router=recording_router(seen), inbox=inbox, worker_options=FAST_WORKERS
    )
    async with serve(receiver) as served, EWHEmulator() as emu, emu.client() as client:
        await client.webhooks.create(
            url=served.url, group="order", action="shipped", hash_secret=SECRET
        )
        first = await emu.deliver("order", "shipped", {"id": 42}, delivery_id="evt-42")
        again = await emu.deliver("order", "shipped", {"id": 42}, delivery_id="evt-42")
        assert [a.status for a in first + again] == [200, 200]
        await until(lambda: len(seen) == 1)
        await asyncio.sleep(0.05)
    assert [(e.topic, e.entity_id, e.delivery_id) for e in seen] == [
        ("order.shipped", "42", "evt-42")
    ]


async def test_the_example_app_receives_into_a_sqlite_inbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import examples.receiver_app as example

    monkeypatch.setenv("EWH_HASH_SECRET", SECRET)
    monkeypatch.chdir(tmp_path)
    runner = web.AppRunner(example.build_app(), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/hooks"
        body = envelope()
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, data=body, headers=signed(body)) as resp,
        ):
            assert resp.status == 200
    finally:
        await runner.cleanup()
    assert (tmp_path / "events.sqlite3").is_file()
