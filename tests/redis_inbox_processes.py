"""The real processes of the RedisInbox crash test (`test_redis_inbox_crash.py`):

    python -m tests.redis_inbox_processes receiver REDIS_URL NAME SECRET
    python -m tests.redis_inbox_processes worker REDIS_URL NAME LOG FLAG [--hang]

The receiver stores deliveries (no worker of its own) and prints `ready <port>`. A
worker handles them: `order.shipped` appends `start`/`done <worker> <id> <attempt>`
to LOG (fsync'd, so a SIGKILL loses no line); with `--hang` it never finishes (the
worker to kill mid-handler). `stock.updated` fails until the file FLAG exists.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from aiohttp import web

from ewh_webhooks import Router, WebhookEvent, WebhookReceiver
from ewh_webhooks.inbox.backoff import Backoff
from ewh_webhooks.inbox.worker import InboxWorker
from ewh_webhooks.redis import RedisInbox

LEASE = 0.5
MAX_ATTEMPTS = 3


def append(path: str, line: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{line}\n".encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def service_up(flag: str) -> bool:
    return os.path.exists(flag)


def make_router(log: str, flag: str, *, hang: bool) -> Router:
    router = Router()
    me = "hang" if hang else str(os.getpid())

    @router.on("order.shipped")
    async def shipped(event: WebhookEvent) -> None:
        append(log, f"start {me} {event.delivery_id} {event.attempt}")
        if hang:
            await asyncio.sleep(3600)
        append(log, f"done {me} {event.delivery_id} {event.attempt}")

    @router.on("stock.updated")
    async def stock(event: WebhookEvent) -> None:
        if not service_up(flag):
            raise RuntimeError("stock service down")
        append(log, f"done {me} {event.delivery_id} {event.attempt}")

    return router


async def until_terminated() -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()


async def receiver(url: str, name: str, secret: str) -> None:
    inbox = RedisInbox(url, name=name, lease=LEASE)
    hooks = WebhookReceiver(secret=secret, router=Router(), inbox=inbox, workers=0)
    runner = web.AppRunner(hooks.app("/hooks"), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    print("ready", runner.addresses[0][1], flush=True)
    try:
        await until_terminated()
    finally:
        await runner.cleanup()


async def worker(url: str, name: str, log: str, flag: str, *, hang: bool) -> None:
    inbox = RedisInbox(url, name=name, lease=LEASE)
    work = InboxWorker(
        inbox,
        make_router(log, flag, hang=hang),
        concurrency=4,
        max_attempts=MAX_ATTEMPTS,
        backoff=Backoff(initial=0.01, maximum=0.05, jitter=0.0),
        poll_interval=0.05,
        shutdown_timeout=0.0,
    )
    running = asyncio.create_task(work.run())
    print("ready", flush=True)
    await until_terminated()
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)


def main(argv: list[str]) -> None:
    if argv[0] == "receiver":
        asyncio.run(receiver(*argv[1:4]))
    else:
        asyncio.run(worker(*argv[1:5], hang="--hang" in argv))


if __name__ == "__main__":
    main(sys.argv[1:])
