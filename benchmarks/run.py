"""Benchmarks: each figure is a ratio against a baseline measured in the same run.

    python -m benchmarks            # full run, writes BENCHMARKS.md
    python -m benchmarks --quick    # smaller sizes, prints only

The emulator runs in a separate process (benchmarks/server.py) so that client and
server do not share one event loop. Each figure is the median of `--runs` runs.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import logging
import os
import platform
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

from ewh_webhooks import EWHClient, RateLimit, WebhookSpec, sign, sync_customers, verify_signature
from ewh_webhooks.sansio import user_agent

ROOT = Path(__file__).resolve().parent.parent
CREDS = {"username": "emulator-user", "password": "emulator-password", "wms_code": "EMU"}


@asynccontextmanager
async def server(**options: Any) -> AsyncIterator[str]:
    args = [sys.executable, "-m", "benchmarks.server"]
    for key, value in options.items():
        args += [f"--{key.replace('_', '-')}", str(value)]
    proc = await asyncio.create_subprocess_exec(
        *args, cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    assert proc.stdout is not None
    assert proc.stdin is not None
    base_url = (await proc.stdout.readline()).decode()
    try:
        yield base_url.strip()
    finally:
        proc.stdin.close()
        await asyncio.wait_for(proc.wait(), timeout=30)


def client(base_url: str, customer: str = "C1", **kwargs: Any) -> EWHClient:
    return EWHClient(**CREDS, customer_code=customer, base_url=base_url, **kwargs)


async def raw_headers(session: aiohttp.ClientSession, base_url: str) -> dict[str, str]:
    """The headers the SDK sends, for the raw baseline (one login of its own)."""
    async with session.post(
        f"{base_url}/wms/auth/login/",
        json={"username": CREDS["username"], "password": CREDS["password"]},
        headers={"X-Wms-Code": CREDS["wms_code"]},
    ) as resp:
        token = (await resp.json())["token"]
    return {
        "Accept": "application/json",
        "User-Agent": user_agent(),
        "X-Wms-Code": CREDS["wms_code"],
        "X-Customer-Code": "C1",
        "Authorization": f"Bearer {token}",
    }


async def timed(fn: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await fn()
    return time.perf_counter() - started


async def alternate(
    runs: int, baseline: Callable[[], Awaitable[Any]], candidate: Callable[[], Awaitable[Any]]
) -> tuple[float, float]:
    """Median times of baseline and candidate, run alternately to cancel drift."""
    base, cand = [], []
    for _ in range(runs):
        base.append(await timed(baseline))
        cand.append(await timed(candidate))
    return statistics.median(base), statistics.median(cand)


# --- 1. overhead per request ------------------------------------------------------


async def bench_overhead(rounds: int, n: int) -> dict[str, Any]:
    """Sequential gets, raw and SDK alternating in short rounds so that the machine's
    drift hits both alike; the ratio is the median of the per-round ratios."""
    async with server(seed=1) as base_url, client(base_url) as sdk:
        hook_id = (await sdk.webhooks.list_page(limit=1)).results[0].id
        async with aiohttp.ClientSession() as session:
            headers = await raw_headers(session, base_url)
            url = f"{base_url}/webhooks/{hook_id}/"

            async def raw() -> None:
                for _ in range(n):
                    async with session.get(url, headers=headers) as resp:
                        await resp.json()

            async def ours() -> None:
                for _ in range(n):
                    await sdk.webhooks.get(hook_id)

            await raw(), await ours()  # warm up both
            raw_times, sdk_times = [], []
            for _ in range(rounds):
                raw_times.append(await timed(raw))
                sdk_times.append(await timed(ours))
    ratios = [s / r for s, r in zip(sdk_times, raw_times, strict=True)]
    return {
        "raw_us": statistics.median(raw_times) / n * 1e6,
        "sdk_us": statistics.median(sdk_times) / n * 1e6,
        "ratio": statistics.median(ratios),
    }


# --- 2. streaming -------------------------------------------------------------------


async def bench_streaming(runs: int, total: int) -> dict[str, Any]:
    async with server(seed=total) as base_url, client(base_url) as sdk:
        async with aiohttp.ClientSession() as session:
            headers = await raw_headers(session, base_url)

            async def raw() -> None:
                page, seen = 1, 0
                while True:
                    async with session.get(
                        f"{base_url}/webhooks/",
                        params={"page": page, "limit": 100},
                        headers=headers,
                    ) as resp:
                        body = await resp.json()
                    for item in body["results"]:
                        seen += 1
                        _ = item["id"]
                    if body["next"] is None:
                        break
                    page += 1
                assert seen == total

            async def ours() -> None:
                seen = 0
                async for hook in sdk.webhooks.list(limit=100):
                    seen += 1
                    _ = hook.id
                assert seen == total

            t_raw, t_sdk = await alternate(runs, raw, ours)
        memory = {}
        for count in (total // 10, total):
            child = await asyncio.create_subprocess_exec(
                *(sys.executable, "-m", "benchmarks.memory", base_url, str(count)),
                cwd=ROOT,
                stdout=asyncio.subprocess.PIPE,
            )
            out, _ = await child.communicate()
            assert child.returncode == 0
            memory[count] = json.loads(out)["rss_growth_kib"]
    return {
        "items": total,
        "raw_per_s": total / t_raw,
        "sdk_per_s": total / t_sdk,
        "ratio": t_raw / t_sdk,
        "rss_growth_kib": memory,
    }


# --- 3. concurrent pagination ------------------------------------------------------------


async def bench_concurrent_pages(runs: int, pages: int) -> dict[str, Any]:
    async with server(seed=pages * 50, latency=0.05) as base_url, client(base_url) as sdk:

        async def sequential() -> None:
            assert len([h async for h in sdk.webhooks.list(limit=50, prefetch=False)]) == pages * 50

        async def concurrent() -> None:
            assert len([h async for h in sdk.webhooks.list(limit=50, concurrency=8)]) == pages * 50

        t_seq, t_conc = await alternate(runs, sequential, concurrent)
    return {"pages": pages, "sequential_s": t_seq, "concurrent_s": t_conc, "ratio": t_conc / t_seq}


# --- 4. bulk create through sync ------------------------------------------------------------


async def bench_bulk(
    runs: int, n: int, concurrency: int = 32, latency: float = 0.02
) -> dict[str, Any]:
    """Sync-create n webhooks; baselines: the ideal n/concurrency x latency, and raw
    aiohttp POSTs at the same concurrency against the same server (which shows how
    much of the gap to the ideal is the emulator's own CPU time)."""
    ideal = n / concurrency * latency
    sdk_times, raw_times, writes = [], [], []
    async with (
        server(latency=latency, customers=2 * runs + 1) as base_url,
        client(base_url, max_in_flight=concurrency) as sdk,
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session,
    ):
        await sdk.webhooks.list_page()
        headers = await raw_headers(session, base_url)
        gate = asyncio.Semaphore(concurrency)

        async def raw_create(customer: str, i: int) -> None:
            body = {
                "url": f"https://bench.test/{customer}/{i}",
                "group": "order",
                "action": "created",
                "hash_secret": "s",
            }
            async with (
                gate,
                session.post(
                    f"{base_url}/webhooks/",
                    json=body,
                    headers={**headers, "X-Customer-Code": customer},
                ) as resp,
            ):
                assert resp.status == 201
                await resp.json()

        for run in range(runs):
            customer = f"C{2 * run + 2}"  # empty customers, one per run and side
            started = time.perf_counter()
            await asyncio.gather(*(raw_create(customer, i) for i in range(n)))
            raw_times.append(time.perf_counter() - started)

            customer = f"C{2 * run + 3}"
            specs = [
                WebhookSpec(
                    url=f"https://bench.test/{customer}/{i}",
                    group="order",
                    action="created",
                    hash_secret="s",
                )
                for i in range(n)
            ]
            started = time.perf_counter()
            results = await sync_customers(sdk, {customer: specs}, concurrency=concurrency)
            sdk_times.append(time.perf_counter() - started)
            result = results[customer]
            assert result.ok
            assert result.created == n
            writes.append(result.plan.request_count)
    sdk_s, raw_s = statistics.median(sdk_times), statistics.median(raw_times)
    return {
        "n": n,
        "ideal_s": ideal,
        "raw_s": raw_s,
        "sdk_s": sdk_s,
        "ratio": sdk_s / ideal,
        "raw_ratio": raw_s / ideal,
        "sdk_vs_raw": sdk_s / raw_s,
        "writes": max(writes),
    }


# --- 5. rate limit ------------------------------------------------------------------------


class _Count429(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if " -> %d " in record.msg and record.args and record.args[2] == 429:  # type: ignore[index]
            self.count += 1


async def bench_rate_limit(n: int, rate: int) -> dict[str, Any]:
    counter = _Count429()
    logger = logging.getLogger("ewh_webhooks")
    logger.addHandler(counter)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        async with (
            server(rate_limit=f"{rate}/1") as base_url,
            client(base_url, rate_limit=RateLimit(rate, 1.0), max_in_flight=64) as sdk,
        ):
            await sdk.webhooks.list_page(limit=1)
            await asyncio.sleep(1.0)  # a fresh server bucket: let the login's token drain
            counter.count = 0
            started = time.perf_counter()
            await asyncio.gather(*(sdk.webhooks.list_page(limit=1) for _ in range(n)))
            elapsed = time.perf_counter() - started
    finally:
        logger.removeHandler(counter)
        logger.propagate = True
        logger.setLevel(logging.NOTSET)
    # The client's bucket starts full, so its first `burst` requests go at once (the
    # burst is a tenth short of the rate: see ewh_webhooks.limits): the rest, over the
    # time they took, is the sustained rate.
    burst = rate - max(1, rate // 10)
    sustained = (n - burst) / elapsed
    return {
        "n": n,
        "limit": rate,
        "sustained_per_s": sustained,
        "ratio": sustained / rate,
        "responses_429": counter.count,
    }


# --- 6. signature verification --------------------------------------------------------------


def bench_signatures(runs: int, n: int) -> dict[str, Any]:
    body = os.urandom(1024)
    secret = "whsec-benchmark"
    header = sign(body, secret)
    key = secret.encode()

    def raw() -> None:
        for _ in range(n):
            expected = base64.b64decode(header)
            hmac.compare_digest(hmac.digest(key, body, hashlib.sha256), expected)

    def ours() -> None:
        for _ in range(n):
            verify_signature(body, header, secret)

    base, cand = [], []
    for _ in range(runs):
        for fn, into in ((raw, base), (ours, cand)):
            started = time.perf_counter()
            fn()
            into.append(time.perf_counter() - started)
    t_raw, t_sdk = statistics.median(base), statistics.median(cand)
    return {"raw_per_s": n / t_raw, "sdk_per_s": n / t_sdk, "ratio": t_raw / t_sdk}


# --- report -----------------------------------------------------------------------------


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, aiohttp {aiohttp.__version__}"
    )


def report(r: dict[str, dict[str, Any]], runs: int) -> str:
    o, s, c, b, rl, sig = (
        r[k] for k in ("overhead", "streaming", "pages", "bulk", "rate", "signatures")
    )
    small, large = sorted(s["rss_growth_kib"])
    rows = [
        (
            "1. Overhead per `get()`",
            "raw aiohttp get + json()",
            f"{o['sdk_us']:.0f} µs vs {o['raw_us']:.0f} µs (median of 40 paired rounds)",
            f"{o['ratio']:.3f}",
            "≤ 1.15",
        ),
        (
            f"2. Streaming {s['items']:,} webhooks",
            "raw aiohttp loop, JSON to dicts",
            f"{s['sdk_per_s']:,.0f}/s vs {s['raw_per_s']:,.0f}/s",
            f"{s['ratio']:.3f}",
            "≥ 0.85",
        ),
        (
            "2b. RSS growth while streaming",
            f"{small:,} vs {large:,} items",
            f"{s['rss_growth_kib'][small]:,} KiB vs {s['rss_growth_kib'][large]:,} KiB",
            "-",
            "bounded",
        ),
        (
            f"3. {c['pages']} pages at 50 ms, concurrency 8",
            "sequential `list()`",
            f"{c['concurrent_s']:.2f} s vs {c['sequential_s']:.2f} s",
            f"{c['ratio']:.3f}",
            "≤ 0.20",
        ),
        (
            f"4. Sync-create {b['n']:,} at 20 ms, concurrency 32",
            "ideal n/32 x 20 ms",
            f"{b['sdk_s']:.2f} s vs {b['ideal_s']:.2f} s; {b['writes']:,} writes",
            f"{b['ratio']:.3f}",
            "≤ 1.30",
        ),
        (
            "4b. Same, raw aiohttp POSTs",
            "ideal n/32 x 20 ms",
            f"{b['raw_s']:.2f} s vs {b['ideal_s']:.2f} s",
            f"{b['raw_ratio']:.3f}",
            "(server bound)",
        ),
        (
            "4c. Sync vs raw aiohttp POSTs",
            "raw aiohttp POSTs",
            f"{b['sdk_s']:.2f} s vs {b['raw_s']:.2f} s",
            f"{b['sdk_vs_raw']:.3f}",
            "-",
        ),
        (
            f"5. {rl['n']} requests at {rl['limit']}/s limit",
            "the limit",
            f"{rl['sustained_per_s']:.1f}/s sustained; {rl['responses_429']} x 429",
            f"{rl['ratio']:.3f}",
            "≥ 0.97, no 429",
        ),
        (
            "6. Verify 1 KiB signatures",
            "raw hmac + compare_digest",
            f"{sig['sdk_per_s']:,.0f}/s vs {sig['raw_per_s']:,.0f}/s",
            f"{sig['ratio']:.3f}",
            "≥ 100,000/s",
        ),
    ]
    lines = [
        "| benchmark | baseline | measured | ratio | target |",
        "|---|---|---|---|---|",
        *(f"| {' | '.join(row)} |" for row in rows),
    ]
    return (
        "# Benchmarks\n\n"
        f"Machine: {machine()}.\n\n"
        f"Command: `python -m benchmarks` (median of {runs} runs; the emulator runs in a separate process).\n\n"
        + "\n".join(lines)
        + "\n"
    )


async def run_all(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    scale = 10 if args.quick else 1
    results: dict[str, dict[str, Any]] = {}
    steps: list[tuple[str, Callable[[], Awaitable[dict[str, Any]]]]] = [
        ("overhead", lambda: bench_overhead(40 // scale, 100)),
        ("streaming", lambda: bench_streaming(args.runs, 100_000 // scale)),
        ("pages", lambda: bench_concurrent_pages(args.runs, 200 // scale)),
        ("bulk", lambda: bench_bulk(args.runs, 2000 // scale)),
        ("rate", lambda: bench_rate_limit(500 // scale, 50)),
    ]
    for name, step in steps:
        if args.only and name not in args.only:
            continue
        started = time.perf_counter()
        results[name] = await step()
        print(f"{name}: {results[name]} ({time.perf_counter() - started:.1f} s)", flush=True)
    if not args.only or "signatures" in args.only:
        results["signatures"] = bench_signatures(args.runs, 200_000 // scale)
        print(f"signatures: {results['signatures']}", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--quick", action="store_true", help="a tenth of the sizes; no BENCHMARKS.md"
    )
    parser.add_argument("--only", nargs="*", help="overhead streaming pages bulk rate signatures")
    args = parser.parse_args()
    results = asyncio.run(run_all(args))
    if not args.quick and not args.only:
        text = report(results, args.runs)
        (ROOT / "BENCHMARKS.md").write_text(text)
        print(text)


if __name__ == "__main__":
    main()
