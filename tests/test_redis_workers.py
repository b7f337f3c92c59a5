"""Three worker processes, one login, one `RedisRateLimit` key: the budget and the
429 pause are shared, as a sliding-window server sees them (its request log)."""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from ewh_webhooks.testing import EWHEmulator, FaultPlan
from ewh_webhooks.testing.state import RecordedRequest

ROOT = Path(__file__).resolve().parent.parent


@asynccontextmanager
async def workers(
    emu: EWHEmulator, redis_url: str, count: int, **settings: Any
) -> AsyncIterator[list[asyncio.subprocess.Process]]:
    """`count` worker processes of one login, logged in and waiting for `start`. Each
    works for its own customer, so the emulator's log tells them apart."""
    procs = []
    for customer in emu.customer_codes[:count]:
        credentials = {**emu.credentials, "customer_code": customer}
        argument = json.dumps({"redis_url": redis_url, "credentials": credentials, **settings})
        procs.append(
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.redis_worker",
                argument,
                cwd=ROOT,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        )
    try:
        for proc in procs:
            assert proc.stdout is not None
            line = await asyncio.wait_for(proc.stdout.readline(), timeout=20)
            assert line == b"ready\n", await _stderr(proc)
        yield procs
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
            await proc.wait()


async def start(procs: list[asyncio.subprocess.Process]) -> None:
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write(b"go\n")
        await proc.stdin.drain()


async def finish(procs: list[asyncio.subprocess.Process]) -> None:
    for proc in procs:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), timeout=30)
        assert line == b"done\n", await _stderr(proc)
        assert await proc.wait() == 0


async def _stderr(proc: asyncio.subprocess.Process) -> str:
    assert proc.stderr is not None
    if proc.returncode is None:
        proc.kill()
    return (await proc.stderr.read()).decode(errors="replace")


def gets(emu: EWHEmulator, since: float = 0.0) -> list[RecordedRequest]:
    return [r for r in emu.requests if r.path == "/webhooks/" and r.received_at >= since]


async def test_three_processes_share_one_budget_without_a_429(redis_url: str) -> None:
    async with EWHEmulator(rate_limit=(30, 1.0), rate_limit_window="sliding") as emu:
        async with workers(emu, redis_url, 3, n=60, max_requests=30, period=1.0, key="k") as procs:
            await asyncio.sleep(1.05)  # the logins' window empties on both sides
            go = time.monotonic()
            await start(procs)
            await finish(procs)
        sent = gets(emu, since=go)
    assert len(sent) == 180  # none refused, none retried
    assert 429 not in [r.status for r in emu.requests]
    # The window starts empty, so the first 30 go at once; each later request goes one
    # window after the one 30 before it. That window, as the server saw it, sets the
    # rate of a long run (the first burst only flatters a short one).
    times = sorted(r.received_at for r in sent)
    rate = 30 / statistics.fmean(b - a for a, b in zip(times, times[30:], strict=False))
    assert 0.95 * 30 <= rate <= 30, f"{rate:.2f}/s"


async def test_a_429_to_one_process_pauses_every_process(redis_url: str) -> None:
    plan = FaultPlan(retry_after=2.0)
    # A wide margin: this test is about the pause, not about jitter.
    settings = {"n": 14, "max_requests": 15, "period": 1.0, "margin": 0.1, "key": "k"}
    async with (
        EWHEmulator(rate_limit=(15, 1.0), rate_limit_window="sliding", faults=plan) as emu,
        workers(emu, redis_url, 3, **settings) as procs,
    ):
        go = time.monotonic()
        await start(procs)
        while len(gets(emu, since=go)) < 17:  # into the second window
            await asyncio.sleep(0.002)
        plan.fail_next("429", path_prefix="/webhooks/")
        await finish(procs)
    [refused] = [r for r in emu.requests if r.status == 429]
    after = [
        (r.received_at - refused.received_at, r.customer)
        for r in emu.requests
        if r.received_at > refused.received_at
    ]
    # Requests granted before the pause reached Redis may still arrive just after the
    # 429; after that, no process sends until the Retry-After has passed...
    assert [(round(t, 3), who) for t, who in after if 0.2 < t < 2.0] == []
    # ...though the other processes had requests waiting too.
    assert {who for t, who in after if t >= 2.0} - {refused.customer}
    assert len(gets(emu)) == 3 + 42 + 1  # every GET done, the refused one retried once
