"""Benchmarks: each figure is a ratio against a baseline measured in the same run.

    python -m benchmarks            # full run, writes BENCHMARKS.md
    python -m benchmarks --quick    # smaller sizes, prints only (asserts no target)
    python -m benchmarks --only streaming listing

The emulator runs in a separate process (benchmarks/server.py) so that client and
server do not share one event loop. Each figure is the median of `--runs` runs.

The machine may be shared: each step records the CPU time the hypervisor gave to
other guests (steal) and the CPU time other processes used (others). Each attempt
first waits (up to `--patience` seconds) for a second in which others used at most
`--noisy` percent; a step whose others' share still exceeds that is run again, up to
`--attempts` times in all, and the quietest attempt is kept (chosen by that share,
never by the figure).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from .common import ROOT, machine_now, noise, wait_quiet
from .json_backend import bench_json
from .listing import bench_listing
from .memory import bench_memory
from .reading import bench_concurrent_pages, bench_overhead, bench_streaming
from .receiving import bench_receiving
from .report import report
from .shared_limit import bench_shared_limit
from .signatures import bench_signatures
from .startup import bench_startup
from .writing import bench_bulk, bench_rate_limit

Step = Callable[[], Awaitable[dict[str, Any]]]


def steps(args: argparse.Namespace) -> list[tuple[str, Step]]:
    scale = 10 if args.quick else 1
    return [
        ("overhead", lambda: bench_overhead(40 // scale, 100)),
        ("streaming", lambda: bench_streaming(args.runs, 100_000 // scale)),
        ("memory", lambda: bench_memory(10_000 // scale, 1_000_000 // scale)),
        ("listing", lambda: bench_listing(args.runs, 10_000 // scale)),
        ("pages", lambda: bench_concurrent_pages(args.runs, 200 // scale)),
        ("bulk", lambda: bench_bulk(args.runs, 2000 // scale)),
        ("rate", lambda: bench_rate_limit(500 // scale, 50)),
        ("signatures", lambda: _done(bench_signatures(args.runs, 200_000 // scale))),
        ("json", lambda: bench_json(20 // scale, 100)),
        ("shared", lambda: bench_shared_limit(max(150 // scale, 40))),
        ("receiving", lambda: bench_receiving(args.runs, 5000 // scale)),
        ("startup", lambda: bench_startup(max(20 // scale, 5))),
    ]


async def run_all(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    for name, step in steps(args):
        if args.only and name not in args.only:
            continue
        history: list[tuple[float, float | None]] = []
        for attempt in range(1, args.attempts + 1):
            if args.patience > 0:
                await wait_quiet(args.noisy, args.patience)
            started, before = time.perf_counter(), machine_now()
            result = {**await step(), **noise(before, machine_now()), "attempts": attempt}
            print(f"{name}: {result} ({time.perf_counter() - started:.1f} s)", flush=True)
            history.append((_others(result), result.get("ratio")))
            if name not in results or _others(result) < _others(results[name]):
                results[name] = result
            if _others(result) <= args.noisy:
                break
        # every attempt's (others' share, ratio): how much the noise moved the figure
        results[name]["history"] = history
    return results


def _others(result: dict[str, Any]) -> float:
    others = result.get("others_pct")
    return 0.0 if others is None else float(others)


async def _done(result: dict[str, Any]) -> dict[str, Any]:
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--quick", action="store_true", help="a tenth of the sizes, one attempt; no BENCHMARKS.md"
    )
    parser.add_argument(
        "--only",
        nargs="*",
        help="overhead streaming memory listing pages bulk rate signatures json shared "
        "receiving startup",
    )
    parser.add_argument(
        "--attempts", type=int, help="runs of a noisy step at most (default 3; 1 with --quick)"
    )
    parser.add_argument(
        "--noisy",
        type=float,
        default=15.0,
        help="others' share of the CPUs (percent) above which a step is run again",
    )
    parser.add_argument(
        "--patience",
        type=float,
        help="seconds to wait before each attempt for a quiet second (default 60; 0 with --quick)",
    )
    parser.add_argument("--save", type=Path, help="also write the results as JSON here")
    parser.add_argument(
        "--report", type=Path, metavar="JSON", help="write BENCHMARKS.md from saved results"
    )
    args = parser.parse_args()
    if args.report:
        saved = json.loads(args.report.read_text())
        (ROOT / "BENCHMARKS.md").write_text(report(saved["results"], saved["runs"]))
        return
    if args.patience is None:
        args.patience = 0.0 if args.quick else 60.0
    if args.attempts is None:
        args.attempts = 1 if args.quick else 3
    results = asyncio.run(run_all(args))
    if args.save:
        args.save.write_text(json.dumps({"runs": args.runs, "results": results}, default=str))
    if not args.quick and not args.only:
        text = report(results, args.runs)
        (ROOT / "BENCHMARKS.md").write_text(text)
        print(text)


if __name__ == "__main__":
    main()
