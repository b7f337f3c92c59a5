"""`RedisRateLimit` in one process, on a real Redis: the Lua window against the pure
`window_wait`, Redis's clock, the shared pause, the fallback when Redis is away."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable

import pytest
import redis
import redis.asyncio as aioredis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ewh_webhooks import InvalidArgumentError, RateLimiter
from ewh_webhooks.limits import window_wait
from ewh_webhooks.redis import RedisRateLimit
from ewh_webhooks.redis.outage import Outage
from ewh_webhooks.redis.rate_scripts import PAUSE_SCRIPT, RELEASE_SCRIPT, WINDOW_SCRIPT
from ewh_webhooks.testing import EWHEmulator

from .redis_server import RedisServer, _free_port

_keys = itertools.count()

# --- the Lua scripts are window_wait, on Redis -----------------------------------------------

LEASE = 60_000_000
POLL = 10_000


def _keys_of(key: str) -> list[str]:
    return [f"{key}:ended", f"{key}:flight", f"{key}:pause"]


def _run_window(
    client: redis.Redis, key: str, max_requests: int, window: int, member: str, now: int | None
) -> int:
    args: list[str | int] = [max_requests, window, member, LEASE, POLL]
    if now is not None:
        args.append(now)
    result: int = client.eval(WINDOW_SCRIPT.text, 3, *_keys_of(key), *args)  # type: ignore[no-untyped-call]
    return result


def _run_release(client: redis.Redis, key: str, member: str, window: int, now: int) -> None:
    client.eval(RELEASE_SCRIPT.text, 2, *_keys_of(key)[:2], member, window, now)  # type: ignore[no-untyped-call]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    max_requests=st.integers(1, 5),
    window=st.integers(100_000, 3_000_000),
    gaps=st.lists(st.integers(0, 2_000_000), max_size=12),
    last_gap=st.integers(0, 4_000_000),
    flying=st.integers(0, 6),
)
def test_the_lua_window_decides_as_window_wait(
    redis_server: RedisServer,
    max_requests: int,
    window: int,
    gaps: list[int],
    last_gap: int,
    flying: int,
) -> None:
    stamps = list(itertools.accumulate(gaps, initial=1_700_000_000_000_000))[1:]
    now = (stamps[-1] if stamps else 1_700_000_000_000_000) + last_gap
    key = f"prop:{next(_keys)}"
    ended_key, flight_key, _ = _keys_of(key)
    client = redis.Redis.from_url(redis_server.url)
    try:
        if stamps:
            client.zadd(ended_key, {f"old{i}": stamp for i, stamp in enumerate(stamps)})
        if flying:
            client.zadd(flight_key, {f"fly{i}": now + LEASE for i in range(flying)})
        wait = _run_window(client, key, max_requests, window, "new", now)
        expected = window_wait(
            stamps, now=now, max_requests=max_requests, window=window, in_flight=flying
        )
        assert wait == (POLL if expected is None else expected)
        assert (client.zscore(flight_key, "new") == now + LEASE) is (expected == 0)
    finally:
        client.delete(ended_key, flight_key)
        client.close()


def test_a_release_moves_a_flight_to_the_ends_once(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        now = 1_700_000_000_000_000
        assert _run_window(client, "r", 1, 1_000_000, "a", now) == 0
        assert _run_window(client, "r", 1, 1_000_000, "b", now + 10) == POLL  # a in flight
        _run_release(client, "r", "a", 1_000_000, now + 500)
        assert client.zscore("r:ended", "a") == now + 500
        assert client.zcard("r:flight") == 0
        _run_release(client, "r", "a", 1_000_000, now + 900)  # twice: no effect
        assert client.zscore("r:ended", "a") == now + 500
        # One window after the END, not after the grant:
        assert _run_window(client, "r", 1, 1_000_000, "b", now + 1_000_000) == 500
        assert _run_window(client, "r", 1, 1_000_000, "b", now + 1_000_500) == 0
    finally:
        client.close()


def test_a_flight_whose_end_never_comes_stops_counting_after_its_lease(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        now = 1_700_000_000_000_000
        assert _run_window(client, "l", 1, 1_000_000, "dead", now) == 0
        assert _run_window(client, "l", 1, 1_000_000, "next", now + LEASE - 1) == POLL
        assert _run_window(client, "l", 1, 1_000_000, "next", now + LEASE) == 0
    finally:
        client.close()


def test_a_pause_holds_the_window_and_never_shortens(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        assert _run_window(client, "k", 5, 1_000_000, "a", None) == 0
        asyncio.run(_pause(redis_url, "k:pause", 500))
        asyncio.run(_pause(redis_url, "k:pause", 100))  # shorter: ignored
        wait = _run_window(client, "k", 5, 1_000_000, "b", None)
        assert 400_000 < wait <= 500_000
        assert client.zcard("k:flight") == 1  # not granted
    finally:
        client.close()


async def _pause(url: str, key: str, ms: int) -> None:
    client = aioredis.from_url(url)
    try:
        await PAUSE_SCRIPT(client, [key], [ms])
    finally:
        await client.aclose()


async def test_grants_and_ends_are_stamped_with_redis_time_not_the_callers_clock(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 3600.0)  # this machine is an hour off
    async with RedisRateLimit(redis_url, 5, 1.0, key="skew", lease=30.0) as limit:
        token = await limit.acquire()
        client = aioredis.from_url(redis_url)
        try:
            [(_, lease_end)] = await client.zrange("skew:flight", 0, -1, withscores=True)
            await limit.release(token)
            [(_, ended)] = await client.zrange("skew:ended", 0, -1, withscores=True)
            seconds, micros = await client.time()
        finally:
            await client.aclose()
    redis_now = seconds + micros / 1e6
    assert abs(lease_end / 1e6 - 30.0 - redis_now) < 1.0
    assert abs(ended / 1e6 - redis_now) < 1.0


# --- the limiter -----------------------------------------------------------------------------


async def test_two_limiters_on_one_key_share_one_budget(redis_url: str) -> None:
    async with (
        RedisRateLimit(redis_url, 3, 0.3, key="shared") as one,
        RedisRateLimit(redis_url, 3, 0.3, key="shared") as other,
        RedisRateLimit(redis_url, 3, 0.3, key="another") as unrelated,
    ):
        assert isinstance(one, RateLimiter)
        started = time.monotonic()
        for limit in (one, one, other):
            await limit.release(await limit.acquire())
        await unrelated.release(await unrelated.acquire())  # its own budget
        assert time.monotonic() - started < 0.2
        await other.acquire()  # the fourth on "shared" waits for the first to leave
        assert time.monotonic() - started >= 0.3


async def test_a_pause_from_one_limiter_holds_the_other(redis_url: str) -> None:
    async with (
        RedisRateLimit(redis_url, 10, 1.0, key="p") as one,
        RedisRateLimit(redis_url, 10, 1.0, key="p") as other,
    ):
        await one.acquire()
        await one.pause(0.4)
        started = time.monotonic()
        await other.acquire()
        assert time.monotonic() - started >= 0.38


async def test_while_redis_answers_its_pause_is_the_only_one(redis_url: str) -> None:
    # A grant must go out at once: held back locally, it would leave after a pause
    # while Redis, its stamp expired meanwhile, let others go too.
    async with RedisRateLimit(redis_url, 10, 1.0, key="p") as limit:
        await limit.pause(0.5)
        client = aioredis.from_url(redis_url)
        try:
            await client.delete("p:pause")  # the pause is over, as Redis sees it
        finally:
            await client.aclose()
        started = time.monotonic()
        await limit.acquire()
        assert time.monotonic() - started < 0.2


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((0, 1.0), "max_requests must be an integer >= 1"),
        ((True, 1.0), "max_requests must be an integer >= 1"),
        ((5, 0), "period must be a finite number > 0"),
        ((5, float("nan")), "period must be a finite number > 0"),
    ],
)
def test_bad_settings_are_refused(arguments: tuple[object, object], message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        RedisRateLimit("redis://localhost:6379/0", *arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"key": ""}, "key must be a non-empty string"),
        ({"key": "   "}, "key must be a non-empty string"),
        ({"max_connections": 0}, "max_connections"),
        ({"margin": -1}, "margin must be a finite number >= 0"),
        ({"recheck_after": 0}, "recheck_after must be a finite number > 0"),
        ({"timeout": 0}, "timeout must be a finite number > 0"),
    ],
)
def test_bad_options_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        RedisRateLimit("redis://localhost:6379/0", 5, 1.0, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "url", ["http://localhost:6379/0", "redis://:pw-SECRET@localhost:port/0", "", None]
)
def test_a_bad_url_is_refused_without_its_password(url: object) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        RedisRateLimit(url, 5, 1.0)  # type: ignore[arg-type]
    assert "pw-SECRET" not in str(info.value)


async def test_a_pause_of_no_finite_length_is_refused() -> None:
    limit = RedisRateLimit("redis://localhost:6379/0", 5, 1.0)
    with pytest.raises(InvalidArgumentError, match="finite"):
        await limit.pause(float("inf"))
    await limit.pause(0)  # nothing to do, nothing asked of Redis


def test_repr_hides_the_password() -> None:
    limit = RedisRateLimit("redis://user:pw-SECRET@localhost:6379/0?password=pw-SECRET", 5, 1.0)
    assert "pw-SECRET" not in repr(limit)
    assert repr(limit).startswith("RedisRateLimit('redis://user:***@localhost:6379/0?password=***'")


# --- Redis away --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        pytest.param([], [], id="healthy: ask Redis"),
        pytest.param([("fail", 0.0)], [("warn", True)], id="the first failure warns"),
        pytest.param(
            [("fail", 0.0), ("fail", 1.0), ("fail", 7.0)],
            [("warn", True), ("warn", False), ("warn", False)],
            id="later failures of the same outage do not",
        ),
        pytest.param(
            [("fail", 0.0), ("use", 4.9), ("use", 5.0)],
            [("warn", True), ("use", False), ("use", True)],
            id="Redis is asked again after recheck_after",
        ),
        pytest.param(
            [("fail", 0.0), ("fail", 5.0), ("use", 9.9), ("use", 10.0)],
            [("warn", True), ("warn", False), ("use", False), ("use", True)],
            id="a failed recheck waits another recheck_after",
        ),
        pytest.param(
            [("fail", 0.0), ("answer", 5.0), ("answer", 6.0), ("fail", 8.0)],
            [("warn", True), ("ended", True), ("ended", False), ("warn", True)],
            id="an outage ends when Redis answers; the next one warns again",
        ),
    ],
)
def test_outage(events: list[tuple[str, float]], expected: list[tuple[str, bool]]) -> None:
    outage = Outage(recheck_after=5.0)
    assert outage.use_redis(0.0)
    seen = []
    for event, now in events:
        if event == "fail":
            seen.append(("warn", outage.failed(now)))
        elif event == "answer":
            seen.append(("ended", outage.answered()))
        else:
            seen.append(("use", outage.use_redis(now)))
    assert seen == expected


async def test_unreachable_redis_falls_back_to_a_local_limit_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"redis://user:pw-SECRET@127.0.0.1:{_free_port()}/0"
    caplog.set_level(logging.DEBUG, logger="ewh_webhooks")
    async with RedisRateLimit(url, 4, 0.2, recheck_after=0.05) as limit:
        started = time.monotonic()
        for _ in range(9):  # 4 at once, 4 a window after their ends, then 1 more
            await limit.release(await limit.acquire())
            await asyncio.sleep(0.01)  # time for rechecks: they fail too
        elapsed = time.monotonic() - started
        await limit.pause(0.05)  # never raises either
        assert not limit.shared
    assert elapsed >= 0.4  # limited: the local window, not unlimited
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "local limit of 4 per 0.2 s" in warnings[0].getMessage()
    assert "user:***@127.0.0.1" in warnings[0].getMessage()
    assert "pw-SECRET" not in caplog.text


async def test_redis_stopped_mid_run_requests_go_on_under_the_local_limit_then_share_again(
    redis_server_factory: Callable[[], RedisServer], caplog: pytest.LogCaptureFixture
) -> None:
    server = redis_server_factory()
    caplog.set_level(logging.INFO, logger="ewh_webhooks")
    async with (
        EWHEmulator(rate_limit=(10, 0.5), rate_limit_window="sliding") as emu,
        RedisRateLimit(server.url, 10, 0.5, key="down", recheck_after=0.3) as limit,
        emu.client(rate_limit=limit) as client,
    ):
        await asyncio.gather(*(client.webhooks.list_page() for _ in range(14)))
        assert limit.shared
        await asyncio.to_thread(server.stop)
        started = time.monotonic()
        await asyncio.gather(*(client.webhooks.list_page() for _ in range(25)))
        assert time.monotonic() - started >= 1.0  # 25 more at 10 per 0.55 s
        assert not limit.shared
        await asyncio.to_thread(server.start)
        await asyncio.sleep(0.6)  # the recheck is due, and every window has emptied
        await asyncio.gather(*(client.webhooks.list_page() for _ in range(5)))
        assert limit.shared
    assert len(emu.requests) == 1 + 14 + 25 + 5  # nothing refused, nothing retried
    assert 429 not in [r.status for r in emu.requests]
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "rate limit 'down' goes on with a local limit" in warnings[0].getMessage()
    assert any("answers again" in r.getMessage() for r in caplog.records)


async def test_a_closed_limiter_reconnects_when_used_again(redis_url: str) -> None:
    # A client closes its limiter with itself; another client of it goes on.
    async with EWHEmulator() as emu, RedisRateLimit(redis_url, 5, 1.0, key="c") as limit:
        async with emu.client(rate_limit=limit) as leaving:
            await leaving.webhooks.list_page()
        async with emu.client(rate_limit=limit) as staying:
            await staying.webhooks.list_page()
        assert limit.shared
    client = aioredis.from_url(redis_url)
    try:
        assert await client.zcard("c:ended") == 4  # two logins, two GETs: all through Redis
    finally:
        await client.aclose()


async def test_an_acquire_cancelled_after_its_grant_gives_the_place_back(redis_url: str) -> None:
    async with RedisRateLimit(redis_url, 1, 0.2, key="cancel") as limit:
        await limit.release(await limit.acquire())  # connected, the window warm
        await asyncio.sleep(0.25)
        for turns in range(1, 9):  # cancelled at every point of its way, reply included
            task = asyncio.create_task(limit.acquire())
            for _ in range(turns):
                await asyncio.sleep(0)
            task.cancel()
            results = await asyncio.gather(task, return_exceptions=True)
            if not isinstance(results[0], asyncio.CancelledError):
                await limit.release(results[0])
            started = time.monotonic()
            # A place lost until the lease (60 s) would block this for a minute.
            token = await asyncio.wait_for(limit.acquire(), 2)
            assert time.monotonic() - started < 1.0
            await limit.release(token)
            await asyncio.sleep(0.25)  # the window empty again: the next one is granted
        client = aioredis.from_url(redis_url)
        try:
            assert await client.zcard("cancel:flight") == 0
        finally:
            await client.aclose()


@pytest.mark.parametrize(
    "url", ["redis:////:pw-SECRET@127.0.0.1:1/0", "redis://:pw-SECRET@127.0.0.1:1/0"]
)
async def test_a_password_never_shows_whatever_the_url_looks_like(url: str) -> None:
    from ewh_webhooks.redis import RedisDedupStore, RedisInbox, RedisStoreError

    shown = [repr(RedisRateLimit(url, 5)), repr(RedisInbox(url)), repr(RedisDedupStore(url))]
    with pytest.raises(RedisStoreError) as caught:
        await RedisDedupStore(url, timeout=0.2).claim("x")
    shown.append(str(caught.value))
    for text in shown:
        assert "pw-SECRET" not in text, text
