"""Fixtures for the CLI tests: `main([...])` in-process, and an emulator that outlives it.

`cli(...)` runs the command the way `ewh-webhooks` would (its own `asyncio.run`),
with the `EWH_*` variables of the developer's shell removed, and returns the exit
status with what was printed. `live_emulator` serves from a thread of its own, so
that several commands in a row see the same webhooks.
"""

from __future__ import annotations

import asyncio
import io
import os
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from ewh_webhooks.cli import main
from ewh_webhooks.testing import EWHEmulator


@dataclass
class Ran:
    code: int
    out: str
    err: str

    @property
    def error_line(self) -> str:
        """The one line an error prints (asserts it is one line, no traceback)."""
        assert "Traceback" not in self.err
        lines = self.err.strip().splitlines()
        assert len(lines) == 1, self.err
        assert lines[0].startswith("error: "), self.err
        return lines[0]


CLI = Callable[..., Ran]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> CLI:
    for name in list(os.environ):
        if name.startswith("EWH_"):
            monkeypatch.delenv(name)

    def run(*args: str, env: dict[str, str] | None = None, stdin: bytes | None = None) -> Ran:
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse: --help, --version, usage errors
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        return Ran(code, out, err)

    return run


@pytest.fixture
def live_emulator(cli: CLI, monkeypatch: pytest.MonkeyPatch) -> Iterator[EWHEmulator]:
    """An emulator on its own loop in a thread; `EWH_*` point the CLI at it (set after
    `cli` has cleared them)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    emulator = EWHEmulator()
    asyncio.run_coroutine_threadsafe(emulator.start(), loop).result(10)
    try:
        for key, value in emulator.credentials.items():
            monkeypatch.setenv(f"EWH_{key.upper()}", value)
        yield emulator
    finally:
        asyncio.run_coroutine_threadsafe(emulator.close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
