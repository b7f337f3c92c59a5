"""Reading benchmarks: per-request overhead, streaming, concurrent pages."""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
from typing import Any

import aiohttp

from .common import ROOT, alternate, client, raw_headers, server, timed

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
        "raw_us": statistics.median(raw_times) / n * 1e6,
        "sdk_us": statistics.median(sdk_times) / n * 1e6,
        "ratio": statistics.median(ratios),
    }


# --- 2. streaming -------------------------------------------------------------------


async def bench_streaming(runs: int, total: int) -> dict[str, Any]:
    async with server(seed=total) as base_url, client(base_url) as sdk:
        async with aiohttp.ClientSession() as session:
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

            async def ours() -> None:
                seen = 0
                async for hook in sdk.webhooks.list(limit=100):
                    seen += 1
                    _ = hook.id
                assert seen == total

            t_raw, t_sdk = await alternate(runs, raw, ours)
        memory = {}
        for count in (total // 10, total):
            child = await asyncio.create_subprocess_exec(
                *(sys.executable, "-m", "benchmarks.memory", base_url, str(count)),
                cwd=ROOT,
                stdout=asyncio.subprocess.PIPE,
            )
            out, _ = await child.communicate()
            assert child.returncode == 0
            memory[count] = json.loads(out)["rss_growth_kib"]
    return {
        "items": total,
        "raw_per_s": total / t_raw,
        "sdk_per_s": total / t_sdk,
        "ratio": t_raw / t_sdk,
        "rss_growth_kib": memory,
    }


# --- 3. concurrent pagination ------------------------------------------------------------


async def bench_concurrent_pages(runs: int, pages: int) -> dict[str, Any]:
    async with server(seed=pages * 50, latency=0.05) as base_url, client(base_url) as sdk:

        async def sequential() -> None:
            assert len([h async for h in sdk.webhooks.list(limit=50, prefetch=False)]) == pages * 50

        async def concurrent() -> None:
            assert len([h async for h in sdk.webhooks.list(limit=50, concurrency=8)]) == pages * 50

        t_seq, t_conc = await alternate(runs, sequential, concurrent)
    return {"pages": pages, "sequential_s": t_seq, "concurrent_s": t_conc, "ratio": t_conc / t_seq}
