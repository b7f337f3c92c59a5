"""The receiver without an inbox: construction checks, bounded background work,
drain with a timeout, ids, and dedup stores old and failing."""

from __future__ import annotations

import asyncio
import logging

import pytest
from aiohttp import web

from ewh_webhooks import (
    DedupState,
    InvalidArgumentError,
    MemoryDedupStore,
    Router,
    WebhookEvent,
    WebhookReceiver,
)
from ewh_webhooks.inbox.sqlite import SQLiteInbox

from .receiver_helpers import SECRET, envelope, serve, signed


def recording_router(seen: list[WebhookEvent]) -> Router:
    router = Router()

    @router.on("*")
    async def record(event: WebhookEvent) -> None:
        seen.append(event)

    return router


@pytest.mark.parametrize(
    "secret", [[""], "", 12345, [None], [], (), ["good", ""], b"", 3.5, None, {"x": 1}.values()]
)
def test_a_secret_that_cannot_verify_anything_is_rejected_at_construction(secret: object) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        WebhookReceiver(secret=secret, router=Router())  # type: ignore[arg-type]
    assert "secret" in str(caught.value)


def test_the_rejection_never_echoes_the_secret() -> None:
    for secret in (
        ["real-secret-value", ""],
        ["real-secret-value", None],
        "\ud800real-secret-value",
    ):
        with pytest.raises(InvalidArgumentError) as caught:
            WebhookReceiver(secret=secret, router=Router())  # type: ignore[arg-type]
        assert "real-secret-value" not in str(caught.value)
        assert "real-secret-value" not in repr(caught.value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mode": "later"}, "mode must be"),
        ({"max_pending": 0}, "max_pending must be an integer >= 1"),
        ({"max_body_size": -1}, "max_body_size must be"),
        ({"inline_timeout": float("inf")}, "inline_timeout must be a finite number"),
        ({"workers": -1}, "workers must be an integer >= 0"),
        ({"router": "not a router"}, "router must be a Router"),
        ({"dedup": object()}, "dedup must be a DedupStore"),
        ({"inbox": object()}, "Inbox protocol"),
    ],
)
def test_settings_are_checked_at_construction(kwargs: dict[str, object], message: str) -> None:
    options: dict[str, object] = {"secret": SECRET, "router": Router()}
    options.update(kwargs)
    with pytest.raises(InvalidArgumentError, match=message):
        WebhookReceiver(**options)  # type: ignore[arg-type]


def test_an_inbox_excludes_inline_mode_and_a_separate_dedup_store(tmp_path: object) -> None:
    inbox = SQLiteInbox(f"{tmp_path}/x.sqlite3")
    with pytest.raises(InvalidArgumentError, match="InboxWorker"):
        WebhookReceiver(secret=SECRET, router=Router(), inbox=inbox, mode="inline")
    with pytest.raises(InvalidArgumentError, match="drop dedup"):
        WebhookReceiver(secret=SECRET, router=Router(), inbox=inbox, dedup=MemoryDedupStore())


async def test_an_empty_delivery_id_is_no_id_so_two_events_are_both_handled() -> None:
    seen: list[WebhookEvent] = []
    receiver = WebhookReceiver(secret=SECRET, router=recording_router(seen))
    async with serve(receiver) as served:
        assert await served.deliver("", entityId="1") == 200
        assert await served.deliver("", entityId="2") == 200
        await receiver.drain()
    assert sorted((e.entity_id, e.delivery_id) for e in seen) == [("1", None), ("2", None)]


async def test_background_work_is_bounded_by_max_pending_then_503_with_retry_after() -> None:
    release = asyncio.Event()
    router = Router()

    @router.on("*")
    async def hangs(event: WebhookEvent) -> None:
        await release.wait()

    receiver = WebhookReceiver(secret=SECRET, router=router, max_pending=3)
    async with serve(receiver) as served:
        for i in range(3):
            assert await served.deliver(f"evt-{i}") == 200
        body = envelope()
        status, answer = await served.post(body, signed(body, "evt-3"))
        assert (status, answer["retry_after"]) == (503, "5")
        assert receiver.pending == 3
        assert await receiver.drain(timeout=0.05) is False
        release.set()
        assert await receiver.drain(timeout=5) is True
        # The refused id was not remembered: the sender's retry is accepted.
        assert await served.deliver("evt-3") == 200
        await receiver.drain()


async def test_shutdown_waits_shutdown_timeout_then_reports_the_events_it_loses(
    caplog: pytest.LogCaptureFixture,
) -> None:
    started = asyncio.Event()
    router = Router()

    @router.on("*")
    async def hangs(event: WebhookEvent) -> None:
        started.set()
        await asyncio.sleep(60)

    receiver = WebhookReceiver(secret=SECRET, router=router, shutdown_timeout=0.05)
    with caplog.at_level(logging.ERROR, logger="ewh_webhooks.receiver"):
        async with serve(receiver) as served:
            assert await served.deliver("evt-1") == 200
            await started.wait()
    assert receiver.pending == 0
    assert "1 acknowledged events were still being handled after 0.05s and are lost" in caplog.text


class OldStyleStore:
    """A user's dedup store written for the old interface: add/discard only."""

    def __init__(self) -> None:
        self.ids: set[str] = set()

    async def add(self, delivery_id: str) -> bool:
        new = delivery_id not in self.ids
        self.ids.add(delivery_id)
        return new

    async def discard(self, delivery_id: str) -> None:
        self.ids.discard(delivery_id)


async def test_an_old_style_dedup_store_still_works_with_a_deprecation_warning() -> None:
    seen: list[WebhookEvent] = []
    store = OldStyleStore()
    with pytest.warns(DeprecationWarning, match="claim"):
        receiver = WebhookReceiver(
            secret=SECRET,
            router=recording_router(seen),
            dedup=store,  # type: ignore[arg-type]
        )
    async with serve(receiver) as served:
        assert await served.deliver("evt-1") == 200
        assert await served.deliver("evt-1") == 200
        await receiver.drain()
    assert [e.delivery_id for e in seen] == ["evt-1"]
    assert store.ids == {"evt-1"}


class BrokenStore(MemoryDedupStore):
    async def claim(self, delivery_id: str, *, pending_ttl: float = 60.0) -> DedupState:
        raise ConnectionError("redis is down")


async def test_a_failing_dedup_store_answers_503_so_the_sender_retries() -> None:
    seen: list[WebhookEvent] = []
    receiver = WebhookReceiver(secret=SECRET, router=recording_router(seen), dedup=BrokenStore())
    async with serve(receiver) as served:
        assert await served.deliver("evt-1") == 503
        assert await served.deliver(None) == 200  # no id, nothing to look up
        await receiver.drain()
    assert len(seen) == 1


async def test_a_receiver_app_can_be_mounted_with_setup_on_a_users_app() -> None:
    app = web.Application()
    WebhookReceiver(secret=SECRET, router=Router()).setup(app, "/hooks")
    assert [r.method for r in app.router.routes()] == ["POST"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ttl": "1h"}, "ttl must be a finite number"),
        ({"ttl": float("nan")}, "ttl must be a finite number"),
        ({"ttl": 0}, "ttl must be a finite number"),
        ({"max_size": 0}, "max_size must be an integer >= 1"),
    ],
)
def test_a_memory_dedup_store_refuses_settings_that_would_dedup_nothing(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        MemoryDedupStore(**kwargs)  # type: ignore[arg-type]
