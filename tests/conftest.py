"""Shared fixtures: a fake clock, a started emulator, clients that never wait for real."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio
from aioresponses import aioresponses

from ewh_webhooks import EWHClient, RetryPolicy
from ewh_webhooks.testing import EWHEmulator
from ewh_webhooks.testing import FakeClock as FakeTime  # time moves only when someone sleeps

from . import _aioresponses_compat
from .api_mock import BASE, LOGIN, tokens

_aioresponses_compat.install()

CREDS: dict[str, Any] = {
    "username": "alice",
    "password": "pa55word-SECRET",
    "wms_code": "WMS1",
    "customer_code": "CUST1",
    "base_url": BASE,
}


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest_asyncio.fixture
async def emulator() -> AsyncIterator[EWHEmulator]:
    async with EWHEmulator() as emu:
        yield emu


@pytest_asyncio.fixture
async def client(emulator: EWHEmulator, fake_time: FakeTime) -> AsyncIterator[EWHClient]:
    """An emulator client whose backoff sleeps are fake (instant)."""
    async with emulator.client(runtime=fake_time.runtime()) as c:
        yield c


@pytest.fixture
def mock() -> Iterator[aioresponses]:
    with aioresponses() as m:
        yield m


@pytest_asyncio.fixture
async def api(mock: aioresponses, fake_time: FakeTime) -> AsyncIterator[EWHClient]:
    mock.post(LOGIN, payload=tokens())
    async with make_client(runtime=fake_time.runtime()) as client:
        yield client


def make_client(**overrides: Any) -> EWHClient:
    kwargs = dict(CREDS)
    kwargs.update(overrides)
    return EWHClient(**kwargs)


def no_retry() -> RetryPolicy:
    return RetryPolicy(max_retries=0)


# The CLI's fixtures: `cli` runs main() in-process, `live_emulator` outlives one command.
from .cli_fixtures import cli, live_emulator  # noqa: E402, F401

# A private redis-server for the Redis-backed tests (started on first use).
from .redis_server import redis_server, redis_server_factory, redis_url  # noqa: E402, F401
