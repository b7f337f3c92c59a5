"""A worker process for the RedisInbox crash test (`test_redis_inbox_crash.py`), run
as `python -m tests.redis_inbox_processes REDIS_URL NAME LOG FLAG [--hang]`: an
`InboxWorker` with a fast backoff (the CLI's worker keeps the default one, seconds
long), printing `ready` once started.

`order.shipped` appends `start`/`done <worker> <id> <attempt>` to LOG (fsync'd, so a
SIGKILL loses no line); with `--hang` it never finishes (the worker to kill
mid-handler). `stock.updated` fails until the file FLAG exists.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from ewh_webhooks import Router, WebhookEvent
from ewh_webhooks.inbox.backoff import Backoff
from ewh_webhooks.inbox.worker import InboxWorker
from ewh_webhooks.redis import RedisInbox

from .crash_handler import append_line

LEASE = 0.5
MAX_ATTEMPTS = 3


def service_up(flag: str) -> bool:
    return os.path.exists(flag)


def make_router(log: str, flag: str, *, hang: bool) -> Router:
    router = Router()
    me = "hang" if hang else str(os.getpid())

    @router.on("order.shipped")
    async def shipped(event: WebhookEvent) -> None:
        append_line(log, f"start {me} {event.delivery_id} {event.attempt}")
        if hang:
            await asyncio.sleep(3600)
        append_line(log, f"done {me} {event.delivery_id} {event.attempt}")

    @router.on("stock.updated")
    async def stock(event: WebhookEvent) -> None:
        if not service_up(flag):
            raise RuntimeError("stock service down")
        append_line(log, f"done {me} {event.delivery_id} {event.attempt}")

    return router


async def until_terminated() -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()


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


if __name__ == "__main__":
    asyncio.run(worker(*sys.argv[1:5], hang="--hang" in sys.argv))
