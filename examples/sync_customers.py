"""Make the webhooks of several customers match one declaration, from a deploy script.

Run against the embedded emulator (no credentials needed):

    python examples/sync_customers.py --emulator

or against the real API with EWH_USERNAME, EWH_PASSWORD, EWH_WMS_CODE,
EWH_CUSTOMER_CODE (and EWH_BASE_URL) set, plus ORDER_HOOK_SECRET.
"""

from __future__ import annotations

import argparse
import asyncio
import os

from ewh_webhooks import EWHClient, WebhookSpec, raise_for_errors, sync_customers
from ewh_webhooks.testing import EWHEmulator


def desired(secret: str, customers: list[str]) -> dict[str, list[WebhookSpec]]:
    return {
        code: [
            WebhookSpec(
                url=f"https://hooks.example.com/{code.lower()}/orders",
                group="order",
                action=action,
                hash_secret=secret,
            )
            for action in ("created", "shipped")
        ]
        for code in customers
    }


async def run(client: EWHClient, customers: list[str], secret: str) -> None:
    specs = desired(secret, customers)
    plan = await sync_customers(client, specs, prune=True, dry_run=True)
    for result in plan.values():
        print(result.summary())
    results = await sync_customers(client, specs, prune=True, concurrency=16)
    for result in results.values():
        print(result.summary())
    raise_for_errors(results)  # one SyncError naming every failed item, if any


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--emulator", action="store_true")
    args = parser.parse_args()
    if args.emulator:
        async with EWHEmulator() as emu, emu.client() as client:
            await run(client, list(emu.customer_codes), secret="demo-secret")
        return
    async with EWHClient.from_env() as client:
        await run(client, [client.customer_code], secret=os.environ["ORDER_HOOK_SECRET"])


if __name__ == "__main__":
    asyncio.run(main())
