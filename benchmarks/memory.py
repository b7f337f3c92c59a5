"""The client's RSS growth while streaming: a fresh child process streams N webhooks
with the default `list()` and prints how much its RSS grew past what it had after
its first request (login, connection pool, imports). Only the client is measured:
the emulator, holding every webhook, is a process of its own.

    python -m benchmarks --only memory              # 10,000 and 1,000,000 items
    python -m benchmarks.memory BASE_URL N          # one child, against a running server
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from typing import Any

from ewh_webhooks import EWHClient

from .common import ROOT, server


def rss_kib() -> int:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * 4


async def stream(base_url: str, total: int) -> dict[str, int]:
    async with EWHClient(
        username="emulator-user",
        password="emulator-password",
        wms_code="EMU",
        customer_code="C1",
        base_url=base_url,
    ) as client:
        await client.webhooks.list_page(limit=1)  # log in, warm the pool
        before = peak = rss_kib()
        seen = 0
        async for _ in client.webhooks.list(limit=100):
            seen += 1
            if seen % 500 == 0:
                peak = max(peak, rss_kib())
            if seen >= total:
                break
        return {"items": seen, "rss_growth_kib": max(peak, rss_kib()) - before}


async def bench_memory(small: int, large: int, repeats: int = 3) -> dict[str, Any]:
    """Median RSS growth of `repeats` children streaming `small` and `large` items."""
    started = time.perf_counter()
    async with server(seed=large) as base_url:
        seeded_s = time.perf_counter() - started
        growth: dict[int, list[int]] = {small: [], large: []}
        for _ in range(repeats):
            for count in (small, large):
                child = await asyncio.create_subprocess_exec(
                    *(sys.executable, "-m", "benchmarks.memory", base_url, str(count)),
                    cwd=ROOT,
                    stdout=asyncio.subprocess.PIPE,
                )
                out, _ = await child.communicate()
                assert child.returncode == 0
                result = json.loads(out)
                assert result["items"] == count
                growth[count].append(result["rss_growth_kib"])
    small_kib, large_kib = (int(statistics.median(growth[count])) for count in (small, large))
    return {
        "small": small,
        "large": large,
        "small_kib": small_kib,
        "large_kib": large_kib,
        "difference_kib": large_kib - small_kib,
        "seed_s": seeded_s,
        "samples_kib": {"small": growth[small], "large": growth[large]},
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(stream(sys.argv[1], int(sys.argv[2])))))
