"""Benchmarks: each figure is a ratio against a baseline measured in the same run.

    python -m benchmarks            # full run, writes BENCHMARKS.md
    python -m benchmarks --quick    # smaller sizes, prints only

The emulator runs in a separate process (benchmarks/server.py) so that client and
server do not share one event loop. Each figure is the median of `--runs` runs.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from .common import ROOT, cpu_times, steal_percent
from .json_backend import bench_json
from .reading import bench_concurrent_pages, bench_overhead, bench_streaming
from .receiving import bench_receiving
from .report import report
from .shared_limit import bench_shared_limit
from .signatures import bench_signatures
from .writing import bench_bulk, bench_rate_limit


async def run_all(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    scale = 10 if args.quick else 1
    results: dict[str, dict[str, Any]] = {}
    steps: list[tuple[str, Callable[[], Awaitable[dict[str, Any]]]]] = [
        ("overhead", lambda: bench_overhead(40 // scale, 100)),
        ("streaming", lambda: bench_streaming(args.runs, 100_000 // scale)),
        ("pages", lambda: bench_concurrent_pages(args.runs, 200 // scale)),
        ("bulk", lambda: bench_bulk(args.runs, 2000 // scale)),
        ("rate", lambda: bench_rate_limit(500 // scale, 50)),
        ("signatures", lambda: _done(bench_signatures(args.runs, 200_000 // scale))),
        ("json", lambda: bench_json(20 // scale, 100)),
        ("shared", lambda: bench_shared_limit(max(150 // scale, 40))),
        ("receiving", lambda: bench_receiving(args.runs, 5000 // scale)),
    ]
    for name, step in steps:
        if args.only and name not in args.only:
            continue
        started, before = time.perf_counter(), cpu_times()
        results[name] = await step()
        results[name]["steal_pct"] = steal_percent(before, cpu_times())
        print(f"{name}: {results[name]} ({time.perf_counter() - started:.1f} s)", flush=True)
    return results


async def _done(result: dict[str, Any]) -> dict[str, Any]:
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--quick", action="store_true", help="a tenth of the sizes; no BENCHMARKS.md"
    )
    parser.add_argument(
        "--only",
        nargs="*",
        help="overhead streaming pages bulk rate signatures json receiving shared",
    )
    args = parser.parse_args()
    results = asyncio.run(run_all(args))
    if not args.quick and not args.only:
        text = report(results, args.runs)
        (ROOT / "BENCHMARKS.md").write_text(text)
        print(text)


if __name__ == "__main__":
    main()
