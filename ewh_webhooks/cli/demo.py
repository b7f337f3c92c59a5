"""`ewh-webhooks demo`: a tour of the SDK against the embedded emulator.

It starts the emulator (with a few injected 503s, so retries show), logs in,
creates webhooks concurrently, streams them back page by page, updates and
deletes some, syncs two customers from specs, has the emulator deliver signed
events to a receiver on loopback, and shows a tampered delivery being refused.

Each step is a function of the `Tour` in `STEPS`; a new step is one function and
one line there.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

from ..client import EWHClient
from ..events import WebhookEvent
from ..models import Webhook, WebhookSpec
from ..receiver import WebhookReceiver
from ..routing import Router
from ..signature import sign
from ..sync import sync_customers
from ..testing import EWHEmulator, FaultPlan
from .output import summary_line

__all__ = ["STEPS", "Tour", "run_demo"]


@dataclass(kw_only=True)
class Tour:
    """What the steps share: the emulator, a client, the receiver and what it got."""

    emulator: EWHEmulator
    client: EWHClient
    receiver: WebhookReceiver
    receiver_url: str
    secret: str
    count: int
    received: list[WebhookEvent] = field(default_factory=list)
    created: list[Webhook] = field(default_factory=list)
    rejected: int = 0  # deliveries the receiver refused with 401


def _step(text: str) -> None:
    print(f"\n== {text}")


async def create_webhooks(tour: Tour) -> None:
    _step(f"creating {tour.count} webhooks concurrently (5% of answers are 503s)")
    topics = [("order", "shipped"), ("order", "created"), ("stock", "updated")]
    tour.created = await asyncio.gather(
        *(
            tour.client.webhooks.create(
                url=tour.receiver_url if i < 2 else f"https://example.com/hooks/{i}",
                group=topics[i % 3][0],
                action=topics[i % 3][1],
                hash_secret=tour.secret,
            )
            for i in range(tour.count)
        )
    )
    print(f"created {len(tour.created)} webhooks; first: {summary_line(tour.created[0])}")


async def stream_pages(tour: Tour) -> None:
    _step("streaming them back, 25 per page")
    state = tour.emulator.state
    before = state.count_requests("GET", "/webhooks/")
    listed = [hook async for hook in tour.client.webhooks.list(limit=25)]
    pages = state.count_requests("GET", "/webhooks/") - before
    print(f"listed {len(listed)} webhooks in {pages} page requests")


async def update_and_delete(tour: Tour) -> None:
    movable = [h for h in tour.created if h.url != tour.receiver_url]
    updates, deletes = movable[:5], movable[5:10]
    _step(f"updating {len(updates)} and deleting {len(deletes)}")
    updated = [await tour.client.webhooks.update(h.id, url=h.url + "-v2") for h in updates]
    if updated:
        print(f"updated {len(updated)}; first: {summary_line(updated[0])}")
    await asyncio.gather(*(tour.client.webhooks.delete(h.id) for h in deletes))
    print(f"now {len([h async for h in tour.client.webhooks.list()])} webhooks")


async def sync_two_customers(tour: Tour) -> None:
    _step("syncing two customers from specs (dry run, then for real)")
    specs = {
        code: [
            WebhookSpec(
                url=f"https://example.com/{code}/{group}",
                group=group,
                action=action,
                hash_secret=tour.secret,
            )
            for group, action in (("order", "shipped"), ("stock", "updated"))
        ]
        for code in tour.emulator.customer_codes[1:]
    }
    for dry_run in (True, False):
        results = await sync_customers(tour.client, specs, prune=True, dry_run=dry_run)
        for result in results.values():
            print(result.summary())


async def deliver_events(tour: Tour) -> None:
    _step("delivering signed events to the receiver")
    event = {"id": 1001, "status": "shipped"}
    await tour.emulator.deliver("order", "shipped", event, delivery_id="evt-1")
    # A redelivery of the same id: acknowledged, dispatched once.
    await tour.emulator.deliver("order", "shipped", event, delivery_id="evt-1")
    await tour.receiver.drain()
    for got in tour.received:
        print(f"received {got.topic} for entity {got.entity_id} ({got.delivery_id})")


async def reject_tampered(tour: Tour) -> None:
    _step("a tampered delivery is refused")
    envelope = {"body": {"id": 1001, "status": "shipped"}, "group": "order", "action": "shipped"}
    body = json.dumps(envelope).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Hmac-Sha256": sign(body, tour.secret),  # signed, then changed on the way
        "X-Webhook-Id": "evt-forged",
    }
    handled = len(tour.received)
    tampered = body.replace(b'"shipped"}', b'"cancelled"}')
    async with (
        aiohttp.ClientSession() as session,
        session.post(tour.receiver_url, data=tampered, headers=headers) as resp,
    ):
        status = resp.status
    await tour.receiver.drain()
    tour.rejected += status == 401
    print(
        f"body changed after signing: the receiver answered {status}; "
        f"handler calls: {len(tour.received) - handled}"
    )


async def summary(tour: Tour) -> None:
    _step("summary")
    requests = tour.emulator.state.requests
    retried = sum(1 for r in requests if r.fault == "503")
    print(
        f"{len(requests)} requests to the emulator, {retried} answered 503 "
        "and retried; no errors reached the caller"
    )
    print(
        f"events handled: {len(tour.received)}; "
        f"tampered deliveries rejected with 401: {tour.rejected}"
    )


async def survive_a_restart(tour: Tour) -> None:
    _step("a delivery acknowledged, then its receiver killed: the durable inbox keeps it")
    from .inbox_demo import demo_restart

    if await demo_restart(say=lambda line: print(line.lstrip("\n").replace("== ", "   "))):
        raise RuntimeError("the acknowledged delivery was not handled after the restart")


Step = Callable[[Tour], Awaitable[None]]

STEPS: tuple[Step, ...] = (
    create_webhooks,
    stream_pages,
    update_and_delete,
    sync_two_customers,
    deliver_events,
    reject_tampered,
    survive_a_restart,
    summary,
)


async def run_demo(*, count: int = 60, steps: tuple[Step, ...] = STEPS) -> int:
    started = time.perf_counter()
    secret = secrets.token_urlsafe(24)
    router = Router()
    received: list[WebhookEvent] = []

    @router.on("order.*")
    async def on_order(event: WebhookEvent) -> None:
        received.append(event)

    receiver = WebhookReceiver(secret=secret, router=router)
    runner = web.AppRunner(receiver.app("/hooks"), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        receiver_url = f"http://127.0.0.1:{runner.addresses[0][1]}/hooks"
        faults = FaultPlan(rates={"503": 0.05}, seed=7)
        async with EWHEmulator(faults=faults, max_limit=25) as emu, emu.client() as client:
            print(f"emulator at {emu.base_url}; receiver at {receiver_url}")
            tour = Tour(
                emulator=emu,
                client=client,
                receiver=receiver,
                receiver_url=receiver_url,
                secret=secret,
                count=count,
                received=received,
            )
            for step in steps:
                await step(tour)
    finally:
        await runner.cleanup()
    print(f"\ndone in {time.perf_counter() - started:.2f}s")
    return 0
