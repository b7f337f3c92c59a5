"""Listing a slow server: the default `list()` against clients that read one page after
another, at 20 ms latency.

Baselines, both following `next` one page at a time, JSON to dicts, same page size:
- a synchronous client as the issue describes the vendor's Python SDK: one
  `http.client` keep-alive connection, run in a worker thread. It stands in for the
  vendor's package, which is not on PyPI here; it is not the vendor's code.
- the raw sequential aiohttp loop (the streaming benchmark's baseline).
"""

from __future__ import annotations

import asyncio
import http.client
import json
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp

from .common import alternate_many, client, raw_headers, server

PAGE = 100  # the emulator's largest page; every client here asks for it


def sync_listing(base_url: str, headers: dict[str, str]) -> int:
    """The synchronous stand-in: every webhook as a dict, one page after another."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    url: str | None = f"{base_url}/webhooks/?page=1&limit={PAGE}"
    seen = 0
    try:
        while url is not None:
            target = urlsplit(url)
            connection.request("GET", f"{target.path}?{target.query}", headers=headers)
            response = connection.getresponse()
            body = json.loads(response.read())
            if response.status != 200:
                raise RuntimeError(f"GET {url} -> {response.status}")
            for item in body["results"]:
                seen += 1
                _ = item["id"]
            url = urljoin(url, body["next"]) if body.get("next") else None
    finally:
        connection.close()
    return seen


async def bench_listing(runs: int, total: int, latency: float = 0.02) -> dict[str, Any]:
    """`total` webhooks at `latency`: default `list()` against both baselines."""
    async with (
        server(seed=total, latency=latency) as base_url,
        client(base_url) as sdk,
        aiohttp.ClientSession() as session,
    ):
        headers = await raw_headers(session, base_url)

        async def ours() -> None:
            seen = 0
            async for hook in sdk.webhooks.list(limit=PAGE):
                seen += 1
                _ = hook.id
            assert seen == total

        async def raw() -> None:
            url: str | None = f"{base_url}/webhooks/?page=1&limit={PAGE}"
            seen = 0
            while url is not None:
                async with session.get(url, headers=headers) as resp:
                    body = await resp.json()
                for item in body["results"]:
                    seen += 1
                    _ = item["id"]
                url = body["next"]
            assert seen == total

        async def sync() -> None:
            assert await asyncio.to_thread(sync_listing, base_url, headers) == total

        candidates = {"sdk": ours, "raw": raw, "sync": sync}
        for candidate in candidates.values():
            await candidate()  # warm up: connections, the thread pool
        t = await alternate_many(runs, candidates)
    return {
        "items": total,
        "latency_ms": latency * 1000,
        "pages": -(-total // PAGE),
        "sdk_s": t["sdk"].wall,
        "raw_s": t["raw"].wall,
        "sync_s": t["sync"].wall,
        "vs_sync": t["sync"].wall / t["sdk"].wall,
        "vs_raw": t["raw"].wall / t["sdk"].wall,
    }
