"""The sliding-window promise of a rate limit, on both sides: the client's pure
`window_wait` (tables and a property), the emulator's server-side limits (tables on a
fake clock), and the in-process `RateLimit` against a sliding-window server."""

from __future__ import annotations

import asyncio
import bisect
import math

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ewh_webhooks import RateLimit
from ewh_webhooks.limits import window_wait
from ewh_webhooks.testing import EWHEmulator
from ewh_webhooks.testing.faults import SlidingWindow, TokenBucket, server_rate_limit

from .conftest import FakeTime

# --- window_wait: the client's decision --------------------------------------------------


@pytest.mark.parametrize(
    ("ended", "in_flight", "now", "max_requests", "window", "expected"),
    [
        pytest.param([], 0, 0.0, 3, 1.0, 0.0, id="nothing sent yet: go"),
        pytest.param([0.0, 0.0], 0, 0.0, 3, 1.0, 0.0, id="fewer than max in the window: go"),
        pytest.param([0.0, 0.0, 0.0], 0, 0.0, 3, 1.0, 1.0, id="max ended just now: a window"),
        pytest.param([0.0, 0.1, 0.2], 0, 0.5, 3, 1.0, 0.5, id="wait for the oldest end to leave"),
        pytest.param([0.0, 0.1, 0.2], 0, 1.0, 3, 1.0, 0.0, id="exactly a window later: go"),
        pytest.param([0.0, 0.1, 0.2], 0, 1.5, 3, 1.0, 0.0, id="more than a window later: go"),
        pytest.param([0.0, 0.5, 0.6, 0.7], 0, 0.8, 3, 1.0, 0.7, id="only the last max count"),
        pytest.param([0.0, 0.6], 0, 0.7, 1, 1.0, 0.9, id="max 1: a window after the last end"),
        pytest.param([5.0, 5.0], 0, 5.0, 2, 1.02, 1.02, id="the window carries the margin"),
        pytest.param([], 2, 0.0, 3, 1.0, 0.0, id="in flight count: 2 of 3, go"),
        pytest.param([], 3, 0.0, 3, 1.0, None, id="max in flight: wait for an end"),
        pytest.param([0.0], 2, 0.5, 3, 1.0, 0.5, id="one end and two flights: the end leaves"),
        pytest.param([0.0], 3, 0.5, 3, 1.0, None, id="flights alone fill it: wait for an end"),
        pytest.param([0.0, 0.2], 2, 0.5, 3, 1.0, 0.7, id="two must leave: the second end"),
    ],
)
def test_window_wait(
    ended: list[float],
    in_flight: int,
    now: float,
    max_requests: int,
    window: float,
    expected: float | None,
) -> None:
    wait = window_wait(
        ended, now=now, max_requests=max_requests, window=window, in_flight=in_flight
    )
    if expected is None:
        assert wait is None
    else:
        assert wait == pytest.approx(expected)


@given(
    max_requests=st.integers(1, 6),
    window=st.integers(1, 5000),
    requests=st.lists(
        st.tuples(st.integers(0, 20_000), st.integers(0, 3000), st.integers(0, 3000)),
        min_size=1,
        max_size=40,
    ),
)
def test_a_server_never_sees_more_than_max_in_a_window_whatever_the_delays(
    max_requests: int, window: int, requests: list[tuple[int, int, int]]
) -> None:
    # Each request is wanted at some time, granted when window_wait allows, arrives at
    # the server after a delay of its own (reordering is allowed) and ends after that
    # (the answer's way back). Integer ms: exact arithmetic. Whatever the delays, the
    # arrivals never put more than max_requests in any window.
    events: list[tuple[int, str, int]] = []  # (time, "end", index) of requests in flight
    ended: list[float] = []
    arrivals: list[int] = []
    now = 0
    for wanted, travel, back in sorted(requests):
        now = max(now, wanted)
        while True:
            for at, _, index in sorted(e for e in events if e[0] <= now):
                ended.append(at)
                events.remove((at, "end", index))
            ended.sort()
            wait = window_wait(
                ended, now=now, max_requests=max_requests, window=window, in_flight=len(events)
            )
            if wait == 0:
                break
            now = min(e[0] for e in events) if wait is None else now + math.ceil(wait)
        arrival = now + travel
        arrivals.append(arrival)
        events.append((arrival + back, "end", len(arrivals)))
    arrivals.sort()
    for i, start in enumerate(arrivals):
        # Arrivals in [start, start + window): at most max_requests.
        assert bisect.bisect_left(arrivals, start + window) - i <= max_requests


# --- the emulator's server-side limits ----------------------------------------------------


def _answers(
    limit: SlidingWindow | TokenBucket, clock: FakeTime, times: list[float]
) -> list[float]:
    answers = []
    for at in times:
        clock.now = at
        answers.append(round(limit.try_acquire(), 6))
    return answers


@pytest.mark.parametrize(
    ("times", "expected"),
    [
        pytest.param([0, 0, 0], [0, 0, 0], id="a burst of max is admitted"),
        pytest.param([0, 0, 0, 0], [0, 0, 0, 1.0], id="one more waits for the oldest to leave"),
        pytest.param(
            [0, 0.2, 0.4, 0.6, 1.0], [0, 0, 0, 0.4, 0], id="exactly a period later: admitted"
        ),
        pytest.param(
            [0, 0, 0, 0.5, 0.9, 1.0], [0, 0, 0, 0.5, 0.1, 0], id="refused requests do not count"
        ),
        pytest.param(
            [0, 0.5, 0.9, 1.2, 1.3], [0, 0, 0, 0, 0.2], id="the window slides with each arrival"
        ),
    ],
)
def test_sliding_window_server(times: list[float], expected: list[float]) -> None:
    clock = FakeTime(start=0.0)
    assert _answers(SlidingWindow(3, 1.0, clock.clock), clock, times) == expected


def test_the_leaky_bucket_lets_a_burst_through_on_top_of_the_rate() -> None:
    # What the old client limiter did, and why a sliding-window server refused it:
    # 3 per second, yet 4 requests within 0.4 s pass the bucket.
    clock = FakeTime(start=0.0)
    assert _answers(TokenBucket(3, 1.0, clock.clock), clock, [0, 0, 0, 0.4]) == [0, 0, 0, 0]
    assert _answers(SlidingWindow(3, 1.0, clock.clock), clock, [0, 0, 0, 0.4]) != [0, 0, 0, 0]


def test_server_rate_limit_checks_its_settings() -> None:
    assert server_rate_limit(None, "sliding", lambda: 0.0) is None
    assert isinstance(server_rate_limit((3, 1.0), "sliding", lambda: 0.0), SlidingWindow)
    assert isinstance(server_rate_limit((3, 1.0), "bucket", lambda: 0.0), TokenBucket)
    with pytest.raises(ValueError, match="rate_limit_window"):
        server_rate_limit((3, 1.0), "fixed", lambda: 0.0)
    with pytest.raises(ValueError, match="max_requests >= 1"):
        server_rate_limit((0, 1.0), "sliding", lambda: 0.0)
    with pytest.raises(ValueError, match="rate_limit_window"):
        EWHEmulator(rate_limit=(3, 1.0), rate_limit_window="fixed")


async def test_a_sliding_window_emulator_answers_429_with_retry_after_beyond_its_limit() -> None:
    # The limit is checked before anything else, so plain unauthenticated GETs count.
    emulator = EWHEmulator(rate_limit=(3, 5.0), rate_limit_window="sliding")
    async with emulator as emu, aiohttp.ClientSession() as session:
        answers = []
        for _ in range(4):
            async with session.get(f"{emu.base_url}/webhooks/") as response:
                answers.append((response.status, response.headers.get("Retry-After")))
    assert [status for status, _ in answers[:3]] == [400, 400, 400]  # no X-Wms-Code
    status, retry_after = answers[3]
    assert status == 429
    assert retry_after is not None
    assert 5 <= int(retry_after) <= 6


# --- the in-process RateLimit against a sliding-window server -------------------------------


async def test_rate_limit_sends_48_requests_to_a_sliding_window_server_without_a_429() -> None:
    # The case: the old leaky bucket had 2 of these 48 refused.
    async with EWHEmulator(rate_limit=(20, 1.0), rate_limit_window="sliding") as emu:
        async with emu.client(rate_limit=RateLimit(20, 1.0)) as client:
            await asyncio.gather(*(client.webhooks.list_page() for _ in range(48)))
        statuses = [r.status for r in emu.requests]
    assert len(statuses) == 49  # the login and 48 GETs, none retried
    assert 429 not in statuses


def test_the_emulator_keeps_the_lenient_bucket_unless_asked() -> None:
    assert isinstance(EWHEmulator(rate_limit=(3, 1.0)).rate_limiter, TokenBucket)
    sliding = EWHEmulator(rate_limit=(3, 1.0), rate_limit_window="sliding")
    assert isinstance(sliding.rate_limiter, SlidingWindow)
