"""Child process for the memory figure: stream N webhooks, print the RSS growth.

python -m benchmarks.memory BASE_URL N
"""

from __future__ import annotations

import asyncio
import json
import sys

from ewh_webhooks import EWHClient


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


if __name__ == "__main__":
    print(json.dumps(asyncio.run(stream(sys.argv[1], int(sys.argv[2])))))
