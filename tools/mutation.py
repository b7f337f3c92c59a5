"""Mutation testing of the decision modules: run mutmut, then print the kill rate per module.

    .venv/bin/python tools/mutation.py            # run (incremental), then the table
    .venv/bin/python tools/mutation.py --fresh    # forget earlier results first
    .venv/bin/python tools/mutation.py --table    # only the table of the last run

What is mutated and which tests run is `[tool.mutmut]` in pyproject.toml; TESTING.md
explains the figures. Exits 1 when a module kills less than `--min` percent.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "mutants"

# mutmut's exit codes per mutant (mutmut.stats.status_by_exit_code), grouped.
KILLED = {1, 3}
TIMEOUT = {24, -24, 36, 152, 255}
TYPE_CHECK = {37}
SURVIVED = {0}
NO_TESTS = {5, 33}


def run_mutmut(fresh: bool) -> float:
    if fresh and MUTANTS.exists():
        shutil.rmtree(MUTANTS)
    env = dict(os.environ)
    # mutmut runs `type_check_command` (mypy) by name: the venv's bin first on PATH.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    # Hypothesis starts each run with an empty example database (and a fixed seed, in
    # pyproject.toml): a failure saved by an earlier run cannot decide this one.
    env["HYPOTHESIS_STORAGE_DIRECTORY"] = str(MUTANTS / ".hypothesis-run")
    shutil.rmtree(MUTANTS / ".hypothesis-run", ignore_errors=True)
    mutmut = Path(sys.executable).parent / "mutmut"
    started = time.monotonic()
    result = subprocess.run([str(mutmut), "run"], cwd=ROOT, env=env, check=False)
    if result.returncode != 0:
        sys.exit(f"mutmut run failed with exit code {result.returncode}")
    return time.monotonic() - started


def table() -> list[tuple[str, Counter[str]]]:
    rows = []
    for meta in sorted(MUTANTS.rglob("*.py.meta")):
        codes = json.loads(meta.read_text())["exit_code_by_key"].values()
        count: Counter[str] = Counter()
        for code in codes:
            if code in KILLED:
                count["killed"] += 1
            elif code in TIMEOUT:
                count["timeout"] += 1
            elif code in TYPE_CHECK:
                count["mypy"] += 1
            elif code in SURVIVED:
                count["survived"] += 1
            elif code in NO_TESTS:
                count["no tests"] += 1
            else:
                count["other"] += 1
        if codes:
            rows.append((str(meta.relative_to(MUTANTS))[: -len(".meta")], count))
    return rows


COLUMNS = ("mutants", "killed", "timeout", "mypy", "survived", "no tests", "rate")


def rate(count: Counter[str]) -> float:
    """Detected mutants (killed by a test, timed out, or refused by mypy) per 100."""
    return 100 * (count["killed"] + count["timeout"] + count["mypy"]) / count.total()


def row(name: str, count: Counter[str]) -> str:
    cells = [count.total(), *(count[c] for c in COLUMNS[1:-1])]
    return f"{name:28}" + "".join(f"{c:>10}" for c in cells) + f"{rate(count):>9.1f}%"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh", action="store_true", help="forget earlier results first")
    parser.add_argument("--table", action="store_true", help="only print the last run's table")
    parser.add_argument("--min", type=float, default=90.0, help="lowest kill rate per module")
    args = parser.parse_args()
    if not args.table:
        seconds = run_mutmut(args.fresh)
        print(f"\nmutmut run took {seconds:.0f} s")
    rows = table()
    if not rows:
        sys.exit("no results: run without --table first")
    print(f"\n{'module':28}" + "".join(f"{c:>10}" for c in COLUMNS))
    total: Counter[str] = Counter()
    low = []
    for module, count in rows:
        total.update(count)
        print(row(module, count))
        if rate(count) < args.min:
            low.append(module)
    print(row("total", total))
    print("\nsurvivors: .venv/bin/mutmut results; one mutant: .venv/bin/mutmut show NAME")
    if low:
        sys.exit(f"below {args.min:.0f} %: {', '.join(low)}")


if __name__ == "__main__":
    main()
