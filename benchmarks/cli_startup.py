"""Cold start of `ewh-webhooks --help` against a bare argparse script with the same options.

    python -m benchmarks.cli_startup [--runs 30]

Each command runs `--runs` times, alternating, as a fresh process; the table shows
the median and the fastest run in milliseconds. The target: the CLI at most 2.5x
the bare script.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The CLI's options and commands, parsed by argparse alone: what a CLI costs at least.
BARE = """
import argparse
p = argparse.ArgumentParser(prog="bare")
p.add_argument("--version", action="version", version="1")
for flag in ("--base-url", "--username", "--password", "--wms-code", "--customer"):
    p.add_argument(flag)
p.add_argument("--timeout", type=float)
for flag in ("--emulator", "--json", "--verbose"):
    p.add_argument(flag, action="store_true")
sub = p.add_subparsers(dest="command", required=True)
for name in ("list", "get", "create", "update", "delete", "sync", "verify", "emulator", "demo"):
    c = sub.add_parser(name, help=name)
    for flag in ("--base-url", "--username", "--password", "--wms-code", "--customer"):
        c.add_argument(flag)
    c.add_argument("--timeout", type=float)
    for flag in ("--emulator", "--json", "--verbose"):
        c.add_argument(flag, action="store_true")
p.parse_args()
"""


# As installed code runs: from its bytecode cache. pip writes one for every package it
# installs; this project's own modules get theirs on their first import (the warm-up
# run below). A shell with PYTHONDONTWRITEBYTECODE would otherwise make us, and only
# us, compile from source on every run.
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=_ENV)
    return time.perf_counter() - started


def time_commands(commands: dict[str, list[str]], runs: int) -> dict[str, list[float]]:
    """Seconds per run of each command, as fresh processes, alternating, after one
    run of each that is not counted (it writes the bytecode caches)."""
    for command in commands.values():
        timed(command)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            times[name].append(timed(command))
    return times


def cli_commands(bare: Path) -> dict[str, list[str]]:
    """The bare script, `python -m ewh_webhooks` and the installed script, with --help."""
    script = Path(sys.executable).with_name("ewh-webhooks")
    commands = {
        "bare argparse script": [sys.executable, str(bare), "--help"],
        "python -m ewh_webhooks": [sys.executable, "-m", "ewh_webhooks", "--help"],
    }
    if script.exists():
        commands["ewh-webhooks (script)"] = [str(script), "--help"]
    return commands


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        bare = Path(tmp) / "bare.py"
        bare.write_text(BARE)
        times = time_commands(cli_commands(bare), runs)
    base = statistics.median(times["bare argparse script"])
    print(f"{'command':<26}{'median ms':>10}{'min ms':>9}{'ratio':>8}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<26}{median * 1000:>10.1f}{min(values) * 1000:>9.1f}{median / base:>8.2f}")


if __name__ == "__main__":
    main()
