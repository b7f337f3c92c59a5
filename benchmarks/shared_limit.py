"""Row 9: three worker processes share one `RedisRateLimit` of 50/s against an emulator
that enforces 50/s over a sliding window (the strictest common rule).

The emulator runs in this process, which only waits: each worker is a process of its
own (`python -m benchmarks.shared_limit --worker SETTINGS`), and the emulator's log
gives every request's arrival time and status. Needs `redis-server` on PATH.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from ewh_webhooks import EWHClient
from ewh_webhooks.testing import EWHEmulator

from .common import ROOT


@asynccontextmanager
async def redis_server() -> AsyncIterator[str | None]:
    """A throwaway redis-server on a free loopback port (None without the binary)."""
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory() as folder:
        proc = await asyncio.create_subprocess_exec(
            binary,
            *("--port", str(port), "--bind", "127.0.0.1", "--dir", folder, "--save", ""),
            stdout=asyncio.subprocess.DEVNULL,
        )
        try:
            for _ in range(500):
                try:
                    _, writer = await asyncio.open_connection("127.0.0.1", port)
                except OSError:
                    await asyncio.sleep(0.01)
                else:
                    writer.close()
                    await writer.wait_closed()
                    break
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            proc.terminate()
            await proc.wait()


async def bench_shared_limit(n: int, rate: int = 50, workers: int = 3) -> dict[str, Any]:
    """`workers` processes send `n` GETs each through one shared `rate`/s limit."""
    async with redis_server() as url:
        if url is None:
            return {"available": False}
        emulator = EWHEmulator(
            rate_limit=(rate, 1.0), rate_limit_window="sliding", customers=["C1", "C2", "C3"]
        )
        async with emulator as emu:
            procs = [
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "benchmarks.shared_limit",
                    "--worker",
                    json.dumps({"url": url, "rate": rate, "n": n, "credentials": emu.credentials}),
                    cwd=ROOT,
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                )
                for _ in range(workers)
            ]
            for proc in procs:
                assert proc.stdout is not None
                assert await proc.stdout.readline() == b"ready\n"
            await asyncio.sleep(1.1)  # the logins' window empties on both sides
            go = time.monotonic()
            for proc in procs:
                assert proc.stdin is not None
                proc.stdin.write(b"go\n")
                await proc.stdin.drain()
            for proc in procs:
                assert await proc.wait() == 0
            sent = [r for r in emu.requests if r.path == "/webhooks/" and r.received_at >= go]
            refused = sum(r.status == 429 for r in emu.requests)
    times = sorted(r.received_at for r in sent if r.status == 200)
    # The window starts empty, so the first `rate` requests go at once; each later one
    # goes one window after the one `rate` before it. That window, as the server saw
    # it (mean over all such pairs), sets the sustained rate of a long run.
    window = statistics.fmean(b - a for a, b in zip(times, times[rate:], strict=False))
    sustained = rate / window
    return {
        "available": True,
        "n": workers * n,
        "workers": workers,
        "limit": rate,
        "sustained_per_s": sustained,
        "ratio": sustained / rate,
        "elapsed_s": times[-1] - times[0],
        "responses_429": refused,
    }


async def worker(settings: dict[str, Any]) -> None:
    from ewh_webhooks.redis import RedisRateLimit

    limit = RedisRateLimit(settings["url"], settings["rate"], 1.0, key="bench:rate")
    async with limit, EWHClient(**settings["credentials"], rate_limit=limit) as client:
        await client.webhooks.list_page(limit=1)  # logs in
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        await asyncio.gather(*(client.webhooks.list_page(limit=1) for _ in range(settings["n"])))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--worker", help="run one worker with these JSON settings")
    parser.add_argument("--n", type=int, default=150, help="GETs per worker")
    args = parser.parse_args()
    if args.worker:
        asyncio.run(worker(json.loads(args.worker)))
    else:
        print(asyncio.run(bench_shared_limit(args.n)))


if __name__ == "__main__":
    main()
