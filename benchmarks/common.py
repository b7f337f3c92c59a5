"""The benchmark harness: the emulator in its own process, clients, paired timing,
and the machine's CPU steal while a benchmark ran."""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, NamedTuple

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


class Timing(NamedTuple):
    wall: float  # seconds, median
    cpu: float  # CPU seconds of this process (the client), median


async def alternate_many(
    runs: int, candidates: Mapping[str, Callable[[], Awaitable[Any]]]
) -> dict[str, Timing]:
    """Median wall and client CPU time of each candidate over `runs` rounds; the order
    rotates every round so that neither drift nor going first favours one."""
    names = list(candidates)
    walls: dict[str, list[float]] = {name: [] for name in names}
    cpus: dict[str, list[float]] = {name: [] for name in names}
    for run in range(runs):
        shift = run % len(names)
        for name in names[shift:] + names[:shift]:
            started, cpu = time.perf_counter(), time.process_time()
            await candidates[name]()
            walls[name].append(time.perf_counter() - started)
            cpus[name].append(time.process_time() - cpu)
    return {
        name: Timing(statistics.median(walls[name]), statistics.median(cpus[name]))
        for name in names
    }


class Machine(NamedTuple):
    """A reading of the machine's CPU counters (`machine_now()`)."""

    steal: int  # jiffies, all CPUs
    busy: int  # jiffies not idle, all CPUs (steal left out)
    total: int  # jiffies, all CPUs
    ours: float  # CPU seconds of this process and its reaped children


def machine_now() -> Machine | None:
    """The counters of /proc/stat and of this process, or None off Linux."""
    try:
        with open("/proc/stat") as handle:
            fields = [int(x) for x in handle.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    # user nice system idle iowait irq softirq steal [guest guest_nice: inside user]
    fields = (fields + [0] * 8)[:8]
    steal, idle = fields[7], fields[3] + fields[4]
    mine = os.times()
    ours = mine.user + mine.system + mine.children_user + mine.children_system
    return Machine(steal, sum(fields) - idle - steal, sum(fields), ours)


def noise(before: Machine | None, after: Machine | None) -> dict[str, float | None]:
    """While a benchmark ran: `steal_pct`, the CPU time the hypervisor gave to other
    guests, and `others_pct`, the CPU time other processes on this machine used (its
    other users), each as a share of all CPUs' time. High means noisy figures.

    Our own time counts every process the benchmark started and waited for (the
    emulator, child processes), so it is exact only between steps, when none runs."""
    if before is None or after is None or after.total <= before.total:
        return {"steal_pct": None, "others_pct": None}
    total = after.total - before.total
    ours = (after.ours - before.ours) * _HZ
    others = max(0.0, after.busy - before.busy - ours)
    return {
        "steal_pct": 100.0 * (after.steal - before.steal) / total,
        "others_pct": 100.0 * others / total,
    }


_HZ = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


async def wait_quiet(limit_pct: float, patience: float) -> float | None:
    """Wait, up to `patience` seconds, for a second in which other processes used at
    most `limit_pct` percent of the CPUs; the last second's share (None off Linux)."""
    deadline = time.monotonic() + patience
    while True:
        before = machine_now()
        await asyncio.sleep(1.0)
        share = noise(before, machine_now())["others_pct"]
        if share is None or share <= limit_pct or time.monotonic() >= deadline:
            return share
