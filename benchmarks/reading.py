"""Reading benchmarks: per-request overhead, streaming, concurrent pages."""

from __future__ import annotations

import statistics
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from .common import alternate, alternate_many, client, raw_headers, server, timed

# --- 1. overhead per request ------------------------------------------------------


async def bench_overhead(rounds: int, n: int) -> dict[str, Any]:
    """Sequential gets, raw and SDK alternating in short rounds so that the machine's
    drift hits both alike; the ratio is the median of the per-round ratios."""
    async with server(seed=1) as base_url, client(base_url) as sdk:
        hook_id = (await sdk.webhooks.list_page(limit=1)).results[0].id
        async with aiohttp.ClientSession() as session:
            headers = await raw_headers(session, base_url)
            url = f"{base_url}/webhooks/{hook_id}/"

            async def raw() -> None:
                for _ in range(n):
                    async with session.get(url, headers=headers) as resp:
                        await resp.json()

            async def ours() -> None:
                for _ in range(n):
                    await sdk.webhooks.get(hook_id)

            await raw(), await ours()  # warm up both
            raw_times, sdk_times = [], []
            for _ in range(rounds):
                raw_times.append(await timed(raw))
                sdk_times.append(await timed(ours))
    ratios = [s / r for s, r in zip(sdk_times, raw_times, strict=True)]
    return {
        "rounds": rounds,
        "raw_us": statistics.median(raw_times) / n * 1e6,
        "sdk_us": statistics.median(sdk_times) / n * 1e6,
        "ratio": statistics.median(ratios),
    }


# --- 2. streaming -------------------------------------------------------------------


async def bench_streaming(runs: int, total: int) -> dict[str, Any]:
    """`total` webhooks at latency 0, 100 a page (the emulator's largest), each item
    touched: the raw aiohttp loop (one page after another, JSON to dicts) against
    the default `list()` (pages fetched ahead once `count` is known) and
    `list(concurrency=1)` (one page ahead). Rounds rotate the order; medians."""
    async with (
        server(seed=total) as base_url,
        client(base_url) as sdk,
        aiohttp.ClientSession() as session,
    ):
        headers = await raw_headers(session, base_url)

        async def raw() -> None:
            page, seen = 1, 0
            while True:
                async with session.get(
                    f"{base_url}/webhooks/",
                    params={"page": page, "limit": 100},
                    headers=headers,
                ) as resp:
                    body = await resp.json()
                for item in body["results"]:
                    seen += 1
                    _ = item["id"]
                if body["next"] is None:
                    break
                page += 1
            assert seen == total

        def ours(**options: Any) -> Callable[[], Awaitable[None]]:
            async def run() -> None:
                seen = 0
                async for hook in sdk.webhooks.list(limit=100, **options):
                    seen += 1
                    _ = hook.id
                assert seen == total

            return run

        candidates = {"raw": raw, "sdk": ours(), "sequential": ours(concurrency=1)}
        for candidate in candidates.values():
            await candidate()  # warm up: connections, first-use imports
        t = await alternate_many(runs, candidates)
    return {
        "items": total,
        "raw_per_s": total / t["raw"].wall,
        "sdk_per_s": total / t["sdk"].wall,
        "sequential_per_s": total / t["sequential"].wall,
        "ratio": t["raw"].wall / t["sdk"].wall,
        "sequential_ratio": t["raw"].wall / t["sequential"].wall,
        # client CPU per item, which the server's pace does not hide
        "raw_cpu_us": t["raw"].cpu / total * 1e6,
        "sdk_cpu_us": t["sdk"].cpu / total * 1e6,
        "sequential_cpu_us": t["sequential"].cpu / total * 1e6,
    }


# --- 3. concurrent pagination ------------------------------------------------------------


async def bench_concurrent_pages(runs: int, pages: int) -> dict[str, Any]:
    async with server(seed=pages * 50, latency=0.05) as base_url, client(base_url) as sdk:

        async def sequential() -> None:
            # strictly one request at a time: no page fetched ahead
            listing = sdk.webhooks.list(limit=50, concurrency=1, prefetch=False)
            assert len([h async for h in listing]) == pages * 50

        async def concurrent() -> None:
            assert len([h async for h in sdk.webhooks.list(limit=50, concurrency=8)]) == pages * 50

        t_seq, t_conc = await alternate(runs, sequential, concurrent)
    return {"pages": pages, "sequential_s": t_seq, "concurrent_s": t_conc, "ratio": t_conc / t_seq}
