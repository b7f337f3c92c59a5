"""A demo of durable receiving: a delivery acknowledged by a receiver process that is
then killed (SIGKILL, before any worker ran) is handled after the restart, once.

The first receiver is a real `ewh-webhooks receive` process with `--workers 0`; the
second runs in this process with a worker, on the same SQLite file.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from ..errors import EWHError
from ..events import WebhookEvent
from ..routing import Router

__all__ = ["demo_restart", "demo_router"]


def demo_router() -> Router:
    """The handler the demo's receiver process imports (it never runs there: no workers)."""
    router = Router()

    @router.on("*")
    async def ignore(event: WebhookEvent) -> None:
        return None

    return router


@asynccontextmanager
async def _receiver_process(
    path: Path, secret: str
) -> AsyncIterator[tuple[str, Callable[[], None]]]:
    """`ewh-webhooks receive` storing into `path` with no worker: (url, kill)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ewh_webhooks",
        "receive",
        "--handler",
        "ewh_webhooks.cli.inbox_demo:demo_router",
        "--inbox",
        f"sqlite:///{path}",
        "--port",
        "0",
        "--workers",
        "0",
        env={**os.environ, "EWH_HASH_SECRET": secret},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    try:
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        if not line.startswith("receiving on "):
            error = (await process.stderr.read()).decode().strip()
            raise EWHError(f"the receiver process did not start: {error or line}")
        yield line.split()[2], process.kill
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def demo_restart(
    *, directory: str | Path | None = None, say: Callable[[str], None] = print
) -> int:
    """Run the demo (in a temporary folder unless `directory` is given); 0 on success."""
    from aiohttp import web

    from ..inbox.sqlite import SQLiteInbox
    from ..receiver import WebhookReceiver
    from ..testing import EWHEmulator

    secret = secrets.token_urlsafe(24)
    with tempfile.TemporaryDirectory() as temporary:
        path = Path(directory or temporary) / "events.sqlite3"
        async with EWHEmulator() as emu, emu.client() as client:
            say(f"\n== a receiver process storing into {path.name}, with no worker yet")
            async with _receiver_process(path, secret) as (url, kill):
                hook = await client.webhooks.create(
                    url=url, group="order", action="shipped", hash_secret=secret
                )
                attempts = await emu.deliver(
                    "order", "shipped", {"id": 1001}, delivery_id="evt-restart-1"
                )
                say(f"the sender got {attempts[-1].status} for evt-restart-1: it will not resend")
                kill()
                say("the receiver process is killed (SIGKILL) before handling it")

            say("\n== a new receiver on the same file, with a worker")
            handled: list[WebhookEvent] = []
            done = asyncio.Event()
            router = Router()

            @router.on("order.shipped")
            async def shipped(event: WebhookEvent) -> None:
                handled.append(event)
                done.set()
                say(f"handled {event.delivery_id} (attempt {event.attempt})")

            receiver = WebhookReceiver(
                secret=secret,
                router=router,
                inbox=SQLiteInbox(path),
                worker_options={"poll_interval": 0.05},
            )
            runner = web.AppRunner(receiver.app("/hooks"), access_log=None)
            await runner.setup()
            try:
                await web.TCPSite(runner, "127.0.0.1", 0).start()
                port = runner.addresses[0][1]
                await client.webhooks.update(hook.id, url=f"http://127.0.0.1:{port}/hooks")
                await asyncio.wait_for(done.wait(), 10)
                again = await emu.deliver(
                    "order", "shipped", {"id": 1001}, delivery_id="evt-restart-1"
                )
                await asyncio.sleep(0.2)
                status = again[-1].status
                say(f"a redelivery of evt-restart-1 got {status} and was not handled again")
            finally:
                await runner.cleanup()
    ok = [e.delivery_id for e in handled] == ["evt-restart-1"]
    say("nothing acknowledged was lost" if ok else f"unexpected: handled {len(handled)} times")
    return 0 if ok else 1
