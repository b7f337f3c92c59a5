"""Cold start, each command a fresh process, alternating, medians:

- `ewh-webhooks --help` against a bare argparse script with the same options
  (`cli_startup.BARE`: what a CLI costs at least);
- `import ewh_webhooks` and `from ewh_webhooks import EWHClient` against
  `import aiohttp`, which the client needs anyway.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from .cli_startup import BARE, cli_commands, time_commands

IMPORTS = {
    "aiohttp": "import aiohttp",
    "package": "import ewh_webhooks",
    "client": "from ewh_webhooks import EWHClient",
}


def _measure(runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        bare = Path(tmp) / "bare.py"
        bare.write_text(BARE)
        cli = cli_commands(bare)
        commands = {
            "bare": cli["bare argparse script"],
            # the installed script when there is one, as users run it
            "cli": cli.get("ewh-webhooks (script)", cli["python -m ewh_webhooks"]),
            **{name: [sys.executable, "-c", code] for name, code in IMPORTS.items()},
        }
        times = time_commands(commands, runs)
    ms = {name: statistics.median(values) * 1000 for name, values in times.items()}
    return {
        "ms": ms,
        "cli_ratio": ms["cli"] / ms["bare"],
        "package_ratio": ms["package"] / ms["aiohttp"],
        "client_ratio": ms["client"] / ms["aiohttp"],
    }


async def bench_startup(runs: int) -> dict[str, Any]:
    return await asyncio.to_thread(_measure, runs)
