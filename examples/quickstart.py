"""Your first calls: create a webhook, list, get, update and delete it.

Run it against the embedded emulator (no account needed), or against the API with
EWH_USERNAME, EWH_PASSWORD, EWH_WMS_CODE and EWH_CUSTOMER_CODE (and EWH_BASE_URL) set:

    python examples/quickstart.py
    python examples/quickstart.py --api
"""

from __future__ import annotations

import argparse
import asyncio
import secrets

from ewh_webhooks import EWHClient, NotFoundError
from ewh_webhooks.testing import EWHEmulator


async def tour(client: EWHClient) -> None:
    secret = secrets.token_urlsafe(32)  # keep it: deliveries are signed with it
    hook = await client.webhooks.create(
        url="https://example.com/hooks/orders",
        group="order",
        action="shipped",
        hash_secret=secret,
    )
    print("created", hook.id, hook.topic, hook.url)

    async for listed in client.webhooks.list(limit=100):  # every page, streamed
        print("listed ", listed.id, listed.topic)

    hook = await client.webhooks.update(hook.id, url="https://example.com/hooks/v2")
    print("updated", (await client.webhooks.get(hook.id)).url)

    await client.webhooks.delete(hook.id)
    try:
        await client.webhooks.get(hook.id)
    except NotFoundError as exc:
        print("deleted:", exc)


async def main(use_api: bool) -> None:
    if use_api:
        async with EWHClient.from_env() as client:
            await tour(client)
        return
    async with EWHEmulator() as emulator, emulator.client() as client:
        await tour(client)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", action="store_true", help="use the API, not the emulator")
    asyncio.run(main(parser.parse_args().api))
