"""InboxWorker over a real SQLiteInbox: ack, retry with backoff, dead letters, lease
renewal and takeover, concurrency, graceful stop."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

import pytest
import pytest_asyncio

from ewh_webhooks import InvalidArgumentError, Router, WebhookEvent
from ewh_webhooks.inbox import ClaimedDelivery, DeadLetter, Delivery, InboxStats
from ewh_webhooks.inbox.backoff import Backoff
from ewh_webhooks.inbox.sqlite import SQLiteInbox
from ewh_webhooks.inbox.worker import InboxWorker

FAST = Backoff(initial=0.01, maximum=0.05, jitter=0.0)


def stored(delivery_id: str, *, group: str = "order", action: str = "shipped") -> Delivery:
    body = {"body": {"id": 1}, "group": group, "action": action, "entityId": "1"}
    return Delivery(
        delivery_id=delivery_id,
        body=json.dumps(body).encode(),
        headers={"X-Webhook-Id": delivery_id},
        received_at=time.time(),
    )


@pytest_asyncio.fixture
async def inbox(tmp_path: Path) -> AsyncIterator[SQLiteInbox]:
    inbox = SQLiteInbox(tmp_path / "inbox.sqlite3", lease=0.3, poll_interval=0.01)
    yield inbox
    await inbox.aclose()


def worker(inbox: SQLiteInbox, router: Router, **kwargs: object) -> InboxWorker:
    options: dict[str, object] = {"poll_interval": 0.02, "backoff": FAST, "random": lambda: 0.0}
    options.update(kwargs)
    return InboxWorker(inbox, router, **options)  # type: ignore[arg-type]


async def until(condition: object, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.005)


class Running:
    """A worker's run() as a task, stopped (cancelled) on exit."""

    def __init__(self, worker: InboxWorker) -> None:
        self.worker = worker
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> InboxWorker:
        self.task = asyncio.create_task(self.worker.run())
        return self.worker

    async def __aexit__(self, *exc: object) -> None:
        assert self.task is not None
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


async def put(inbox: SQLiteInbox, ids: Iterable[str]) -> None:
    for delivery_id in ids:
        assert await inbox.put(stored(delivery_id))


async def test_a_stored_delivery_is_handled_once_and_acknowledged(inbox: SQLiteInbox) -> None:
    seen: list[WebhookEvent] = []
    router = Router()

    @router.on("order.shipped")
    async def shipped(event: WebhookEvent) -> None:
        seen.append(event)

    await put(inbox, ["evt-1"])
    async with Running(worker(inbox, router)) as w:
        await until(lambda: w.handled == 1)
    [event] = seen
    assert (event.topic, event.entity_id, event.delivery_id, event.attempt) == (
        "order.shipped",
        "1",
        "evt-1",
        1,
    )
    assert await inbox.stats() == InboxStats(ready=0, leased=0, handled=1, dead=0)


async def test_a_failure_is_retried_with_backoff_and_the_handler_sees_the_attempt(
    inbox: SQLiteInbox,
) -> None:
    attempts: list[int] = []
    router = Router()

    @router.on("*")
    async def flaky(event: WebhookEvent) -> None:
        attempts.append(event.attempt)
        if event.attempt < 3:
            raise RuntimeError("database down")

    await put(inbox, ["evt-1"])
    started = time.monotonic()
    async with Running(worker(inbox, router, backoff=Backoff(initial=0.1, jitter=0.0))) as w:
        await until(lambda: w.handled == 1)
    assert attempts == [1, 2, 3]
    assert time.monotonic() - started >= 0.1 + 0.2  # the delays 0.1 s, then 0.2 s
    assert (w.retried, w.dead) == (2, 0)


async def test_after_max_attempts_the_delivery_is_a_dead_letter_with_its_last_error(
    inbox: SQLiteInbox,
) -> None:
    errors: list[tuple[str | None, BaseException]] = []
    router = Router()

    @router.on("*")
    async def broken(event: WebhookEvent) -> None:
        raise ValueError(f"bad order on attempt {event.attempt}")

    await put(inbox, ["evt-1"])
    hook = worker(
        inbox, router, max_attempts=3, on_error=lambda e, exc: errors.append((e.delivery_id, exc))
    )
    async with Running(hook) as w:
        await until(lambda: w.dead == 1)
    [dead] = await inbox.dead_letters()
    assert isinstance(dead, DeadLetter)
    assert (dead.attempts, dead.error) == (3, "ValueError: bad order on attempt 3")
    assert [(i, str(e)) for i, e in errors] == [
        ("evt-1", f"bad order on attempt {n}") for n in (1, 2, 3)
    ]
    assert (w.retried, w.handled) == (2, 0)


async def test_replayed_dead_letters_are_handled_again_from_attempt_one(
    inbox: SQLiteInbox,
) -> None:
    attempts: list[int] = []
    fixed = False
    router = Router()

    @router.on("*")
    async def handler(event: WebhookEvent) -> None:
        attempts.append(event.attempt)
        if not fixed:
            raise RuntimeError("bug")

    await put(inbox, ["evt-1"])
    async with Running(worker(inbox, router, max_attempts=2)) as w:
        await until(lambda: w.dead == 1)
        fixed = True
        assert await inbox.replay_dead() == 1
        await until(lambda: w.handled == 1)
    assert attempts == [1, 2, 1]


async def test_a_stored_delivery_that_no_longer_parses_is_a_dead_letter_at_once(
    inbox: SQLiteInbox,
) -> None:
    router = Router()
    calls: list[WebhookEvent] = []
    router.add("*", lambda e: calls.append(e))  # type: ignore[arg-type, func-returns-value]
    broken = Delivery(delivery_id="bad", body=b"[" * 5000, headers={}, received_at=1.0)
    assert await inbox.put(broken)
    async with Running(worker(inbox, router)) as w:
        await until(lambda: w.dead == 1)
    [dead] = await inbox.dead_letters()
    assert (dead.attempts, calls) == (1, [])
    assert "InvalidEventError" in dead.error


async def test_a_long_handler_keeps_its_lease_so_no_other_worker_takes_it(
    inbox: SQLiteInbox, tmp_path: Path
) -> None:
    runs: list[str] = []
    router = Router()

    @router.on("*")
    async def slow(event: WebhookEvent) -> None:
        runs.append(event.delivery_id or "")
        await asyncio.sleep(1.0)  # over three leases of 0.3 s

    other_inbox = SQLiteInbox(tmp_path / "inbox.sqlite3", lease=0.3, poll_interval=0.01)
    await put(inbox, ["evt-1"])
    async with Running(worker(inbox, router)) as first:
        await until(lambda: runs == ["evt-1"])
        async with Running(worker(other_inbox, router)) as second:
            await until(lambda: first.handled == 1, timeout=3)
    assert runs == ["evt-1"]
    assert second.handled == 0


async def test_a_delivery_held_by_a_dead_worker_is_handled_once_its_lease_runs_out(
    inbox: SQLiteInbox,
) -> None:
    seen: list[int] = []
    router = Router()

    @router.on("*")
    async def handler(event: WebhookEvent) -> None:
        seen.append(event.attempt)

    await put(inbox, ["evt-1"])
    [_abandoned] = await inbox.claim("a-worker-that-was-killed")
    started = time.monotonic()
    async with Running(worker(inbox, router)) as w:
        await until(lambda: w.handled == 1)
    assert time.monotonic() - started >= 0.25
    assert seen == [2]


async def test_a_delivery_whose_attempts_never_finished_is_a_dead_letter_unrun(
    inbox: SQLiteInbox,
) -> None:
    # Two workers took it and died mid-handler (their leases ran out): with
    # max_attempts=2 the third claim buries it instead of running it again.
    seen: list[int] = []
    router = Router()

    @router.on("*")
    async def handler(event: WebhookEvent) -> None:
        seen.append(event.attempt)

    # It was stored two minutes ago; the dead workers claimed it then and a minute
    # ago, so both their leases have run out by now.
    ago = [120.0]
    past = SQLiteInbox(inbox.path, lease=0.3, clock=lambda: time.time() - ago[0])
    await past.put(stored("evt-1"))
    for dead_worker, ago[0] in (("killed-1", 120.0), ("killed-2", 60.0)):
        held = await past.claim(dead_worker, limit=1)
        assert [c.delivery.delivery_id for c in held] == ["evt-1"]
    await past.aclose()
    await put(inbox, ["evt-2"])
    async with Running(worker(inbox, router, max_attempts=2)) as w:
        await until(lambda: w.dead == 1 and w.handled == 1)
    assert seen == [1]  # evt-2 ran; evt-1 did not run a third time
    [dead] = await inbox.dead_letters()
    assert (dead.delivery.delivery_id, dead.attempts) == ("evt-1", 3)
    assert "attempt 3 of 2: the earlier attempts never finished" in dead.error


async def test_no_more_than_concurrency_handlers_run_at_once(inbox: SQLiteInbox) -> None:
    running = 0
    most = 0
    router = Router()

    @router.on("*")
    async def handler(event: WebhookEvent) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.01)
        running -= 1

    await put(inbox, [f"evt-{i}" for i in range(30)])
    async with Running(worker(inbox, router, concurrency=4)) as w:
        await until(lambda: w.handled == 30)
    assert most == 4


async def test_stopping_lets_in_flight_handlers_finish(inbox: SQLiteInbox) -> None:
    finished: list[str] = []
    started = asyncio.Event()
    router = Router()

    @router.on("*")
    async def handler(event: WebhookEvent) -> None:
        started.set()
        await asyncio.sleep(0.1)
        finished.append(event.delivery_id or "")

    await put(inbox, ["evt-1"])
    task = asyncio.create_task(worker(inbox, router, shutdown_timeout=5).run())
    await started.wait()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert finished == ["evt-1"]
    assert (await inbox.stats()).handled == 1


async def test_a_handler_past_the_shutdown_timeout_goes_back_to_the_inbox(
    inbox: SQLiteInbox,
) -> None:
    started = asyncio.Event()
    router = Router()

    @router.on("*")
    async def hangs(event: WebhookEvent) -> None:
        started.set()
        await asyncio.sleep(60)

    await put(inbox, ["evt-1"])
    w = worker(inbox, router, shutdown_timeout=0.05)
    task = asyncio.create_task(w.run())
    await started.wait()
    w.stop()
    await asyncio.wait_for(task, 2)
    [again] = await inbox.claim("next-worker")  # due at once, not after the lease
    assert again.attempt == 2


class SlowClaims:
    """An inbox whose claims wait until released: stop a worker while one is pending."""

    def __init__(self, inbox: SQLiteInbox) -> None:
        self.inbox = inbox
        self.gate = asyncio.Event()
        self.claiming = asyncio.Event()
        self.released: list[str] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self.inbox, name)

    @property
    def lease(self) -> float:
        return self.inbox.lease

    async def claim(
        self, consumer: str, *, limit: int = 1, wait: float = 0.0
    ) -> list[ClaimedDelivery]:
        self.claiming.set()
        await self.gate.wait()
        return await self.inbox.claim(consumer, limit=limit)

    async def release(self, claimed: ClaimedDelivery) -> None:
        self.released.append(claimed.delivery.delivery_id)
        await self.inbox.release(claimed)


async def test_deliveries_claimed_while_stopping_are_released_unstarted(
    inbox: SQLiteInbox,
) -> None:
    calls: list[str] = []
    router = Router()
    router.add("*", lambda e: calls.append(e.topic))  # type: ignore[arg-type, func-returns-value]
    slow = SlowClaims(inbox)
    await put(inbox, ["evt-1", "evt-2"])
    w = InboxWorker(slow, router, poll_interval=0.02)  # type: ignore[arg-type]
    task = asyncio.create_task(w.run())
    await slow.claiming.wait()
    task.cancel()
    await asyncio.sleep(0.01)
    slow.gate.set()  # the claim completes after the cancellation
    await asyncio.gather(task, return_exceptions=True)
    assert sorted(slow.released) == ["evt-1", "evt-2"]
    assert calls == []
    claimed = await inbox.claim("next", limit=5)
    assert [c.attempt for c in claimed] == [1, 1]


class FailingStore(SlowClaims):
    """Claims fail the first `failures` times, as a store that is briefly down."""

    def __init__(self, inbox: SQLiteInbox, failures: int) -> None:
        super().__init__(inbox)
        self.failures = failures

    async def claim(
        self, consumer: str, *, limit: int = 1, wait: float = 0.0
    ) -> list[ClaimedDelivery]:
        if self.failures:
            self.failures -= 1
            raise OSError("disk I/O error")
        return await self.inbox.claim(consumer, limit=limit, wait=wait)


async def test_the_worker_rides_out_a_store_that_fails_for_a_while(
    inbox: SQLiteInbox, caplog: pytest.LogCaptureFixture
) -> None:
    router = Router()
    router.add("*", lambda e: asyncio.sleep(0))  # type: ignore[arg-type, return-value]
    await put(inbox, ["evt-1"])
    w = InboxWorker(FailingStore(inbox, 2), router, poll_interval=0.01)  # type: ignore[arg-type]
    async with Running(w):
        await until(lambda: w.handled == 1)
    assert "disk I/O error" in caplog.text


def test_asyncio_run_of_a_worker_over_a_new_sqlite_inbox_works(tmp_path: Path) -> None:
    seen: list[str] = []
    router = Router()
    path = tmp_path / "events.sqlite3"

    @router.on("*")
    async def handler(event: WebhookEvent) -> None:
        seen.append(event.delivery_id or "")
        w.stop()

    async def fill() -> None:
        inbox = SQLiteInbox(path)
        await put(inbox, ["evt-1"])
        await inbox.aclose()

    asyncio.run(fill())
    w = InboxWorker(SQLiteInbox(path), router, poll_interval=0.02)
    asyncio.run(w.run())  # built outside any loop; returns after stop()
    assert seen == ["evt-1"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"concurrency": 0}, "concurrency must be an integer >= 1"),
        ({"max_attempts": 1.5}, "max_attempts must be an integer >= 1"),
        ({"shutdown_timeout": float("nan")}, "shutdown_timeout must be a finite number"),
        ({"handler_timeout": -1}, "handler_timeout must be a finite number"),
        ({"backoff": 3}, "backoff must be a Backoff"),
    ],
)
def test_worker_settings_are_checked(
    tmp_path: Path, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        InboxWorker(SQLiteInbox(tmp_path / "x"), Router(), **kwargs)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="Inbox protocol"):
        InboxWorker(object(), Router())  # type: ignore[arg-type]


async def test_stop_before_run_makes_run_return_at_once_and_run_can_start_again(
    inbox: SQLiteInbox,
) -> None:
    seen: list[str] = []
    router = Router()
    router.add("*", lambda e: asyncio.sleep(0, seen.append(e.delivery_id or "")))  # type: ignore[arg-type, func-returns-value]
    w = worker(inbox, router)
    w.stop()
    await asyncio.wait_for(w.run(), 2)
    await put(inbox, ["evt-1"])
    async with Running(w):
        await until(lambda: seen == ["evt-1"])


async def test_a_claim_that_returns_after_stop_is_given_back_unstarted(
    inbox: SQLiteInbox,
) -> None:
    router = Router()
    ran: list[str | None] = []

    @router.on("*")
    async def handle(event: WebhookEvent) -> None:
        ran.append(event.delivery_id)

    one = worker(inbox, router, poll_interval=1.0)  # waits in claim() for up to 1 s
    task = asyncio.create_task(one.run())
    await asyncio.sleep(0.1)
    one.stop()  # while it waits in claim()
    await put(inbox, ["late"])  # that claim now returns it
    await asyncio.wait_for(task, 5)
    assert ran == []
    stats = await inbox.stats()
    assert (stats.ready, stats.leased) == (1, 0)  # back in the inbox, no attempt spent
    [claimed] = await inbox.claim("other")
    assert claimed.attempt == 1


async def test_workers_sharing_an_inbox_leave_it_open_for_each_other(
    inbox: SQLiteInbox,
) -> None:
    closed: list[bool] = []
    original = inbox.aclose

    async def counting_aclose() -> None:
        closed.append(True)
        await original()

    inbox.aclose = counting_aclose  # type: ignore[method-assign]
    alone = worker(inbox, Router())
    shared = worker(inbox, Router(), close_inbox=False)
    for one in (shared, alone):
        one.stop()
        await one.run()  # stop() before run(): returns at once
    assert closed == [True]  # the worker on its own closed it; the shared one did not


async def test_an_event_from_the_inbox_has_the_senders_id_or_none(inbox: SQLiteInbox) -> None:
    router = Router()
    seen: list[str | None] = []

    @router.on("*")
    async def handle(event: WebhookEvent) -> None:
        seen.append(event.delivery_id)

    anonymous = stored("no-id-made-up-by-the-receiver")
    anonymous = Delivery(
        delivery_id=anonymous.delivery_id, body=anonymous.body, headers={}, received_at=1.0
    )
    await inbox.put(anonymous)
    await put(inbox, ["evt-1"])
    async with Running(worker(inbox, router)):
        await until(lambda: len(seen) == 2)
    assert sorted(seen, key=str) == [None, "evt-1"]
