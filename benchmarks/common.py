"""The benchmark harness: the emulator in its own process, clients, paired timing,
and the machine's CPU steal while a benchmark ran."""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

from ewh_webhooks import EWHClient
from ewh_webhooks.sansio import user_agent

ROOT = Path(__file__).resolve().parent.parent
CREDS = {"username": "emulator-user", "password": "emulator-password", "wms_code": "EMU"}


@asynccontextmanager
async def server(**options: Any) -> AsyncIterator[str]:
    args = [sys.executable, "-m", "benchmarks.server"]
    for key, value in options.items():
        args += [f"--{key.replace('_', '-')}", str(value)]
    proc = await asyncio.create_subprocess_exec(
        *args, cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    assert proc.stdout is not None
    assert proc.stdin is not None
    base_url = (await proc.stdout.readline()).decode()
    try:
        yield base_url.strip()
    finally:
        proc.stdin.close()
        await asyncio.wait_for(proc.wait(), timeout=30)


def client(base_url: str, customer: str = "C1", **kwargs: Any) -> EWHClient:
    return EWHClient(**CREDS, customer_code=customer, base_url=base_url, **kwargs)


async def raw_headers(session: aiohttp.ClientSession, base_url: str) -> dict[str, str]:
    """The headers the SDK sends, for the raw baseline (one login of its own)."""
    async with session.post(
        f"{base_url}/wms/auth/login/",
        json={"username": CREDS["username"], "password": CREDS["password"]},
        headers={"X-Wms-Code": CREDS["wms_code"]},
    ) as resp:
        token = (await resp.json())["token"]
    return {
        "Accept": "application/json",
        "User-Agent": user_agent(),
        "X-Wms-Code": CREDS["wms_code"],
        "X-Customer-Code": "C1",
        "Authorization": f"Bearer {token}",
    }


async def timed(fn: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await fn()
    return time.perf_counter() - started


async def alternate(
    runs: int, baseline: Callable[[], Awaitable[Any]], candidate: Callable[[], Awaitable[Any]]
) -> tuple[float, float]:
    """Median times of baseline and candidate, run alternately to cancel drift."""
    base, cand = [], []
    for _ in range(runs):
        base.append(await timed(baseline))
        cand.append(await timed(candidate))
    return statistics.median(base), statistics.median(cand)


def cpu_times() -> tuple[int, int] | None:
    """(steal, total) jiffies of all CPUs from /proc/stat, or None off Linux."""
    try:
        with open("/proc/stat") as handle:
            fields = [int(x) for x in handle.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    # user nice system idle iowait irq softirq steal [guest guest_nice: inside user]
    return (fields[7] if len(fields) > 7 else 0), sum(fields[:8])


def steal_percent(before: tuple[int, int] | None, after: tuple[int, int] | None) -> float | None:
    """The share of CPU time the hypervisor gave to others: high means noisy figures."""
    if before is None or after is None or after[1] <= before[1]:
        return None
    return 100.0 * (after[0] - before[0]) / (after[1] - before[1])
