"""pytest plugin (registered through the `pytest11` entry point).

Fixtures, for async tests run by pytest-asyncio:
- `ewh_emulator`: a running `EWHEmulator`;
- `ewh_client`: an `EWHClient` logged in to it, closed after the test.
"""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator

from ..client import EWHClient
from .emulator import EWHEmulator

# Without pytest-asyncio the plugin defines nothing rather than break pytest itself.
if importlib.util.find_spec("pytest_asyncio") is not None:
    import pytest_asyncio

    @pytest_asyncio.fixture
    async def ewh_emulator() -> AsyncIterator[EWHEmulator]:
        async with EWHEmulator() as emulator:
            yield emulator

    @pytest_asyncio.fixture
    async def ewh_client(ewh_emulator: EWHEmulator) -> AsyncIterator[EWHClient]:
        async with ewh_emulator.client() as client:
            yield client
