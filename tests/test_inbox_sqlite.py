"""SQLiteInbox: the inbox contract, plus what only SQLite does (the file, several
connections as several processes would have, group commit, stale leases)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from ewh_webhooks.inbox import Inbox
from ewh_webhooks.inbox.sqlite import SQLiteInbox

from .inbox_contract import LEASE, FakeContractClock, InboxContract, MakeInbox


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
