"""Writing benchmarks: bulk creates through sync, and the rate limit."""

from __future__ import annotations

import asyncio
import logging
import statistics
import time
from typing import Any

import aiohttp

from ewh_webhooks import RateLimit, WebhookSpec, sync_customers

from .common import client, raw_headers, server

# --- 4. bulk create through sync ------------------------------------------------------------


async def bench_bulk(
    runs: int, n: int, concurrency: int = 32, latency: float = 0.02
) -> dict[str, Any]:
    """Sync-create n webhooks; baselines: the ideal n/concurrency x latency, and raw
    aiohttp POSTs at the same concurrency against the same server (the floor: what
    any client's per-request CPU leaves of the ideal on this machine)."""
    ideal = n / concurrency * latency
    sdk_times, raw_times, writes = [], [], []
    async with (
        server(latency=latency, customers=2 * runs + 1) as base_url,
        client(base_url, max_in_flight=concurrency) as sdk,
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session,
    ):
        await sdk.webhooks.list_page()
        headers = await raw_headers(session, base_url)
        gate = asyncio.Semaphore(concurrency)

        async def raw_create(customer: str, i: int) -> None:
            body = {
                "url": f"https://bench.test/{customer}/{i}",
                "group": "order",
                "action": "created",
                "hash_secret": "s",
            }
            async with (
                gate,
                session.post(
                    f"{base_url}/webhooks/",
                    json=body,
                    headers={**headers, "X-Customer-Code": customer},
                ) as resp,
            ):
                assert resp.status == 201
                await resp.json()

        async def raw_run(customer: str) -> None:
            started = time.perf_counter()
            await asyncio.gather(*(raw_create(customer, i) for i in range(n)))
            raw_times.append(time.perf_counter() - started)

        async def sdk_run(customer: str) -> None:
            specs = [
                WebhookSpec(
                    url=f"https://bench.test/{customer}/{i}",
                    group="order",
                    action="created",
                    hash_secret="s",
                )
                for i in range(n)
            ]
            started = time.perf_counter()
            results = await sync_customers(sdk, {customer: specs}, concurrency=concurrency)
            sdk_times.append(time.perf_counter() - started)
            result = results[customer]
            assert result.ok
            assert result.created == n
            writes.append(result.plan.request_count)

        for run in range(runs):
            # Empty customers, one per run and side; the side that goes first alternates.
            first, second = (raw_run, sdk_run) if run % 2 == 0 else (sdk_run, raw_run)
            await first(f"C{2 * run + 2}")
            await second(f"C{2 * run + 3}")
    sdk_s, raw_s = statistics.median(sdk_times), statistics.median(raw_times)
    return {
        "n": n,
        "ideal_s": ideal,
        "raw_s": raw_s,
        "sdk_s": sdk_s,
        "ratio": sdk_s / ideal,
        "raw_ratio": raw_s / ideal,
        "sdk_vs_raw": sdk_s / raw_s,
        "writes": max(writes),
    }


# --- 5. rate limit ------------------------------------------------------------------------


class _Count429(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if " -> %d " in record.msg and record.args and record.args[2] == 429:  # type: ignore[index]
            self.count += 1


async def bench_rate_limit(n: int, rate: int) -> dict[str, Any]:
    counter = _Count429()
    logger = logging.getLogger("ewh_webhooks")
    logger.addHandler(counter)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        async with (
            server(rate_limit=f"{rate}/1") as base_url,
            client(base_url, rate_limit=RateLimit(rate, 1.0), max_in_flight=64) as sdk,
        ):
            await sdk.webhooks.list_page(limit=1)
            await asyncio.sleep(1.0)  # a fresh server bucket: let the login's token drain
            counter.count = 0
            started = time.perf_counter()
            await asyncio.gather(*(sdk.webhooks.list_page(limit=1) for _ in range(n)))
            elapsed = time.perf_counter() - started
    finally:
        logger.removeHandler(counter)
        logger.propagate = True
        logger.setLevel(logging.NOTSET)
    # The client's bucket starts full, so its first `burst` requests go at once (the
    # burst is a tenth short of the rate: see ewh_webhooks.limits): the rest, over the
    # time they took, is the sustained rate.
    burst = rate - max(1, rate // 10)
    sustained = (n - burst) / elapsed
    return {
        "n": n,
        "limit": rate,
        "sustained_per_s": sustained,
        "ratio": sustained / rate,
        "responses_429": counter.count,
    }
