"""Why the SDK keeps the standard library's json: the same `get()` calls with orjson
swapped in, end to end and paired, next to the tight loop where orjson shines.

Needs orjson (`pip install -e ".[bench]"`); without it the row is skipped.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from ewh_webhooks import _json
from ewh_webhooks.converter import structure_webhook, unstructure
from ewh_webhooks.models import WebhookCreate

from .common import client, server

Codec = tuple[Callable[[bytes], Any], Callable[[Any], bytes]]


def _use(codec: Codec) -> None:
    _json.loads, _json.dumps = codec


async def bench_json(rounds: int, n: int) -> dict[str, Any]:
    try:
        import orjson
    except ImportError:
        return {"available": False}
    stdlib: Codec = (_json.loads, _json.dumps)
    fast: Codec = (orjson.loads, orjson.dumps)
    try:
        e2e = await _end_to_end(rounds, n, stdlib, fast)
        loop = _tight_loop(rounds, n * 100, stdlib, fast)
    finally:
        _use(stdlib)
    return {"available": True, **e2e, **loop}


async def _end_to_end(rounds: int, n: int, stdlib: Codec, fast: Codec) -> dict[str, Any]:
    """Sequential `get()`s, the two codecs alternating in short rounds (order flipped
    every round); the ratio is the median of the per-round ratios."""
    async with server(seed=1) as base_url, client(base_url) as sdk:
        hook_id = (await sdk.webhooks.list_page(limit=1)).results[0].id

        async def gets(codec: Codec) -> float:
            _use(codec)
            started = time.perf_counter()
            for _ in range(n):
                await sdk.webhooks.get(hook_id)
            return time.perf_counter() - started

        await gets(stdlib), await gets(fast)  # warm up both
        std_times, fast_times = [], []
        for i in range(rounds):
            if i % 2:
                fast_times.append(await gets(fast))
                std_times.append(await gets(stdlib))
            else:
                std_times.append(await gets(stdlib))
                fast_times.append(await gets(fast))
    ratios = [f / s for f, s in zip(fast_times, std_times, strict=True)]
    return {
        "get_us": {
            "json": statistics.median(std_times) / n * 1e6,
            "orjson": statistics.median(fast_times) / n * 1e6,
        },
        "get_ratio": statistics.median(ratios),
    }


def _tight_loop(rounds: int, n: int, stdlib: Codec, fast: Codec) -> dict[str, Any]:
    """The JSON work of a create, back to back: write the body, read the answer."""
    body = unstructure(
        WebhookCreate(
            url="https://bench.test/h/1", group="order", action="created", hash_secret="s"
        )
    )
    answer = json.dumps(
        {
            "id": "3f1e9a52-8d4c-4c7e-9a1b-2a5b6c7d8e9f",
            "url": "https://bench.test/h/1",
            "group": "order",
            "action": "created",
            "topic": "order.created",
            "customer": "5b1d2c3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e",
            "created_at": "2026-11-28T10:00:00.123456Z",
            "modified_at": "2026-11-28T10:00:00.123456Z",
            "hash_secret": "s",
        }
    ).encode()

    def work(codec: Codec) -> float:
        loads, dumps = codec
        started = time.process_time()
        for _ in range(n):
            dumps(body)
            structure_webhook(loads(answer), what="bench")
        return time.process_time() - started

    std = statistics.median(work(stdlib) for _ in range(rounds))
    orj = statistics.median(work(fast) for _ in range(rounds))
    return {
        "loop_us": {"json": std / n * 1e6, "orjson": orj / n * 1e6},
        "loop_ratio": orj / std,
    }
