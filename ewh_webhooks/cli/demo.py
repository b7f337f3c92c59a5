"""`ewh-webhooks demo`: a tour of the SDK against the embedded emulator.

It starts the emulator (with a few injected 503s, so retries show), logs in,
creates webhooks concurrently, streams them back page by page, updates and
deletes some, syncs two customers from specs, and finally has the emulator
deliver signed events to a receiver running on loopback.
"""

from __future__ import annotations

import asyncio
import secrets
import time

from aiohttp import web

from ..events import WebhookEvent
from ..models import WebhookSpec
from ..receiver import WebhookReceiver
from ..routing import Router
from ..sync import sync_customers
from ..testing import EWHEmulator, FaultPlan

__all__ = ["run_demo"]


def _step(text: str) -> None:
    print(f"\n== {text}")


async def run_demo(*, count: int = 60) -> int:
    started = time.perf_counter()
    secret = secrets.token_urlsafe(24)
    received: list[WebhookEvent] = []
    router = Router()

    @router.on("order.*")
    async def on_order(event: WebhookEvent) -> None:
        received.append(event)

    receiver = WebhookReceiver(secret=secret, router=router)
    runner = web.AppRunner(receiver.app("/hooks"), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    receiver_url = f"http://127.0.0.1:{runner.addresses[0][1]}/hooks"
    faults = FaultPlan(rates={"503": 0.05}, seed=7)
    try:
        async with EWHEmulator(faults=faults, max_limit=25) as emu, emu.client() as client:
            print(f"emulator at {emu.base_url}; receiver at {receiver_url}")
            _step(f"creating {count} webhooks concurrently (5% of answers are 503s)")
            topics = [("order", "shipped"), ("order", "created"), ("stock", "updated")]
            created = await asyncio.gather(
                *(
                    client.webhooks.create(
                        url=receiver_url if i < 2 else f"https://example.com/hooks/{i}",
                        group=topics[i % 3][0],
                        action=topics[i % 3][1],
                        hash_secret=secret,
                    )
                    for i in range(count)
                )
            )
            print(f"created {len(created)}; e.g. {created[0]!r}")

            _step("streaming them back, 25 per page")
            pages_before = emu.state.count_requests("GET", "/webhooks/")
            listed = [hook async for hook in client.webhooks.list(limit=25)]
            pages = emu.state.count_requests("GET", "/webhooks/") - pages_before
            print(f"listed {len(listed)} webhooks in {pages} page requests")

            _step("updating 5 and deleting 5")
            movable = [h for h in created if h.url != receiver_url]
            for hook in movable[:5]:
                await client.webhooks.update(hook.id, url=hook.url + "-v2")
            await asyncio.gather(*(client.webhooks.delete(h.id) for h in movable[5:10]))
            print(f"now {len([h async for h in client.webhooks.list()])} webhooks")

            _step("syncing two customers from specs (dry run, then for real)")
            specs = {
                code: [
                    WebhookSpec(
                        url=f"https://example.com/{code}/orders",
                        group="order",
                        action="shipped",
                        hash_secret=secret,
                    ),
                    WebhookSpec(
                        url=f"https://example.com/{code}/stock",
                        group="stock",
                        action="updated",
                        hash_secret=secret,
                    ),
                ]
                for code in emu.customer_codes[1:]
            }
            for dry_run in (True, False):
                results = await sync_customers(client, specs, prune=True, dry_run=dry_run)
                for result in results.values():
                    print(result.summary())

            _step("delivering signed events to the receiver")
            await emu.deliver(
                "order", "shipped", {"id": 1001, "status": "shipped"}, delivery_id="evt-1"
            )
            await emu.deliver(
                "order", "shipped", {"id": 1001, "status": "shipped"}, delivery_id="evt-1"
            )  # a redelivery: dispatched once
            await receiver.drain()
            for event in received:
                print(f"received {event.topic} for entity {event.entity_id} ({event.delivery_id})")

            _step("summary")
            retried = sum(1 for r in emu.state.requests if r.fault == "503")
            print(
                f"{len(emu.state.requests)} requests to the emulator, {retried} answered 503 "
                "and retried; no errors reached the caller"
            )
    finally:
        await runner.cleanup()
    print(f"done in {time.perf_counter() - started:.2f}s")
    return 0
