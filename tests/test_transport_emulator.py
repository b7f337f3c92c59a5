"""Retries, timeouts, flow control, cancellation and lifecycle against the emulator's faults."""

from __future__ import annotations

import asyncio
import logging
import socket
import time

import pytest

from ewh_webhooks import (
    APIConnectionError,
    APITimeoutError,
    ClientClosedError,
    EWHClient,
    RateLimit,
    RateLimitError,
    RetryPolicy,
    ServerError,
)
from ewh_webhooks.testing import EWHEmulator, FaultPlan

from .conftest import FakeTime, make_client

URL = "https://e.test/h"


async def make_hook(client: EWHClient) -> str:
    return (
        await client.webhooks.create(url=URL, group="order", action="created", hash_secret="s")
    ).id


def webhook_gets(emu: EWHEmulator) -> int:
    return sum(
        1 for r in emu.state.requests if r.method == "GET" and r.path.startswith("/webhooks/")
    )


async def test_503_then_success(
    emulator: EWHEmulator, client: EWHClient, fake_time: FakeTime
) -> None:
    hook_id = await make_hook(client)
    emulator.faults = FaultPlan()
    emulator.faults.fail_next("503", 2, method="GET")
    assert (await client.webhooks.get(hook_id)).id == hook_id
    assert webhook_gets(emulator) == 3
    assert fake_time.sleeps == [0.5, 1.0]


async def test_persistent_502_html_gives_up_with_a_server_error(
    emulator: EWHEmulator, client: EWHClient
) -> None:
    emulator.faults = FaultPlan(rates={"502": 1.0})
    with pytest.raises(ServerError, match="502 Bad Gateway"):
        await client.webhooks.list_page()
    assert webhook_gets(emulator) == 4


@pytest.mark.parametrize("as_date", [False, True])
async def test_429_retry_after_in_seconds_or_as_a_date_is_honoured(
    emulator: EWHEmulator, client: EWHClient, fake_time: FakeTime, as_date: bool
) -> None:
    emulator.faults = FaultPlan(retry_after=5, retry_after_date=as_date)
    emulator.faults.fail_next("429", method="GET")
    await client.webhooks.list_page()
    waited = sum(fake_time.sleeps)
    assert 4.0 <= waited <= 6.0  # an HTTP date has one-second resolution
    assert webhook_gets(emulator) == 2


async def test_retry_after_beyond_the_cap_raises_rate_limit_error_at_once(
    emulator: EWHEmulator, client: EWHClient, fake_time: FakeTime
) -> None:
    emulator.faults = FaultPlan(retry_after=600)
    emulator.faults.fail_next("429", method="GET")
    with pytest.raises(RateLimitError) as info:
        await client.webhooks.list_page()
    assert info.value.retry_after == 600
    assert fake_time.sleeps == []


async def test_dropped_connections_are_retried_for_gets(
    emulator: EWHEmulator, client: EWHClient
) -> None:
    hook_id = await make_hook(client)
    emulator.faults = FaultPlan()
    emulator.faults.fail_next("drop", 2, method="GET")
    assert (await client.webhooks.get(hook_id)).id == hook_id
    assert webhook_gets(emulator) == 3


async def test_create_dropped_after_the_server_stored_it_is_not_retried(
    emulator: EWHEmulator, client: EWHClient
) -> None:
    await client.webhooks.list_page()  # log in first
    emulator.faults = FaultPlan()
    emulator.faults.fail_next("drop_after", method="POST", path_prefix="/webhooks/")
    with pytest.raises(APIConnectionError) as info:
        await client.webhooks.create(url=URL, group="order", action="created", hash_secret="s")
    assert info.value.request_sent
    assert "POST /webhooks/" in str(info.value)
    assert len(emulator.webhooks()) == 1  # stored once, never duplicated
    assert emulator.state.count_requests("POST", "/webhooks/") == 1


async def test_create_is_retried_on_503_because_the_server_did_not_act(
    emulator: EWHEmulator, client: EWHClient
) -> None:
    await client.webhooks.list_page()
    emulator.faults = FaultPlan()
    emulator.faults.fail_next("503", method="POST", path_prefix="/webhooks/")
    await client.webhooks.create(url=URL, group="order", action="created", hash_secret="s")
    assert len(emulator.webhooks()) == 1
    assert emulator.state.count_requests("POST", "/webhooks/") == 2


async def test_connection_refused_is_retried_then_raised(fake_time: FakeTime) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with make_client(
        base_url=f"http://127.0.0.1:{port}", runtime=fake_time.runtime()
    ) as client:
        with pytest.raises(APIConnectionError) as info:
            await client.webhooks.list_page()
    assert not info.value.request_sent
    assert fake_time.sleeps == [0.5, 1.0, 2.0]


async def test_slow_response_hits_the_timeout_with_method_and_path(emulator: EWHEmulator) -> None:
    emulator.faults = FaultPlan(slow_seconds=0.5)
    async with emulator.client(retry=RetryPolicy.none()) as client:
        await client.webhooks.list_page()
        emulator.faults.fail_next("slow", method="GET")
        with pytest.raises(
            APITimeoutError, match=r"GET /webhooks/\?page=1&limit=50 failed: timed out"
        ):
            await client.with_options(timeout=0.1).webhooks.list_page()


async def test_a_429_pauses_every_task_of_the_client(emulator: EWHEmulator) -> None:
    emulator.faults = FaultPlan(retry_after=1)
    async with emulator.client() as client:
        await client.webhooks.list_page()
        emulator.faults.fail_next("429", method="GET", path_prefix="/webhooks/")
        first = asyncio.create_task(client.webhooks.list_page())
        async with asyncio.timeout(5):
            while not any(r.status == 429 for r in emulator.state.requests):
                await asyncio.sleep(0.005)
        limited_at = next(r.received_at for r in emulator.state.requests if r.status == 429)
        others = await asyncio.gather(
            *(client.webhooks.list_page(page=1, limit=5) for _ in range(5))
        )
        await first
    assert len(others) == 5
    later = [r.received_at for r in emulator.state.requests if r.query.get("limit") == "5"]
    assert len(later) == 5
    assert min(later) - limited_at >= 0.9


async def test_concurrency_cap_holds_for_many_concurrent_calls() -> None:
    async with EWHEmulator(latency=0.01) as emu, emu.client(max_in_flight=4) as client:
        await asyncio.gather(*(client.webhooks.list_page() for _ in range(40)))
        assert emu.state.max_in_flight <= 4


@pytest.mark.parametrize("window", ["bucket", "sliding"])
async def test_client_rate_limit_matches_a_server_limit_without_429s(window: str) -> None:
    async with EWHEmulator(rate_limit=(20, 0.5), rate_limit_window=window) as emu:
        async with emu.client(rate_limit=RateLimit(20, 0.5)) as client:
            started = time.monotonic()
            await asyncio.gather(*(client.webhooks.list_page() for _ in range(50)))
            elapsed = time.monotonic() - started
        assert not [r for r in emu.state.requests if r.status == 429]
        assert elapsed >= 0.7  # 51 requests at 40/s after a burst of 20


async def test_cancelling_during_a_backoff_sleep_is_immediate(emulator: EWHEmulator) -> None:
    emulator.faults = FaultPlan(rates={"503": 1.0})
    async with emulator.client() as client:
        task = asyncio.create_task(client.webhooks.list_page())
        async with asyncio.timeout(5):
            while webhook_gets(emulator) < 1:
                await asyncio.sleep(0.005)
        await asyncio.sleep(0.05)  # now in the 0.5 s backoff
        started = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert time.monotonic() - started < 0.1
    assert webhook_gets(emulator) == 1


async def test_cancelling_an_in_flight_request_releases_it(emulator: EWHEmulator) -> None:
    emulator.faults = FaultPlan(slow_seconds=0.3)
    async with emulator.client() as client:
        await client.webhooks.list_page()
        emulator.faults.fail_next("slow", method="GET")
        task = asyncio.create_task(client.webhooks.list_page())
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert (await client.webhooks.list_page()).count == 0  # the client still works


async def test_breaking_out_of_a_listing_leaves_nothing_open(emulator: EWHEmulator) -> None:
    async with emulator.client() as client:
        for i in range(120):
            emulator.state.add_webhook(
                emulator.customer_code,
                url=f"{URL}/{i}",
                group="order",
                action="created",
                hash_secret="s",
            )
        async for _ in client.webhooks.list(limit=10):
            break
    assert client.closed


async def test_using_a_closed_client_raises(emulator: EWHEmulator) -> None:
    client = emulator.client()
    async with client:
        await client.webhooks.list_page()
    with pytest.raises(ClientClosedError):
        await client.webhooks.list_page()
    with pytest.raises(ClientClosedError):
        async with client:
            pass


async def test_debug_log_has_one_line_per_request_and_retry_and_no_secrets(
    emulator: EWHEmulator, client: EWHClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="ewh_webhooks")
    emulator.faults = FaultPlan()
    emulator.faults.fail_next("503", method="GET")
    await client.webhooks.list_page()
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "POST /wms/auth/login/ -> 200" in text
    assert "GET /webhooks/?page=1&limit=50 -> 503" in text
    assert "retry in 0.50s (status 503)" in text
    assert "(attempt 2, request " in text
    assert emulator.password not in text
    for token in emulator.state.tokens:
        assert token not in text


async def test_request_id_sent_as_header_is_kept_on_errors(
    emulator: EWHEmulator, client: EWHClient
) -> None:
    from ewh_webhooks import NotFoundError

    with pytest.raises(NotFoundError) as info:
        await client.webhooks.get("0000-missing")
    sent = emulator.state.requests[-1].headers["X-Request-Id"]
    assert info.value.request_id == sent


async def test_login_follows_the_clients_timeout_and_retry_policy(emulator: EWHEmulator) -> None:
    emulator.faults = FaultPlan(slow_seconds=0.5)
    emulator.faults.fail_next("slow", path_prefix="/wms/auth/login/")
    async with emulator.client(timeout=0.1, retry=RetryPolicy.none()) as client:
        with pytest.raises(APITimeoutError, match="POST /wms/auth/login/ failed: timed out"):
            await client.webhooks.list_page()
