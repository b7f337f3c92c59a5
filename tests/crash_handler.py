"""The handler that the real-process tests run in their receiver and worker processes:
`--handler tests.crash_handler:router`.

Each handled delivery appends "<delivery id> <attempt> <pid>" to the file named by
`EWH_TEST_HANDLED_LOG` and fsyncs it before returning, so the line survives a
SIGKILL right after. Optional: `EWH_TEST_STARTED_LOG` gets the same line when the
handler starts; `EWH_TEST_HANDLER_DELAY` (seconds) is slept in between;
`EWH_TEST_HANDLER_FAIL=always` makes every attempt fail after that;
`EWH_TEST_HANDLER_FAIL=kill` SIGKILLs the handler's own process instead (a delivery
that crashes every worker that takes it).
"""

from __future__ import annotations

import asyncio
import os
import signal

from ewh_webhooks import Router, WebhookEvent

__all__ = ["append_line", "read_lines", "router"]


def append_line(path: str, line: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{line}\n".encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def read_lines(path: str) -> list[list[str]]:
    """The log's lines as [delivery id, attempt, pid]; a torn last line is skipped."""
    try:
        with open(path) as handle:
            return [line.split() for line in handle if line.endswith("\n")]
    except FileNotFoundError:
        return []


def router() -> Router:
    handled_log = os.environ["EWH_TEST_HANDLED_LOG"]
    started_log = os.environ.get("EWH_TEST_STARTED_LOG")
    delay = float(os.environ.get("EWH_TEST_HANDLER_DELAY", "0"))
    fail = os.environ.get("EWH_TEST_HANDLER_FAIL", "")
    routes = Router()

    @routes.on("*")
    async def record(event: WebhookEvent) -> None:
        line = f"{event.delivery_id} {event.attempt} {os.getpid()}"
        if started_log:
            append_line(started_log, line)
        if delay:
            await asyncio.sleep(delay)
        if fail == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        if fail == "always":
            raise RuntimeError(f"always fails (attempt {event.attempt})")
        append_line(handled_log, line)

    return routes
