"""Receiving benchmark: how many signed deliveries per second a receiver acknowledges
with a durable inbox, as a ratio of the same receiver with no inbox, and the p99
time to the 2xx. 32 concurrent senders; the receiver runs in its own process with
one InboxWorker (as `receiver.setup(app)` does), handling every event it stores.

    python -m benchmarks --only receiving
    python -m benchmarks.receiving --serve sqlite:///tmp/x.sqlite3   # the server alone

Each inbox is named by URL (`sqlite:///...`, `redis://...`), so a Redis row is one
more entry in `inboxes`: `bench_receiving(..., inboxes={"redis": "redis://..."})`.
By default: SQLite, and (where redis-server is installed) RedisInbox on a private
redis-server with AOF `appendfsync always` (durable through a power loss, like
synchronous=FULL) and another with `everysec` (the trade-off the README describes).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, ExitStack, asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import aiohttp

from ewh_webhooks import Router, WebhookEvent, WebhookReceiver, sign
from tests.redis_server import REDIS_SERVER, RedisServer

from .common import ROOT

SECRET = "bench-receiving-secret"
NO_INBOX = "none"


@asynccontextmanager
async def receiver_server(inbox_url: str) -> AsyncIterator[str]:
    """A receiver process (this module with --serve) storing into `inbox_url`."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "benchmarks.receiving", "--serve", inbox_url,
        cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    assert proc.stdin is not None
    url = (await proc.stdout.readline()).decode().strip()
    try:
        yield url
    finally:
        proc.stdin.close()
        await asyncio.wait_for(proc.wait(), timeout=60)


def _delivery(delivery_id: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(
        {
            "body": {"id": delivery_id, "status": "shipped", "lines": [{"sku": "A-1", "qty": 2}]},
            "group": "order",
            "action": "shipped",
            "entity": "order",
            "customer": "C1",
            "entityId": delivery_id,
        }
    ).encode()
    headers = {
        "X-Hmac-Sha256": sign(body, SECRET),
        "X-Webhook-Id": delivery_id,
        "Content-Type": "application/json",
    }
    return body, headers


async def send_all(url: str, prefix: str, n: int, concurrency: int) -> tuple[float, list[float]]:
    """POST n signed deliveries from `concurrency` senders; (seconds, latencies)."""
    deliveries = [_delivery(f"{prefix}-{i}") for i in range(n)]  # signed before the clock
    latencies: list[float] = []
    todo = iter(deliveries)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def sender() -> None:
            for body, headers in todo:
                started = time.perf_counter()
                async with session.post(url, data=body, headers=headers) as resp:
                    await resp.read()
                    if resp.status != 200:
                        raise RuntimeError(f"receiver answered {resp.status}")
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(concurrency)))
        return time.perf_counter() - started, latencies


def _p99(latencies: list[float]) -> float:
    return statistics.quantiles(latencies, n=100)[98]


async def bench_receiving(
    runs: int, n: int, concurrency: int = 32, inboxes: dict[str, str] | None = None
) -> dict[str, Any]:
    """Per inbox: median deliveries/s, ratio to no inbox (runs alternate), p99 to the 2xx."""
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as servers:
        targets = {NO_INBOX: NO_INBOX}
        if inboxes is None:
            inboxes = {"sqlite": f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"}
            if REDIS_SERVER is not None:
                for fsync in ("always", "everysec"):
                    server = servers.enter_context(redis_server(Path(tmp) / fsync, fsync))
                    inboxes["redis" if fsync == "always" else f"redis-{fsync}"] = server.url
        targets.update(inboxes)
        result: dict[str, Any] = {"n": n, "concurrency": concurrency}
        per_second: dict[str, list[float]] = {name: [] for name in targets}
        p99: dict[str, list[float]] = {name: [] for name in targets}
        async with contextlib_stack(targets) as urls:
            for name, url in urls.items():  # warm up: connections, page cache, JIT-free paths
                await send_all(url, f"warm-{name}", min(n, 500), concurrency)
            for run in range(runs):
                for name, url in urls.items():
                    elapsed, latencies = await send_all(url, f"r{run}-{name}", n, concurrency)
                    per_second[name].append(n / elapsed)
                    p99[name].append(_p99(latencies))
        base = statistics.median(per_second[NO_INBOX])
        for name in targets:
            rate = statistics.median(per_second[name])
            result[name] = {
                "per_s": rate,
                "ratio": rate / base,
                "p99_ms": 1000 * statistics.median(p99[name]),
            }
        return result


@contextmanager
def redis_server(directory: Path, appendfsync: str) -> Iterator[RedisServer]:
    """A private redis-server with AOF (the tests' fixture class), fsync as asked."""
    server = RedisServer(directory)
    server.start()
    try:
        assert server.command("CONFIG", "SET", "appendfsync", appendfsync).startswith(b"+OK")
        yield server
    finally:
        server.stop()


@asynccontextmanager
async def contextlib_stack(targets: dict[str, str]) -> AsyncIterator[dict[str, str]]:
    async with AsyncExitStack() as stack:
        yield {
            name: await stack.enter_async_context(receiver_server(inbox))
            for name, inbox in targets.items()
        }


# Per inbox name: the row's label and its target (issue 16).
LABELS = {
    "sqlite": "SQLiteInbox (synchronous=FULL)",
    "redis": "RedisInbox (appendfsync always)",
    "redis-everysec": "RedisInbox (appendfsync everysec)",
}
TARGETS = {"sqlite": "≥ 0.5 and ≥ 1,000/s", "redis": "≥ 0.6", "redis-everysec": "-"}


def report_rows(result: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """Rows for BENCHMARKS.md: (benchmark, baseline, measured, ratio, target)."""
    base = result[NO_INBOX]
    rows = []
    for name, row in result.items():
        if not isinstance(row, dict) or name == NO_INBOX:
            continue
        label = LABELS.get(name, name)
        rows.append(
            (
                f"8. Receive {result['n']:,} deliveries, {label}, {result['concurrency']} senders",
                "the same receiver, no inbox",
                f"{row['per_s']:,.0f}/s vs {base['per_s']:,.0f}/s",
                f"{row['ratio']:.3f}",
                TARGETS.get(name, "-"),
            )
        )
        rows.append(
            (
                f"8b. p99 time to the 2xx, {label}",
                "the same, no inbox",
                f"{row['p99_ms']:.1f} ms vs {base['p99_ms']:.1f} ms",
                "-",
                "< 50 ms",
            )
        )
    return rows


# --- the server process ---------------------------------------------------------------------


async def serve(inbox_url: str) -> None:
    from aiohttp import web

    from ewh_webhooks.inbox.url import open_inbox

    router = Router()
    handled = 0

    @router.on("*")
    async def handle(event: WebhookEvent) -> None:
        nonlocal handled
        handled += 1

    if inbox_url == NO_INBOX:
        receiver = WebhookReceiver(secret=SECRET, router=router, max_pending=100_000)
    else:
        receiver = WebhookReceiver(secret=SECRET, router=router, inbox=open_inbox(inbox_url))
    runner = web.AppRunner(receiver.app("/hooks"), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    print(f"http://127.0.0.1:{runner.addresses[0][1]}/hooks", flush=True)
    try:
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--serve", metavar="INBOX_URL", help="run the receiver process")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("-n", type=int, default=5000)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.serve))
    else:
        print(asyncio.run(bench_receiving(args.runs, args.n)))


if __name__ == "__main__":
    main()
