"""Shared fixtures: a fake clock, a started emulator, clients that never wait for real."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from ewh_webhooks import EWHClient, RetryPolicy
from ewh_webhooks.testing import EWHEmulator
from ewh_webhooks.testing import FakeClock as FakeTime  # time moves only when someone sleeps

from . import _aioresponses_compat

_aioresponses_compat.install()

BASE = "https://api.test"
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
    async with emulator.client(_runtime=fake_time.runtime()) as c:
        yield c


def make_client(**overrides: Any) -> EWHClient:
    kwargs = dict(CREDS)
    kwargs.update(overrides)
    return EWHClient(**kwargs)


def no_retry() -> RetryPolicy:
    return RetryPolicy(max_retries=0)


# A private redis-server for the Redis-backed tests (started on first use).
from .redis_server import redis_server, redis_server_factory, redis_url  # noqa: E402, F401
