"""Real processes, real kills: nothing a receiver with SQLiteInbox acknowledged is lost.

A receiver process takes a few hundred signed deliveries from 16 concurrent senders,
is SIGKILLed mid-stream and restarted on the same file and port; the senders retry
whatever got no 2xx, as the vendor's sender does. Every id that ever got a 2xx is
handled at least once (the handler fsyncs each id to a log), and none twice except
one whose handler was killed mid-run (one handler at a time, so at most one).
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections import Counter
from pathlib import Path

import aiohttp

from ewh_webhooks import SQLiteInbox, sign
from ewh_webhooks.inbox import Delivery

from .crash_handler import read_lines
from .processes import receiver_process, worker_process

SECRET = "crash-test-secret"
DELIVERIES = 300
SENDERS = 16


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def delivery(delivery_id: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(
        {"body": {"id": delivery_id}, "group": "order", "action": "shipped", "entityId": "1"}
    ).encode()
    return body, {"X-Hmac-Sha256": sign(body, SECRET), "X-Webhook-Id": delivery_id}


class Senders:
    """16 senders sharing the ids; each posts until it gets a 2xx, as the vendor does."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.acked: set[str] = set()
        self.failures = 0
        self._todo = [f"evt-{i:04}" for i in range(DELIVERIES)]

    async def run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=5)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            await asyncio.gather(*(self._send(session) for _ in range(SENDERS)))

    async def _send(self, session: aiohttp.ClientSession) -> None:
        while self._todo:
            delivery_id = self._todo.pop(0)
            body, headers = delivery(delivery_id)
            while True:
                try:
                    async with session.post(self.url, data=body, headers=headers) as resp:
                        if 200 <= resp.status < 300:
                            self.acked.add(delivery_id)
                            break
                except (aiohttp.ClientError, TimeoutError):
                    pass
                self.failures += 1
                await asyncio.sleep(0.02)


async def wait_for_handled(log: Path, ids: set[str], timeout: float = 10.0) -> list[str]:
    """The handled ids once they include `ids`; fails naming the missing ones."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        handled = [line[0] for line in read_lines(str(log))]
        missing = ids - set(handled)
        if not missing:
            return handled
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(
                f"{len(missing)} acknowledged ids never handled: {sorted(missing)[:5]}"
            )
        await asyncio.sleep(0.05)


async def test_a_receiver_killed_mid_stream_loses_no_acknowledged_delivery(
    tmp_path: Path,
) -> None:
    log = tmp_path / "handled.log"
    env = {
        "EWH_HASH_SECRET": SECRET,
        "EWH_TEST_HANDLED_LOG": str(log),
        "EWH_TEST_HANDLER_DELAY": "0.002",
    }
    inbox = f"sqlite:///{tmp_path / 'events.sqlite3'}"
    port = free_port()
    options = {"env": env, "stderr": tmp_path / "stderr.log", "port": port}
    async with receiver_process(inbox, **options) as first:  # type: ignore[arg-type]
        senders = Senders(first.url)
        sending = asyncio.create_task(senders.run())
        async with asyncio.timeout(20):
            while len(senders.acked) < DELIVERIES // 3:
                await asyncio.sleep(0.005)
        await first.kill()
        acked_before_kill = len(senders.acked)
    async with receiver_process(inbox, **options) as second:  # type: ignore[arg-type]
        await asyncio.wait_for(sending, 30)
        handled = await wait_for_handled(log, senders.acked)
        assert await second.stop() == 0  # SIGTERM: a graceful stop
    # The kill really happened mid-stream, and the senders saw it.
    assert DELIVERIES // 3 <= acked_before_kill < DELIVERIES
    assert senders.failures > 0
    assert senders.acked == {f"evt-{i:04}" for i in range(DELIVERIES)}
    assert set(handled) == senders.acked  # every acknowledged id was handled
    twice = [i for i, n in Counter(handled).items() if n > 1]
    assert len(twice) <= 1, twice  # only a handler killed mid-run runs again


async def test_a_worker_process_handles_what_a_store_only_receiver_stored(
    tmp_path: Path,
) -> None:
    log = tmp_path / "handled.log"
    env = {"EWH_HASH_SECRET": SECRET, "EWH_TEST_HANDLED_LOG": str(log)}
    inbox = f"sqlite:///{tmp_path / 'events.sqlite3'}"
    stderr = tmp_path / "stderr.log"
    async with (
        receiver_process(inbox, env=env, stderr=stderr, workers=0) as receiver,
        worker_process(inbox, env=env, stderr=stderr, concurrency=4) as worker,
    ):
        senders = Senders(receiver.url)
        senders._todo = senders._todo[:40]
        await senders.run()
        handled = await wait_for_handled(log, senders.acked)
        assert await worker.stop() == 0
        assert await receiver.stop() == 0
    assert sorted(handled) == sorted(senders.acked)
    assert {line[2] for line in read_lines(str(log))} == {str(worker.pid)}


async def test_a_delivery_that_kills_every_worker_becomes_a_dead_letter(tmp_path: Path) -> None:
    # Its handler SIGKILLs the worker process, so no attempt ever reports a failure:
    # after max_attempts claims the next worker moves it to the dead letters unrun.
    started = tmp_path / "started.log"
    env = {
        "EWH_HASH_SECRET": SECRET,
        "EWH_TEST_HANDLED_LOG": str(tmp_path / "handled.log"),
        "EWH_TEST_STARTED_LOG": str(started),
        "EWH_TEST_HANDLER_FAIL": "kill",
    }
    path = tmp_path / "events.sqlite3"
    inbox = SQLiteInbox(path)
    body, headers = delivery("evt-poison")
    await inbox.put(Delivery(delivery_id="evt-poison", body=body, headers=headers, received_at=0.0))
    options = {"env": env, "stderr": tmp_path / "stderr.log", "lease": 0.2, "max_attempts": 2}
    for _ in range(2):
        async with worker_process(f"sqlite:///{path}", **options) as worker:  # type: ignore[arg-type]
            assert await asyncio.wait_for(worker.process.wait(), 10) == -9  # killed itself
    async with worker_process(f"sqlite:///{path}", **options) as worker:  # type: ignore[arg-type]
        async with asyncio.timeout(10):
            while (await inbox.stats()).dead == 0:
                await asyncio.sleep(0.05)
        assert await worker.stop() == 0
    [dead] = await inbox.dead_letters()
    await inbox.aclose()
    assert [line[1] for line in read_lines(str(started))] == ["1", "2"]  # never a third run
    assert dead.attempts == 3
    assert "never finished" in dead.error
