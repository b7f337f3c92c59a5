"""A redelivery of the same id racing the first, inline and with an inbox: handled
exactly once when the first attempt succeeds, and again after it failed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from ewh_webhooks import Router, WebhookEvent, WebhookReceiver
from ewh_webhooks.inbox import Inbox
from ewh_webhooks.inbox.backoff import Backoff
from ewh_webhooks.inbox.sqlite import SQLiteInbox

from .receiver_helpers import SECRET, serve


class Blocking:
    """A handler that waits for the test, then succeeds or fails as told."""

    def __init__(self) -> None:
        self.calls: list[int] = []
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.fail_first = False
        self.router = Router()
        self.router.add("*", self.handle)

    async def handle(self, event: WebhookEvent) -> None:
        self.calls.append(event.attempt)
        self.started.set()
        await self.release.wait()
        if self.fail_first and len(self.calls) == 1:
            raise RuntimeError("first attempt failed")


async def test_inline_a_redelivery_during_a_successful_first_attempt_is_handled_once() -> None:
    handler = Blocking()
    receiver = WebhookReceiver(secret=SECRET, router=handler.router, mode="inline")
    async with serve(receiver) as served:
        first = asyncio.create_task(served.deliver("evt-1"))
        await handler.started.wait()
        assert await served.deliver("evt-1") == 503  # in progress: not a duplicate yet
        handler.release.set()
        assert await first == 200
        assert await served.deliver("evt-1") == 200  # now a duplicate
    assert handler.calls == [1]


async def test_inline_a_redelivery_during_a_failing_first_attempt_is_handled_again() -> None:
    handler = Blocking()
    handler.fail_first = True
    receiver = WebhookReceiver(secret=SECRET, router=handler.router, mode="inline")
    async with serve(receiver) as served:
        first = asyncio.create_task(served.deliver("evt-1"))
        await handler.started.wait()
        assert await served.deliver("evt-1") == 503
        handler.release.set()
        assert await first == 500
        assert await served.deliver("evt-1") == 200  # the sender's retry runs the handler
        assert await served.deliver("evt-1") == 200  # and then it is a duplicate
    assert len(handler.calls) == 2


@pytest_asyncio.fixture(params=["sqlite", "redis"])
async def inbox(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Inbox]:
    """Each backend: the race is decided in its one atomic write."""
    if request.param == "sqlite":
        backend: Inbox = SQLiteInbox(tmp_path / "events.sqlite3", poll_interval=0.01)
    else:
        from ewh_webhooks.redis import RedisInbox

        backend = RedisInbox(request.getfixturevalue("redis_url"))
    yield backend
    await backend.aclose()


async def test_with_an_inbox_racing_redeliveries_are_stored_and_handled_once(
    inbox: Inbox,
) -> None:
    handler = Blocking()
    handler.release.set()
    receiver = WebhookReceiver(
        secret=SECRET, router=handler.router, inbox=inbox, worker_options={"poll_interval": 0.02}
    )
    async with serve(receiver) as served:
        statuses = await asyncio.gather(*(served.deliver("evt-1") for _ in range(10)))
        assert statuses == [200] * 10
        await handler.started.wait()
        await asyncio.sleep(0.1)
        assert await served.deliver("evt-1") == 200
        await asyncio.sleep(0.05)
    assert handler.calls == [1]
    assert (await inbox.stats()).handled == 1


async def test_with_an_inbox_a_failed_first_attempt_is_handled_again_not_dropped(
    inbox: Inbox,
) -> None:
    handler = Blocking()
    handler.fail_first = True
    receiver = WebhookReceiver(
        secret=SECRET,
        router=handler.router,
        inbox=inbox,
        worker_options={"poll_interval": 0.02, "backoff": Backoff(initial=0.05, jitter=0)},
    )
    async with serve(receiver) as served:
        first = asyncio.create_task(served.deliver("evt-1"))
        await handler.started.wait()  # stored, acknowledged, being handled
        assert await first == 200
        assert await served.deliver("evt-1") == 200  # racing the running attempt: stored once
        handler.release.set()
        async with asyncio.timeout(5):
            while (await inbox.stats()).handled != 1:
                await asyncio.sleep(0.01)
    assert handler.calls == [1, 2]
