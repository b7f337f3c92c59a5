"""Issue 16's crash test on Redis, with real processes: one receiver (the CLI's
`receive --inbox redis://... --workers 0`) and three worker processes share a
RedisInbox; one worker is SIGKILLed mid-handler. Every delivery that got a 2xx
is handled once its lease runs out, none is lost or handled twice; a handler that
always fails leaves dead letters after max_attempts, and replay_dead brings them back."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest_asyncio

from ewh_webhooks import sign
from ewh_webhooks.inbox import InboxStats
from ewh_webhooks.redis import RedisInbox

from .crash_handler import read_lines
from .processes import receiver_process
from .redis_inbox_processes import LEASE, MAX_ATTEMPTS

ROOT = Path(__file__).resolve().parent.parent
SECRET = "crash-test-secret"
NAME = "crash"

Spawn = Callable[..., Awaitable["Process"]]


class Process:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    async def ready(self) -> None:
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), 20)
        assert line.startswith(b"ready"), line

    def kill(self, sig: int) -> None:
        if self.proc.returncode is None:
            self.proc.send_signal(sig)


@pytest_asyncio.fixture
async def spawn() -> AsyncIterator[Spawn]:
    started: list[Process] = []

    async def start(*args: str) -> Process:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.redis_inbox_processes", *args,
            cwd=ROOT, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        started.append(Process(proc))
        return started[-1]

    yield start
    for process in started:
        process.kill(signal.SIGTERM)
    for process in started:
        try:
            await asyncio.wait_for(process.proc.wait(), 10)
        except TimeoutError:
            process.kill(signal.SIGKILL)
            await process.proc.wait()


async def deliver(session: aiohttp.ClientSession, url: str, delivery_id: str, topic: str) -> None:
    """As the sender does: resend until a 2xx."""
    group, action = topic.split(".")
    body = json.dumps(
        {"body": {"id": 1}, "group": group, "action": action, "entity": group,
         "customer": "c", "entityId": "1"}
    ).encode()  # fmt: skip
    headers = {"X-Hmac-Sha256": sign(body, SECRET), "X-Webhook-Id": delivery_id}
    for _ in range(100):
        async with session.post(url, data=body, headers=headers) as resp:
            if resp.status == 200:
                return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{delivery_id} never got a 2xx")


def log_lines(log: Path) -> list[list[str]]:
    return read_lines(str(log))


async def until(condition: Callable[[], object], timeout: float = 20.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)


async def test_a_worker_killed_mid_handler_loses_nothing_and_dead_letters_replay(
    redis_url: str, tmp_path: Path, spawn: Spawn
) -> None:
    log, flag = tmp_path / "handled.log", tmp_path / "stock-service-up"
    victim = await spawn(redis_url, NAME, str(log), str(flag), "--hang")
    env = {"EWH_HASH_SECRET": SECRET, "EWH_TEST_HANDLED_LOG": str(tmp_path / "unused")}
    async with receiver_process(
        redis_url, env=env, stderr=tmp_path / "receiver.err", workers=0, lease=LEASE,
        extra=["--inbox-name", NAME],
    ) as receiver:  # fmt: skip
        await victim.ready()
        await crash_a_worker_then_replay(receiver.url, redis_url, log, flag, victim, spawn)


async def crash_a_worker_then_replay(
    url: str,
    redis_url: str,
    log: Path,
    flag: Path,
    victim: Process,
    spawn: Spawn,
) -> None:
    inbox = RedisInbox(redis_url, name=NAME, lease=LEASE)
    orders = [f"order-{i:02}" for i in range(60)]
    stock = [f"stock-{i}" for i in range(5)]
    try:
        async with aiohttp.ClientSession() as session:
            # The victim alone takes its 4 (its concurrency) and hangs in all of them.
            await asyncio.gather(*(deliver(session, url, i, "order.shipped") for i in orders[:8]))
            await until(lambda: sum(line[1] == "hang" for line in log_lines(log)) == 4)
            healthy = [await spawn(redis_url, NAME, str(log), str(flag)) for _ in range(2)]
            for worker in healthy:
                await worker.ready()
            victim.kill(signal.SIGKILL)
            await asyncio.gather(
                *(deliver(session, url, i, "order.shipped") for i in orders[8:]),
                *(deliver(session, url, i, "stock.updated") for i in stock),
            )

        def done() -> Counter[str]:
            return Counter(line[2] for line in log_lines(log) if line[0] == "done")

        await until(lambda: set(done()) >= set(orders))
        async with asyncio.timeout(20):
            while len(await inbox.dead_letters()) < len(stock):
                await asyncio.sleep(0.05)

        # Nothing lost, nothing handled twice: the victim never finished one.
        killed = {line[2] for line in log_lines(log) if line[1] == "hang"}
        assert len(killed) == 4
        assert done() == Counter(orders)
        # The victim's deliveries went to live workers once the lease ran out: 2nd attempt.
        attempts = {line[2]: int(line[3]) for line in log_lines(log) if line[0] == "done"}
        assert {attempts[i] for i in killed} == {2}
        assert {attempts[i] for i in set(orders) - killed} == {1}

        letters = await inbox.dead_letters()
        assert sorted(d.delivery.delivery_id for d in letters) == stock
        assert {d.attempts for d in letters} == {MAX_ATTEMPTS}
        assert all("stock service down" in d.error for d in letters)

        await asyncio.to_thread(flag.touch)
        assert await inbox.replay_dead() == len(stock)
        await until(lambda: set(done()) >= set(stock))
        replayed = [line for line in log_lines(log) if line[2] in stock]
        assert sorted(line[2] for line in replayed) == stock  # once each, attempts reset
        assert {line[3] for line in replayed} == {"1"}
        # A handler logs its "done" just before its worker acknowledges: wait for the acks.
        expected = InboxStats(ready=0, leased=0, handled=len(orders) + len(stock), dead=0)
        async with asyncio.timeout(10):
            while (stats := await inbox.stats()) != expected:
                await asyncio.sleep(0.05)
        assert stats == expected
    finally:
        await inbox.aclose()
