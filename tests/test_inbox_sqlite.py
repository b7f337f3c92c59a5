"""SQLiteInbox: the inbox contract, plus what only SQLite does (the file, several
connections as several processes would have, group commit, stale leases)."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import pytest_asyncio

from ewh_webhooks import EWHError, InvalidArgumentError, StoreError
from ewh_webhooks.inbox import Delivery, Inbox
from ewh_webhooks.inbox.sqlite import SQLiteInbox
from ewh_webhooks.inbox.sqlite_writer import SQLiteWriter

from .inbox_contract import LEASE, FakeContractClock, InboxContract, MakeInbox, delivery


class TestSQLiteInboxContract(InboxContract):
    @pytest.fixture
    def contract_clock(self) -> FakeContractClock:
        return FakeContractClock()

    @pytest_asyncio.fixture
    async def make_inbox(
        self, tmp_path: Path, contract_clock: FakeContractClock
    ) -> AsyncIterator[MakeInbox]:
        opened: list[SQLiteInbox] = []

        async def make(*, lease: float = LEASE) -> Inbox:
            inbox = SQLiteInbox(
                tmp_path / "inbox.sqlite3",
                lease=lease,
                clock=contract_clock.now,
                poll_interval=0.02,
            )
            opened.append(inbox)
            return inbox

        yield make
        for inbox in opened:
            await inbox.aclose()


# -- what only SQLite does -------------------------------------------------------------


def counting_connection(path: Path, commits: list[int]) -> Callable[[], sqlite3.Connection]:
    def connect() -> sqlite3.Connection:
        connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)

        def trace(statement: str) -> None:
            if statement == "COMMIT":
                commits.append(1)

        connection.set_trace_callback(trace)
        connection.execute("CREATE TABLE IF NOT EXISTS t (x INTEGER NOT NULL)")
        return connection

    return connect


def insert(value: object) -> Callable[[sqlite3.Connection], int]:
    def operation(connection: sqlite3.Connection) -> int:
        return connection.execute("INSERT INTO t VALUES (?)", (value,)).rowcount

    return operation


async def test_concurrent_operations_share_one_commit(tmp_path: Path) -> None:
    commits: list[int] = []
    writer = SQLiteWriter(counting_connection(tmp_path / "w.db", commits), name="test")
    try:
        results = await asyncio.gather(*(writer.submit(insert(i)) for i in range(200)))
    finally:
        await writer.stop()
    assert results == [1] * 200
    assert 1 <= len(commits) <= 10  # group commit: not one per operation


async def test_an_operation_that_fails_fails_only_its_own_caller(tmp_path: Path) -> None:
    commits: list[int] = []
    writer = SQLiteWriter(counting_connection(tmp_path / "w.db", commits), name="test")
    try:
        results = await asyncio.gather(
            *(writer.submit(insert(None if i == 5 else i)) for i in range(10)),
            return_exceptions=True,
        )
        count = await writer.submit(lambda c: c.execute("SELECT COUNT(*) FROM t").fetchone()[0])
    finally:
        await writer.stop()
    assert [type(r).__name__ for r in results].count("StoreError") == 1
    assert isinstance(results[5], StoreError)  # ours, from the database's own error
    assert isinstance(results[5].__cause__, sqlite3.IntegrityError)
    assert count == 9


async def test_a_stale_lease_changes_nothing_once_another_worker_holds_it(tmp_path: Path) -> None:
    clock = FakeContractClock()
    inbox = SQLiteInbox(tmp_path / "i.db", lease=1.0, clock=clock.now)
    try:
        await inbox.put(delivery("a"))
        [stale] = await inbox.claim("slow")
        await clock.advance(2.0)
        [current] = await inbox.claim("fast")
        await inbox.ack(stale)
        await inbox.fail(stale, error="late")
        await inbox.retry(stale, delay=0, error="late")
        await inbox.release(stale)
        assert (await inbox.stats()).leased == 1  # still the new holder's
        await inbox.ack(current)
        assert (await inbox.stats()).handled == 1
    finally:
        await inbox.aclose()


CLAIMER = """
import asyncio, sys
from ewh_webhooks.inbox.sqlite import SQLiteInbox

async def main():
    inbox = SQLiteInbox(sys.argv[1], busy_timeout=10)
    await inbox.stats()
    print("ready", flush=True)
    sys.stdin.readline()  # all start together
    got = []
    while batch := await inbox.claim(sys.argv[2], limit=3):
        got += [c.delivery.delivery_id for c in batch]
        await asyncio.sleep(0.005)  # a handler's time: the others claim meanwhile
    await inbox.aclose()
    print(" ".join(got))

asyncio.run(main())
"""


async def test_processes_sharing_one_file_never_claim_the_same_delivery(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite3"
    inbox = SQLiteInbox(path)
    await asyncio.gather(*(inbox.put(delivery(f"d{i:03}")) for i in range(300)))
    await inbox.aclose()
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            CLAIMER,
            str(path),
            f"p{n}",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        for n in range(3)
    ]
    for process in processes:
        assert process.stdout is not None
        assert await process.stdout.readline() == b"ready\n"
    answers = await asyncio.gather(*(p.communicate(b"go\n") for p in processes))
    outputs = [out.decode().split() for out, _ in answers]
    assert [p.returncode for p in processes] == [0, 0, 0]
    claimed = [d for out in outputs for d in out]
    assert sorted(claimed) == [f"d{i:03}" for i in range(300)]  # each once, none lost
    assert sum(1 for out in outputs if out) >= 2  # they really ran side by side


async def test_the_file_is_in_wal_mode_and_newer_schemas_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "i.db"
    inbox = SQLiteInbox(path)
    await inbox.put(delivery("a"))
    await inbox.aclose()
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        connection.execute("PRAGMA user_version = 99")
    connection.close()
    with pytest.raises(EWHError, match="schema version 99, newer than"):
        await inbox.stats()
    await inbox.aclose()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"path": ""}, "needs the path of a database file"),
        ({"path": ":memory:"}, "in-memory database is not durable"),
        ({"lease": 0}, "lease must be a finite number > 0"),
        ({"lease": float("nan")}, "lease must be a finite number > 0"),
        ({"synchronous": "OFF"}, "synchronous must be one of FULL, EXTRA, NORMAL"),
        ({"busy_timeout": -1}, "busy_timeout must be a finite number >= 0"),
    ],
)
def test_settings_are_checked_at_construction(kwargs: dict[str, object], message: str) -> None:
    options: dict[str, object] = {"path": "x.db"}
    options.update(kwargs)
    with pytest.raises(InvalidArgumentError, match=message):
        SQLiteInbox(**options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "bad",
    [
        "not a delivery",
        Delivery(delivery_id="", body=b"{}", headers={}, received_at=1.0),
        Delivery(delivery_id="a", body="text", headers={}, received_at=1.0),  # type: ignore[arg-type]
        Delivery(delivery_id="a", body=b"{}", headers={"X": 1}, received_at=1.0),  # type: ignore[dict-item]
    ],
)
async def test_put_refuses_what_is_not_a_well_formed_delivery(tmp_path: Path, bad: object) -> None:
    inbox = SQLiteInbox(tmp_path / "i.db")
    with pytest.raises(InvalidArgumentError):
        await inbox.put(bad)  # type: ignore[arg-type]
    await inbox.aclose()


@pytest.mark.parametrize(("synchronous", "level"), [("FULL", 2), ("normal", 1), ("EXTRA", 3)])
def test_connections_use_wal_the_synchronous_setting_and_the_busy_timeout(
    tmp_path: Path, synchronous: str, level: int
) -> None:
    inbox = SQLiteInbox(tmp_path / "i.db", synchronous=synchronous, busy_timeout=2.5)
    connection = inbox.connect()
    try:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert connection.execute("PRAGMA synchronous").fetchone() == (level,)
        assert connection.execute("PRAGMA busy_timeout").fetchone() == (2500,)
    finally:
        connection.close()


async def test_a_put_in_this_process_wakes_a_waiting_claim_at_once(tmp_path: Path) -> None:
    inbox = SQLiteInbox(tmp_path / "i.db", poll_interval=10.0)
    try:
        await inbox.stats()
        waiting = asyncio.create_task(inbox.claim("w", wait=10.0))
        await asyncio.sleep(0.05)
        await inbox.put(delivery("a"))
        async with asyncio.timeout(2):  # well before the next poll
            assert [c.delivery.delivery_id for c in await waiting] == ["a"]
    finally:
        await inbox.aclose()


async def test_a_file_locked_by_another_process_fails_a_batch_once_not_once_per_put(
    tmp_path: Path,
) -> None:
    inbox = SQLiteInbox(tmp_path / "busy.sqlite3", busy_timeout=0.3)
    await inbox.stats()  # the file exists
    other = inbox.connect()
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        started = asyncio.get_running_loop().time()
        results = await asyncio.gather(
            *(inbox.put(delivery(f"d{i}")) for i in range(20)), return_exceptions=True
        )
        elapsed = asyncio.get_running_loop().time() - started
    finally:
        other.rollback()
        other.close()
    # Each caller got our error, after about one busy timeout (not 21 of them: 6.3 s).
    assert all(isinstance(r, StoreError) for r in results), results
    assert "database is locked" in str(results[0])
    assert elapsed < 2.0
    assert await inbox.put(delivery("after")) is True  # the lock gone, it works again
    await inbox.aclose()


async def test_a_handled_delivery_keeps_its_id_not_its_body(tmp_path: Path) -> None:
    inbox = SQLiteInbox(tmp_path / "i.db")
    await inbox.put(delivery("d1"))
    [claimed] = await inbox.claim("w")
    await inbox.ack(claimed)
    with contextlib.closing(inbox.connect()) as connection:
        row = connection.execute(
            "SELECT length(body), headers FROM ewh_inbox WHERE delivery_id = 'd1'"
        ).fetchone()
    assert row == (0, "{}")
    assert await inbox.put(delivery("d1")) is False  # still deduplicated until purged
    await inbox.aclose()
