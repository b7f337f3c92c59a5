"""Client-wide flow control on a fake clock: `RateLimit`'s settings, grants and
releases, the shared pause, and the request gate (`window_wait` itself is tabled in
test_rate_window.py). Nothing here sleeps for real."""

from __future__ import annotations

import asyncio
import math

import pytest

from ewh_webhooks import InvalidArgumentError, RateLimit
from ewh_webhooks.limits import RequestGate, window_wait

from .conftest import FakeTime


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param(
            {"max_requests": 0}, "RateLimit.max_requests must be an integer >= 1, got 0", id="none"
        ),
        pytest.param(
            {"max_requests": True},
            "RateLimit.max_requests must be an integer >= 1, got True",
            id="bool",
        ),
        pytest.param(
            {"max_requests": 2.0},
            "RateLimit.max_requests must be an integer >= 1, got 2.0",
            id="float",
        ),
        pytest.param(
            {"period": 0}, "RateLimit.period must be a finite number > 0, got 0", id="period-0"
        ),
        pytest.param(
            {"period": math.inf},
            "RateLimit.period must be a finite number > 0, got inf",
            id="period-inf",
        ),
        pytest.param(
            {"period": True},
            "RateLimit.period must be a finite number > 0, got True",
            id="period-bool",
        ),
        pytest.param(
            {"margin": -1}, "RateLimit.margin must be a finite number >= 0, got -1", id="margin"
        ),
        pytest.param(
            {"margin": math.nan},
            "RateLimit.margin must be a finite number >= 0, got nan",
            id="margin-nan",
        ),
        pytest.param(
            {"margin": None},
            "RateLimit.margin must be a finite number >= 0, got None",
            id="margin-none",
        ),
    ],
)
def test_a_rate_limit_refuses_settings_that_mean_nothing(
    kwargs: dict[str, object], message: str
) -> None:
    settings: dict[str, object] = {"max_requests": 2, **kwargs}
    with pytest.raises(InvalidArgumentError) as caught:
        RateLimit(**settings)  # type: ignore[arg-type]
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("kwargs", "period", "margin"),
    [
        pytest.param({}, 1.0, 0.0, id="defaults"),
        pytest.param({"period": 60}, 60.0, 0.0, id="a-minute"),
        pytest.param({"margin": 0.5}, 1.0, 0.5, id="own-margin"),
    ],
)
def test_a_rate_limit_of_one_request_is_allowed_with_its_window(
    kwargs: dict[str, float], period: float, margin: float
) -> None:
    limit = RateLimit(1, **kwargs)  # type: ignore[arg-type]
    assert (limit.max_requests, limit.period, limit.margin) == (1, period, margin)
    assert repr(limit) == f"RateLimit(1, {period})"


def fake_limit(clock: FakeTime, max_requests: int, **kwargs: float) -> RateLimit:
    return RateLimit(max_requests, clock=clock.clock, sleep=clock.sleep, **kwargs)


async def test_a_burst_goes_at_once_then_each_request_waits_for_a_window() -> None:
    clock = FakeTime(start=0.0)
    limit = fake_limit(clock, 2, margin=0.5)
    sent = []
    for _ in range(5):
        grant = await limit.acquire()
        sent.append(clock.now)
        await limit.release(grant)  # answered at once
    assert sent == [0.0, 0.0, 1.5, 1.5, 3.0]


async def test_a_window_counts_from_a_requests_end_and_holds_while_it_is_in_flight() -> None:
    clock = FakeTime(start=0.0)
    limit = fake_limit(clock, 1)
    first = await limit.acquire()
    assert limit.in_flight == 1
    second = asyncio.create_task(limit.acquire())
    for _ in range(5):
        await asyncio.sleep(0)
    assert not second.done()  # the one request allowed is still in flight
    clock.now = 7.0
    await limit.release(first)  # it ends at 7: the next goes a period later
    assert limit.in_flight == 0
    await limit.release(first)  # a token already released, or unknown, is ignored
    await limit.release(object())
    grant = await second
    assert clock.now == 8.0
    assert limit.in_flight == 1
    await limit.release(grant)


def test_without_requests_in_flight_only_the_ended_ones_count() -> None:
    assert window_wait([], now=0.0, max_requests=1, window=1.0) == 0.0
    assert window_wait([0.5], now=1.0, max_requests=1, window=1.0) == 0.5


async def test_even_a_short_pause_holds_the_limit() -> None:
    clock = FakeTime(start=0.0)
    limit = fake_limit(clock, 10)
    await limit.pause(0.5)
    await limit.release(await limit.acquire())
    assert clock.now == 0.5


async def test_a_pause_holds_the_limit_and_is_never_shortened() -> None:
    clock = FakeTime(start=0.0)
    limit = fake_limit(clock, 10)
    await limit.pause(5.0)
    await limit.pause(1.0)
    await limit.acquire()
    assert clock.now == 5.0
    await limit.aclose()


async def test_waiters_are_served_one_at_a_time_in_arrival_order() -> None:
    clock = FakeTime(start=0.0)
    limit = fake_limit(clock, 1, margin=0)
    order: list[tuple[int, float]] = []

    async def send(n: int) -> None:
        await limit.release(await limit.acquire())
        order.append((n, clock.now))

    await asyncio.gather(*(send(n) for n in range(3)))
    assert order == [(0, 0.0), (1, 1.0), (2, 2.0)]


class RecordingLimiter:
    def __init__(self, fail_release: bool = False) -> None:
        self.calls: list[str] = []
        self.fail_release = fail_release

    def __repr__(self) -> str:
        return "RecordingLimiter()"

    async def acquire(self) -> object:
        self.calls.append("acquire")
        return "grant"

    async def release(self, token: object) -> None:
        self.calls.append(f"release {token}")
        if self.fail_release:
            raise ConnectionError("limiter backend down")

    async def pause(self, seconds: float) -> None:
        self.calls.append(f"pause {seconds}")

    async def aclose(self) -> None:
        self.calls.append("aclose")


def gate(clock: FakeTime, max_in_flight: int = 2, limiter: object = None) -> RequestGate:
    return RequestGate(
        max_in_flight=max_in_flight,
        rate_limit=limiter,  # type: ignore[arg-type]
        clock=clock.clock,
        sleep=clock.sleep,
    )


@pytest.mark.parametrize("value", [0, True, 1.0, "2"])
def test_a_gate_needs_a_whole_number_of_slots(value: object) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        gate(FakeTime(), max_in_flight=value)  # type: ignore[arg-type]
    assert str(caught.value) == f"max_in_flight must be an integer >= 1, got {value!r}"


async def test_a_gate_of_one_slot_lets_attempts_through_one_by_one() -> None:
    clock = FakeTime(start=0.0)
    one = gate(clock, max_in_flight=1)
    assert one.max_in_flight == 1
    inside: list[int] = []
    most = 0

    async def attempt(n: int) -> None:
        nonlocal most
        async with one.slot():
            inside.append(n)
            most = max(most, len(inside))
            await asyncio.sleep(0)
            inside.remove(n)

    await asyncio.gather(*(attempt(n) for n in range(4)))
    assert most == 1
    assert clock.sleeps == []  # the first attempt of a fresh gate never waits


async def test_a_gate_pause_holds_new_attempts_and_passes_it_to_the_limiter() -> None:
    clock = FakeTime(start=0.0)
    limiter = RecordingLimiter()
    shared = gate(clock, limiter=limiter)
    await shared.pause(0.5)
    await shared.pause(0.25)  # never shortens
    assert shared.paused_for == 0.5
    async with shared.slot():
        assert clock.now == 0.5
    assert shared.paused_for == 0.0
    await shared.aclose()
    assert limiter.calls == ["pause 0.5", "pause 0.25", "acquire", "release grant", "aclose"]


async def test_a_limiter_that_fails_to_record_an_end_never_fails_the_request(
    caplog: pytest.LogCaptureFixture,
) -> None:
    one = gate(FakeTime(start=0.0), max_in_flight=1, limiter=RecordingLimiter(fail_release=True))
    async with one.slot():
        pass
    async with one.slot():  # the slot came back all the same
        pass
    assert [r.getMessage() for r in caplog.records] == [
        "rate limiter RecordingLimiter() failed to record an end"
    ] * 2


async def test_an_attempt_cancelled_while_paused_gives_its_slot_back() -> None:
    clock = FakeTime(start=0.0)
    hold = asyncio.Event()

    async def paused_sleep(seconds: float) -> None:
        await hold.wait()

    one_slow = RequestGate(max_in_flight=1, rate_limit=None, clock=clock.clock, sleep=paused_sleep)
    await one_slow.pause(10.0)
    waiting = asyncio.create_task(one_slow.enter())
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    clock.now = 20.0
    async with one_slow.slot():  # the slot is free again
        pass


def test_a_rate_limit_serves_one_event_loop_after_another() -> None:
    limit = RateLimit(1, 0.05)

    async def one() -> None:
        token = await limit.acquire()
        await asyncio.sleep(0.01)  # in flight: the other one waits for its end
        await limit.release(token)

    async def two_in_a_row() -> None:
        # The second queues behind the first: the lock is contended, so it binds to the
        # running loop (and the first, in flight, makes the second wait for its end).
        await asyncio.gather(one(), one())

    asyncio.run(two_in_a_row())
    asyncio.run(two_in_a_row())  # a second loop: no "bound to a different event loop"
