"""What only a real process shows: start-up imports, a closed pipe, logging set-up, signals."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys

from ewh_webhooks import EWHClient

ENV = {k: v for k, v in os.environ.items() if not k.startswith("EWH_")}


def imported_by(*args: str) -> set[str]:
    """The modules `python -m ewh_webhooks ARGS` imports, read from -X importtime."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "ewh_webhooks", *args],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return set(re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s+(\S+)$", result.stderr, re.M))


def test_help_imports_neither_aiohttp_nor_the_client() -> None:
    modules = imported_by("--help")
    assert "argparse" in modules  # the parse really was read
    heavy = {"aiohttp", "asyncio", "attrs", "cattrs", "ewh_webhooks.client", "ewh_webhooks.testing"}
    assert not modules & heavy


def test_command_help_imports_neither_aiohttp_nor_the_client() -> None:
    assert not imported_by("sync", "--help") & {"aiohttp", "ewh_webhooks.client"}


def test_a_closed_pipe_ends_quietly() -> None:
    # `ewh-webhooks list | head -0`: the reader is gone before anything is written.
    proc = subprocess.Popen(
        [sys.executable, "-m", "ewh_webhooks", "list", "--emulator"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=ENV,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    proc.stdout.close()
    stderr = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(30) == 1  # Python's own status for EPIPE
    assert stderr == b""


def test_verbose_turns_on_this_package_only() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ewh_webhooks", "list", "--emulator", "-v"],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    names = {line.split()[2] for line in result.stderr.splitlines() if " DEBUG " in line}
    assert names, result.stderr
    assert all(name.startswith("ewh_webhooks") for name in names), names  # not asyncio's


async def test_standalone_emulator_serves_until_interrupted() -> None:
    proc = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "ewh_webhooks", "emulator", "--port", "0"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=ENV,
    )
    assert proc.stdout is not None
    try:
        lines = [(await asyncio.wait_for(proc.stdout.readline(), 30)).decode() for _ in range(7)]
        settings = dict(line.strip().split("=", 1) for line in lines if "=" in line)
        assert settings["EWH_BASE_URL"].startswith("http://127.0.0.1:")
        customer = settings["EWH_CUSTOMER_CODE"].split()[0]
        async with EWHClient(
            username=settings["EWH_USERNAME"],
            password=settings["EWH_PASSWORD"],
            wms_code=settings["EWH_WMS_CODE"],
            customer_code=customer,
            base_url=settings["EWH_BASE_URL"],
        ) as client:
            assert (await client.webhooks.list_page()).count == 0
    finally:
        proc.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 130
    assert b"Traceback" not in stderr
