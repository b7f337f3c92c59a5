"""Receivers and workers as real processes (`python -m ewh_webhooks receive|worker`),
for the crash tests of every inbox backend:

    async with receiver_process(inbox_url, env=env, port=port) as proc:
        ...post to proc.url...
        await proc.kill()                  # SIGKILL, no goodbye

The handler is `tests.crash_handler:router`; `env` carries its settings
(`EWH_TEST_HANDLED_LOG`...) and `EWH_HASH_SECRET`.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
HANDLER = "tests.crash_handler:router"

__all__ = ["HANDLER", "Process", "receiver_process", "start", "worker_process"]


class Process:
    """One CLI process; `line` is the first line it printed once ready."""

    def __init__(self, process: asyncio.subprocess.Process, line: str) -> None:
        self.process = process
        self.line = line

    @property
    def url(self) -> str:
        """The receiver's URL, from "receiving on http://127.0.0.1:PORT/hooks ..."."""
        return self.line.split()[2]

    @property
    def pid(self) -> int:
        return self.process.pid

    async def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
        await self.process.wait()

    async def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM (a graceful stop), then SIGKILL if it takes longer than `timeout`."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), timeout)
            except TimeoutError:
                self.process.kill()
        return await self.process.wait()


def _append(path: Path) -> IO[bytes]:
    return open(path, "ab")  # the caller closes it


def _tail(path: Path) -> str:
    return path.read_text(errors="replace")[-2000:]


async def start(args: Sequence[str], *, env: Mapping[str, str], stderr: Path) -> Process:
    """Start `python -m ewh_webhooks ARGS` in the repository root; wait for its first line."""
    full_env = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
    with _append(stderr) as errors:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "ewh_webhooks", *args,
            cwd=ROOT, env=full_env, stdout=asyncio.subprocess.PIPE, stderr=errors,
        )  # fmt: skip
    assert process.stdout is not None
    try:
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
    except BaseException:
        process.kill()
        await process.wait()
        raise
    if not line:
        await process.wait()
        raise RuntimeError(f"{args[0]} exited with {process.returncode}: {_tail(stderr)}")
    return Process(process, line)


@asynccontextmanager
async def receiver_process(
    inbox: str,
    *,
    env: Mapping[str, str],
    stderr: Path,
    port: int = 0,
    workers: int = 1,
    concurrency: int = 1,
    lease: float = 1.0,
    extra: Sequence[str] = (),
) -> AsyncIterator[Process]:
    args = [
        "receive", "--handler", HANDLER, "--inbox", inbox, "--port", str(port),
        "--workers", str(workers), "--concurrency", str(concurrency), "--lease", str(lease),
        *extra,
    ]  # fmt: skip
    process = await start(args, env=env, stderr=stderr)
    try:
        yield process
    finally:
        await process.kill()


@asynccontextmanager
async def worker_process(
    inbox: str,
    *,
    env: Mapping[str, str],
    stderr: Path,
    concurrency: int = 1,
    lease: float = 1.0,
    max_attempts: int = 8,
    extra: Sequence[str] = (),
) -> AsyncIterator[Process]:
    args = [
        "worker", "--handler", HANDLER, "--inbox", inbox, "--concurrency", str(concurrency),
        "--lease", str(lease), "--max-attempts", str(max_attempts), *extra,
    ]  # fmt: skip
    process = await start(args, env=env, stderr=stderr)
    try:
        yield process
    finally:
        await process.kill()
