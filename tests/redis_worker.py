"""One worker process of a deployment, for the shared rate limit tests:

    python -m tests.redis_worker '{"redis_url": ..., "credentials": {...}, "n": 60,
                                   "max_requests": 30, "period": 1.0, "key": "ewh:rate"}'

Logs in through its own `EWHClient` with a `RedisRateLimit`, prints "ready", waits
for a line on stdin, sends `n` GETs at once (the limit spaces them), prints "done".
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from ewh_webhooks import EWHClient
from ewh_webhooks.redis import RedisRateLimit


async def work(settings: dict[str, Any]) -> None:
    limit = RedisRateLimit(
        settings["redis_url"],
        settings["max_requests"],
        settings["period"],
        key=settings["key"],
        margin=settings.get("margin", 0.0),
    )
    async with limit, EWHClient(**settings["credentials"], rate_limit=limit) as client:
        await client.webhooks.list_page(limit=1)  # logs in
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        await asyncio.gather(*(client.webhooks.list_page(limit=1) for _ in range(settings["n"])))
    print("done", flush=True)


if __name__ == "__main__":
    asyncio.run(work(json.loads(sys.argv[1])))
