"""The request loop's own decisions (deadline per attempt, shared pause), its hooks,
and the conventions users expect: max_retries, per-call timeout and headers, the
raw response, client views."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from aioresponses import CallbackResult, aioresponses

from ewh_webhooks import (
    EWHClient,
    InvalidArgumentError,
    RateLimit,
    RateLimitError,
    RetryPolicy,
    ServerError,
    Timeout,
    WebhookSpec,
)
from ewh_webhooks.observe import ClientEvent, RateLimitPause, RequestAttempt, TokenRenewal
from ewh_webhooks.retry import attempt_timeout_within, backoff_wait
from ewh_webhooks.runtime import Runtime
from ewh_webhooks.testing import EWHEmulator

from .api_mock import HOOK, HOOK_URL, LOGIN, calls, tokens
from .conftest import BASE, FakeTime, make_client

# --- pure decisions ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timeout", "deadline", "elapsed", "expected_total"),
    [
        (Timeout(total=30), 120.0, 0.0, 30),  # the attempt fits: unchanged
        (Timeout(total=30), 120.0, 100.0, 20.0),  # shortened to what the deadline leaves
        (Timeout(total=None), 120.0, 10.0, 110.0),  # no total: the deadline gives one
        (Timeout(total=30), None, 1e6, 30),  # no deadline: unchanged
        (Timeout(total=30), 120.0, 500.0, 0.001),  # past the deadline: fails at once
    ],
)
def test_an_attempt_never_outlives_the_calls_deadline(
    timeout: Timeout, deadline: float | None, elapsed: float, expected_total: float
) -> None:
    policy = RetryPolicy(deadline=deadline)
    assert attempt_timeout_within(timeout, policy, elapsed).total == pytest.approx(expected_total)


def test_deadline_shortening_keeps_the_connect_and_read_limits() -> None:
    timeout = Timeout(total=30, connect=3, read=10)
    shortened = attempt_timeout_within(timeout, RetryPolicy(deadline=5), 0.0)
    assert (shortened.total, shortened.connect, shortened.read) == (5, 3, 10)


@pytest.mark.parametrize(
    ("delay", "paused_for", "sleep"),
    [
        (0.5, 0.0, 0.5),  # no pause: the backoff itself
        (0.5, 2.0, 0.0),  # a longer shared pause holds the task: no sleep of its own
        (4.0, 2.0, 4.0),  # a longer backoff: the pause ends during it
        (2.0, 2.0, 0.0),  # the pause this task set itself
    ],
)
def test_a_backoff_overlaps_the_shared_pause(delay: float, paused_for: float, sleep: float) -> None:
    assert backoff_wait(delay, paused_for) == sleep


# --- the shared pause, end to end ---------------------------------------------------------


async def test_a_retry_after_on_a_503_pauses_every_task_too(
    mock: aioresponses, fake_time: FakeTime
) -> None:
    events: list[ClientEvent] = []
    mock.post(LOGIN, payload=tokens())
    mock.get(HOOK_URL, status=503, headers={"Retry-After": "3"}, payload={"message": "down"})
    mock.get(HOOK_URL, payload=HOOK, repeat=True)
    paused: list[float] = []

    def on_event(event: ClientEvent) -> None:
        events.append(event)
        if isinstance(event, RateLimitPause):
            paused.append(client.context.loop.gate.paused_for)

    async with make_client(runtime=fake_time.runtime(), hooks=[on_event]) as client:
        await client.webhooks.get(HOOK["id"])
    # The pause is on the client's gate, which every task passes: 3 s for all of them,
    # served by the gate (not by this task's own backoff sleep).
    assert paused == [3.0]
    assert fake_time.sleeps == [3.0]
    (pause,) = [e for e in events if isinstance(e, RateLimitPause)]
    assert (pause.seconds, pause.status, pause.route) == (3.0, 503, "/webhooks/{id}/")


@pytest.mark.parametrize(
    ("retry_after", "options"),
    [
        pytest.param("2", {"max_retries": 0}, id="retries-used-up"),
        pytest.param("90", {}, id="retry-after-past-max_retry_after"),
    ],
)
async def test_a_429_that_is_not_retried_still_pauses_every_other_task(
    mock: aioresponses, retry_after: str, options: dict[str, Any]
) -> None:
    time = SteppedTime()
    sent: list[tuple[str, float]] = []
    events: list[ClientEvent] = []

    def record(name: str, status: int = 200, **answer: Any) -> Any:
        async def callback(url: Any, **_: Any) -> CallbackResult:
            sent.append((name, time.now - 1000.0))
            return CallbackResult(status=status, **answer)

        return callback

    a_url, b_url = f"{BASE}/webhooks/a/", f"{BASE}/webhooks/b/"
    mock.post(LOGIN, payload=tokens())
    mock.get(a_url, callback=record("a", 429, headers={"Retry-After": retry_after}, payload={}))
    mock.get(b_url, callback=record("b", payload={**HOOK, "id": "b"}))
    async with make_client(runtime=time.runtime(), hooks=[events.append], **options) as client:
        with pytest.raises(RateLimitError):
            await client.webhooks.get("a")
        b = asyncio.ensure_future(client.webhooks.get("b"))
        while not b.done():
            await time.step()
        await b
    assert sent == [("a", 0.0), ("b", float(retry_after))]
    (pause,) = [e for e in events if isinstance(e, RateLimitPause)]
    assert (pause.seconds, pause.status) == (float(retry_after), 429)


class SteppedTime:
    """A clock that moves only when the test steps it: every sleeper waits for its wake
    time, so tasks that wait together stay ordered as they would in real time."""

    def __init__(self) -> None:
        self.now = 1000.0
        self._sleepers: list[tuple[float, asyncio.Future[None]]] = []

    def runtime(self) -> Runtime:
        return Runtime(
            clock=lambda: self.now,
            wall_clock=lambda: self.now,
            sleep=self.sleep,
            random=lambda: 0.0,
        )

    async def sleep(self, seconds: float) -> None:
        woken = asyncio.get_running_loop().create_future()
        self._sleepers.append((self.now + max(0.0, seconds), woken))
        await woken

    async def step(self) -> None:
        """Let every task run until it waits, then wake the earliest sleepers."""
        for _ in range(50):
            await asyncio.sleep(0)
        if self._sleepers:
            self.now = min(wake for wake, _ in self._sleepers)
            for wake, woken in [s for s in self._sleepers if s[0] <= self.now]:
                self._sleepers.remove((wake, woken))
                woken.set_result(None)


@pytest.mark.parametrize(
    ("backoff", "retried_at"),
    [
        pytest.param(4.0, 4.0, id="a-longer-backoff-is-not-shortened-by-the-pause"),
        pytest.param(0.5, 2.0, id="a-shorter-backoff-waits-for-the-pause"),
    ],
)
async def test_a_retry_waits_for_its_backoff_or_another_tasks_pause_whichever_is_longer(
    mock: aioresponses, backoff: float, retried_at: float
) -> None:
    time = SteppedTime()
    throttled = asyncio.Event()
    sent: list[tuple[str, float]] = []

    def record(name: str, status: int = 200, **answer: Any) -> Any:
        async def callback(url: Any, **_: Any) -> CallbackResult:
            sent.append((name, time.now - 1000.0))
            if name == "a" and status == 503:
                await throttled.wait()  # in flight while the other task is throttled
            return CallbackResult(status=status, **answer)

        return callback

    a_url, b_url = f"{BASE}/webhooks/a/", f"{BASE}/webhooks/b/"
    mock.post(LOGIN, payload=tokens())
    mock.get(a_url, callback=record("a", 503, payload={"message": "busy"}))
    mock.get(a_url, callback=record("a", payload={**HOOK, "id": "a"}))
    mock.get(b_url, callback=record("b", 429, headers={"Retry-After": "2"}, payload={}))
    mock.get(b_url, callback=record("b", payload={**HOOK, "id": "b"}))

    def on_event(event: ClientEvent) -> None:
        if isinstance(event, RateLimitPause):
            throttled.set()

    policy = RetryPolicy(backoff_initial=backoff, jitter=0.0)
    async with make_client(runtime=time.runtime(), retry=policy, hooks=[on_event]) as client:
        calls_ = asyncio.gather(client.webhooks.get("a"), client.webhooks.get("b"))
        while not calls_.done():
            await time.step()
        await calls_
    assert sorted(sent) == [("a", 0.0), ("a", retried_at), ("b", 0.0), ("b", 2.0)]


# --- hooks ------------------------------------------------------------------------------


async def test_hooks_see_every_attempt_renewal_and_retry_decision(
    mock: aioresponses, fake_time: FakeTime
) -> None:
    events: list[ClientEvent] = []
    mock.post(LOGIN, payload=tokens())
    mock.get(HOOK_URL, status=502, body="<html>bad gateway</html>", content_type="text/html")
    mock.get(HOOK_URL, payload=HOOK)
    async with make_client(runtime=fake_time.runtime(), hooks=[events.append]) as client:
        await client.webhooks.get(HOOK["id"])
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["RequestAttempt", "TokenRenewal", "RequestAttempt", "RequestAttempt"]
    login, renewal, failed, ok = events
    assert isinstance(login, RequestAttempt)
    assert (login.method, login.route, login.status, login.customer) == (
        "POST",
        "/wms/auth/login/",
        200,
        None,
    )
    assert isinstance(renewal, TokenRenewal)
    assert (renewal.kind, renewal.error) == ("login", None)
    assert isinstance(failed, RequestAttempt)
    assert (failed.status, failed.attempt, failed.retry, failed.retry_delay) == (502, 1, True, 0.5)
    assert isinstance(ok, RequestAttempt)
    assert (ok.status, ok.attempt, ok.retry, ok.route) == (200, 2, False, "/webhooks/{id}/")
    assert failed.request_id == ok.request_id  # one request id across its attempts


async def test_hooks_never_see_a_secret(mock: aioresponses, fake_time: FakeTime) -> None:
    events: list[ClientEvent] = []
    mock.post(LOGIN, payload=tokens())
    mock.post(f"{BASE}/webhooks/", status=201, payload={**HOOK, "hash_secret": "S3CRET"})
    async with make_client(runtime=fake_time.runtime(), hooks=[events.append]) as client:
        await client.webhooks.create(
            url="https://e.test/h", group="order", action="shipped", hash_secret="S3CRET"
        )
    text = repr(events)
    for secret in ("S3CRET", "pa55word", "tok1", "ref1"):
        assert secret not in text


async def test_a_failing_hook_never_breaks_a_request(
    mock: aioresponses, fake_time: FakeTime, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(event: ClientEvent) -> None:
        raise RuntimeError("metrics backend down")

    seen: list[ClientEvent] = []

    async def slow(event: ClientEvent) -> None:
        await asyncio.sleep(0)
        seen.append(event)

    mock.post(LOGIN, payload=tokens())
    mock.get(HOOK_URL, payload=HOOK)
    async with make_client(runtime=fake_time.runtime(), hooks=[broken, slow]) as client:
        assert (await client.webhooks.get(HOOK["id"])).id == HOOK["id"]
    assert "metrics backend down" in caplog.text
    assert len(seen) == 3  # the coroutine hook finished before the client closed


def test_hooks_must_be_callables() -> None:
    with pytest.raises(InvalidArgumentError, match="callables"):
        make_client(hooks=["not a function"])


async def test_trace_configs_reach_the_session_the_client_creates(emulator: EWHEmulator) -> None:
    import aiohttp

    started: list[str] = []

    async def on_start(_: Any, __: Any, params: aiohttp.TraceRequestStartParams) -> None:
        started.append(params.method)

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    async with emulator.client(trace_configs=[trace]) as client:
        await client.webhooks.list_page()
    assert started == ["POST", "GET"]


async def test_trace_configs_with_a_session_of_your_own_are_refused_not_ignored() -> None:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        with pytest.raises(InvalidArgumentError, match=r"your own aiohttp\.ClientSession"):
            make_client(session=session, trace_configs=[aiohttp.TraceConfig()])


async def test_a_token_that_expires_while_its_request_waits_is_renewed_once_not_forever(
    mock: aioresponses, fake_time: FakeTime
) -> None:
    # The rate limit holds the second request 10 s, longer than a token lives (5 s):
    # it renews once, and the renewed token goes out even if it too aged in the wait.
    mock.post(LOGIN, payload=tokens(1, lifetime=5), repeat=True)
    mock.get(HOOK_URL, payload=HOOK, repeat=True)
    limit = RateLimit(1, 10.0, clock=fake_time.clock, sleep=fake_time.sleep)
    async with make_client(runtime=fake_time.runtime(), rate_limit=limit) as client:
        await asyncio.wait_for(client.webhooks.get(HOOK["id"]), 2)
        await asyncio.wait_for(client.webhooks.get(HOOK["id"]), 2)
    assert len(calls(mock, "GET", HOOK_URL)) == 2
    assert len(calls(mock, "POST", LOGIN)) == 2  # the first login, one renewal


# --- conventions ---------------------------------------------------------------------


async def test_max_retries_is_a_shorthand_on_the_client_and_per_call(
    mock: aioresponses, fake_time: FakeTime
) -> None:
    mock.post(LOGIN, payload=tokens())
    mock.get(HOOK_URL, status=503, payload={"message": "down"}, repeat=True)
    async with make_client(runtime=fake_time.runtime(), max_retries=1) as client:
        assert client.retry.max_retries == 1
        with pytest.raises(ServerError):
            await client.webhooks.get(HOOK["id"])
        assert len(calls(mock, "GET", HOOK_URL)) == 2
        with pytest.raises(ServerError):
            await client.with_options(max_retries=0).webhooks.get(HOOK["id"])
        assert len(calls(mock, "GET", HOOK_URL)) == 3
    policy = RetryPolicy(backoff_initial=1.0)
    assert make_client(retry=policy, max_retries=7).retry == RetryPolicy(
        backoff_initial=1.0, max_retries=7
    )


async def test_per_call_timeout_and_extra_headers(api: EWHClient, mock: aioresponses) -> None:
    mock.get(HOOK_URL, payload=HOOK, repeat=True)
    await api.webhooks.get(HOOK["id"], timeout=2.5, extra_headers={"X-Trace-Id": "abc"})
    (call,) = calls(mock, "GET", HOOK_URL)
    assert call.kwargs["headers"]["X-Trace-Id"] == "abc"
    assert call.kwargs["timeout"].total == 2.5
    await api.with_options(extra_headers={"X-Tenant": "t1"}).webhooks.get(
        HOOK["id"], extra_headers={"X-Trace-Id": "def"}
    )
    second = calls(mock, "GET", HOOK_URL)[1]
    assert (second.kwargs["headers"]["X-Tenant"], second.kwargs["headers"]["X-Trace-Id"]) == (
        "t1",
        "def",
    )


async def test_sync_sends_its_per_call_timeout_and_extra_headers_with_every_request(
    api: EWHClient, mock: aioresponses
) -> None:
    listing = re.compile(rf"^{re.escape(BASE)}/webhooks/\?.*$")
    mock.get(listing, payload={"count": 0, "next": None, "previous": None, "results": []})
    mock.post(f"{BASE}/webhooks/", payload=HOOK)
    spec = WebhookSpec(url=HOOK["url"], group=HOOK["group"], action=HOOK["action"], hash_secret="s")
    result = await api.webhooks.sync([spec], timeout=2.5, extra_headers={"X-Trace-Id": "abc"})
    assert result.ok
    sent = [c for key, cs in mock.requests.items() if key[0] in ("GET", "POST") for c in cs]
    webhook_calls = [c for c in sent if "X-Customer-Code" in c.kwargs["headers"]]
    assert len(webhook_calls) == 2  # the listing and the create
    for call in webhook_calls:
        assert call.kwargs["headers"]["X-Trace-Id"] == "abc"
        assert call.kwargs["timeout"].total == 2.5


@pytest.mark.parametrize(
    ("headers", "fragment"),
    [
        ({"Authorization": "Bearer x"}, "set by the client"),
        ({"x-customer-code": "OTHER"}, "set by the client"),
        ({"Bad Name": "v"}, "not a valid header name"),
        ({"X-A": 5}, "printable"),
        ("X-A: 1", "mapping"),
    ],
)
async def test_extra_headers_cannot_replace_the_clients_own(
    api: EWHClient, headers: Any, fragment: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=fragment):
        await api.webhooks.get(HOOK["id"], extra_headers=headers)


async def test_the_raw_response_comes_with_the_typed_result(
    api: EWHClient, mock: aioresponses
) -> None:
    mock.get(HOOK_URL, payload=HOOK, headers={"X-Server": "eu-1"})
    response = await api.webhooks.with_raw_response.get(HOOK["id"])
    assert response.status == 200
    assert response.parsed.id == HOOK["id"]
    assert response.headers["X-Server"] == "eu-1"
    (call,) = calls(mock, "GET", HOOK_URL)
    assert response.request_id == call.kwargs["headers"]["X-Request-Id"]
    mock.delete(HOOK_URL, status=204)
    deleted = await api.webhooks.with_raw_response.delete(HOOK["id"])
    assert (deleted.status, deleted.parsed) == (204, None)


async def test_views_share_the_login_and_keep_their_own_settings(
    api: EWHClient, mock: aioresponses
) -> None:
    mock.get(HOOK_URL, payload=HOOK, repeat=True)
    other = api.for_customer("CUST2").with_options(timeout=3)
    assert (other.customer_code, other.timeout.total, api.timeout.total) == ("CUST2", 3, 30.0)
    await api.webhooks.get(HOOK["id"])
    await other.webhooks.get(HOOK["id"])
    first, second = calls(mock, "GET", HOOK_URL)
    assert first.kwargs["headers"]["X-Customer-Code"] == "CUST1"
    assert second.kwargs["headers"]["X-Customer-Code"] == "CUST2"
    assert len(calls(mock, "POST", LOGIN)) == 1
    await other.aclose()  # a view closes nothing
    assert not api.closed


async def test_closing_the_client_cancels_its_page_fetches_in_flight() -> None:
    async with EWHEmulator(latency=0.05) as emu:
        for i in range(200):
            emu.state.add_webhook(
                emu.customer_code,
                url=f"https://e.test/{i}",
                group="order",
                action="created",
                hash_secret="s",
            )
        client = emu.client()
        listing = client.webhooks.list(limit=10)
        async for _ in listing:
            break
        ahead = [t for t in asyncio.all_tasks() if t.get_name().startswith("ewh_webhooks page")]
        assert ahead
        assert not any(t.done() for t in ahead)
        await client.aclose()
        assert all(t.cancelled() for t in ahead)
        await listing.aclose()  # type: ignore[attr-defined]


async def test_a_token_that_expires_while_waiting_in_the_gate_is_renewed_before_sending(
    mock: aioresponses, fake_time: FakeTime
) -> None:
    mock.post(LOGIN, payload=tokens(1, lifetime=100))
    mock.post(f"{BASE}/wms/auth/refresh/", payload=tokens(2, lifetime=3600))
    mock.get(HOOK_URL, payload=HOOK, repeat=True)
    async with make_client(runtime=fake_time.runtime()) as client:
        await client.webhooks.get(HOOK["id"])  # logged in: tok1, renewed at 75 s
        await client.context.loop.gate.pause(200.0)  # a 429 elsewhere holds every task
        await client.webhooks.get(HOOK["id"])
    first, second = calls(mock, "GET", HOOK_URL)
    assert first.kwargs["headers"]["Authorization"] == "Bearer tok1"
    assert second.kwargs["headers"]["Authorization"] == "Bearer tok2"  # not the stale one


async def test_an_attempt_after_a_long_wait_in_the_gate_keeps_to_the_deadline(
    mock: aioresponses, fake_time: FakeTime
) -> None:
    mock.post(LOGIN, payload=tokens(1))
    mock.get(HOOK_URL, payload=HOOK, repeat=True)
    policy = RetryPolicy(deadline=60.0)
    async with make_client(runtime=fake_time.runtime(), retry=policy, timeout=30) as client:
        await client.webhooks.get(HOOK["id"])
        await client.context.loop.gate.pause(45.0)
        await client.webhooks.get(HOOK["id"])
    second = calls(mock, "GET", HOOK_URL)[1]
    # 45 of the call's 60 s went in the gate: the attempt gets the 15 s left, not 30.
    assert second.kwargs["timeout"].total == pytest.approx(15.0)
