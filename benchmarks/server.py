"""The emulator in its own process, so client and server never share an event loop.

    python -m benchmarks.server --seed 100000 --latency 0.05 --rate-limit 50/1

Prints the base URL on its first line of output, then serves until stdin closes.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from ewh_webhooks.testing import EWHEmulator


async def serve(args: argparse.Namespace) -> None:
    rate = None
    if args.rate_limit:
        count, period = args.rate_limit.split("/")
        rate = (int(count), float(period))
    customers = [f"C{i}" for i in range(1, args.customers + 1)]
    async with EWHEmulator(
        customers=customers,
        latency=args.latency,
        rate_limit=rate,
        max_limit=args.max_limit,
        # The shape of the vendor document's examples, pinned so that a change of the
        # emulator's defaults never changes what the benchmarks parse: id, url, group,
        # action, customer (no `topic`, no timestamps).
        topic_style="none",
        timestamps=False,
    ) as emu:
        for i in range(args.seed):
            emu.state.add_webhook(
                customers[0],
                url=f"https://bench.test/hooks/{i}",
                group="order",
                action="created",
                hash_secret="bench-secret",
            )
        print(emu.base_url, flush=True)
        # Serve until the parent closes our stdin (or dies).
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--rate-limit", default="")
    parser.add_argument("--max-limit", type=int, default=100)
    parser.add_argument("--customers", type=int, default=8)
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
