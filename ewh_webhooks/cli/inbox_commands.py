"""Durable receiving from the command line:

    ewh-webhooks receive --handler myapp.hooks:router --inbox sqlite:///events.sqlite3
    ewh-webhooks worker  --handler myapp.hooks:router --inbox redis://localhost:6379/0
    ewh-webhooks inbox stats|dead|replay|purge --inbox sqlite:///events.sqlite3

`receive` serves the receiver (verify, store, answer) with `--workers` InboxWorkers
in the same process; `worker` runs workers only, for more processes or machines on
the same inbox. The handler is imported like `uvicorn module:app`: a `Router`, or a
function returning one, from the working directory or the installed packages.
SIGTERM or Ctrl-C stops gracefully: no new deliveries or claims, handlers in flight
finish, the rest stay in the inbox.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import sys
from typing import TYPE_CHECKING, Any

from ..errors import InvalidArgumentError
from .commands import secret_from_env
from .errors import CommandError
from .parser import Subcommands, add_command, count, port, seconds

if TYPE_CHECKING:  # imported when a command runs, so that --help stays fast
    from ..inbox.protocol import Inbox

__all__ = ["COMMANDS", "demo_restart", "parse_duration", "register", "run"]

COMMANDS = frozenset({"receive", "worker", "inbox"})


_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*")
_UNIT = {None: 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str) -> float:
    """Seconds in `text`: "90", "1.5", "90s", "30m", "12h" or "7d" (more than 0)."""
    match = _DURATION.fullmatch(text)
    value = float(match.group(1)) * _UNIT[match.group(2)] if match else 0.0
    if not match or not 0 < value <= 3650 * 86400.0:
        raise InvalidArgumentError(
            f"expected a duration such as 30, 90s, 15m, 12h or 7d, got {text[:20]!r}"
        )
    return value


def _duration(text: str) -> float:
    try:
        return parse_duration(text)
    except InvalidArgumentError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _workers(text: str) -> int:
    return 0 if text.strip() == "0" else count(text)


# --- the parser


def register(sub: Subcommands) -> None:
    """Add `receive`, `worker` and `inbox stats|dead|replay|purge`."""
    p = add_command(
        sub, "receive", run, summary="receive deliveries into an inbox and handle them", json=False
    )
    _worker_options(p)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    p.add_argument("--port", type=port, default=8000, help="port (8000; 0: any free port)")
    p.add_argument("--path", default="/hooks", help="the webhook's path (/hooks)")
    p.add_argument(
        "--workers",
        type=_workers,
        default=1,
        help="InboxWorkers in this process (1; 0: store only)",
    )
    p.add_argument(
        "--secret-env",
        action="append",
        metavar="VARIABLE",
        help="variable holding the webhook secret (EWH_HASH_SECRET); repeat while rotating",
    )

    p = add_command(sub, "worker", run, summary="handle deliveries stored in an inbox", json=False)
    _worker_options(p)

    p = add_command(
        sub, "inbox", run, summary="inspect an inbox: stats, dead letters, replay, purge", json=True
    )
    actions = p.add_subparsers(dest="inbox_action", required=True, metavar="ACTION")
    _inbox_options(add_command(actions, "stats", run, summary="deliveries by state", json=True))
    q = add_command(actions, "dead", run, summary="list dead letters, oldest first", json=True)
    _inbox_options(q)
    q.add_argument("--limit", type=count, default=100)
    q = add_command(
        actions, "replay", run, summary="hand dead letters back, attempts reset", json=True
    )
    _inbox_options(q)
    q.add_argument("ids", nargs="*", metavar="DELIVERY_ID", help="only these (default: all)")
    q = add_command(
        actions, "purge", run, summary="delete handled deliveries older than DURATION", json=True
    )
    _inbox_options(q)
    q.add_argument(
        "--older-than", type=_duration, required=True, metavar="DURATION", help="e.g. 7d, 12h"
    )


def _inbox_options(parser: argparse.ArgumentParser, *, lease: bool = False) -> None:
    parser.add_argument(
        "--inbox",
        default=os.environ.get("EWH_INBOX"),
        metavar="URL",
        help="sqlite:///events.sqlite3 or redis://host:6379/0 (EWH_INBOX)",
    )
    parser.add_argument("--inbox-name", help="key prefix of a Redis inbox (default ewh)")
    if lease:
        parser.add_argument(
            "--lease", type=seconds, default=30.0, help="seconds a claim lasts (default 30)"
        )


def _worker_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--handler",
        dest="router_spec",  # `handler` is the command's function (see parser.add_command)
        required=True,
        metavar="MODULE:ROUTER",
        help="e.g. myapp.hooks:router",
    )
    _inbox_options(parser, lease=True)
    parser.add_argument(
        "--concurrency", type=count, default=8, help="handlers at once per worker (8)"
    )
    parser.add_argument(
        "--max-attempts", type=count, default=8, help="attempts before a dead letter (8)"
    )


# --- running them


async def run(args: argparse.Namespace) -> int:
    """Run the parsed `receive`, `worker` or `inbox ...` command; return the exit code."""
    if args.command == "receive":
        return await _receive(args)
    if args.command == "worker":
        return await _worker(args)
    from .inbox_inspect import inspect_inbox

    return await inspect_inbox(args, _open(args), _check_inbox)


def _open(args: argparse.Namespace) -> Inbox:
    from ..inbox.url import open_inbox

    if not args.inbox:
        raise InvalidArgumentError("--inbox URL (or EWH_INBOX) is required")
    return open_inbox(args.inbox, lease=getattr(args, "lease", 30.0), name=args.inbox_name)


async def _check_inbox(inbox: Inbox) -> None:
    """Fail now, in one line, if the store cannot be reached or opened."""
    from ..inbox.protocol import probe_inbox

    await probe_inbox(inbox)


def _router(spec: str) -> Any:
    from ..routing import import_router

    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # as uvicorn does: the working directory's modules
    return import_router(spec)


def _secrets(names: list[str] | None) -> list[str]:
    return [secret_from_env(name) for name in names or ["EWH_HASH_SECRET"]]


async def _until_stopped() -> None:
    """Wait for SIGTERM or SIGINT (Ctrl-C)."""
    import asyncio

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    added = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows: Ctrl-C only
            loop.add_signal_handler(sig, stop.set)
            added.append(sig)
    try:
        await stop.wait()
    finally:
        for sig in added:
            loop.remove_signal_handler(sig)


async def _receive(args: argparse.Namespace) -> int:
    from aiohttp import web

    from ..receiver import WebhookReceiver

    router = _router(args.router_spec)
    inbox = _open(args)
    receiver = WebhookReceiver(
        secret=_secrets(args.secret_env),
        router=router,
        inbox=inbox,
        workers=args.workers,
        worker_options={"concurrency": args.concurrency, "max_attempts": args.max_attempts},
    )
    await _check_inbox(inbox)
    runner = web.AppRunner(receiver.app(args.path), access_log=None)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, args.host, args.port).start()
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise CommandError(f"cannot listen on {args.host}:{args.port}: {reason}") from None
        host, port = runner.addresses[0][:2]
        print(
            f"receiving on http://{host}:{port}{args.path} into {inbox!r} "
            f"with {args.workers} worker(s); Ctrl-C to stop",
            flush=True,
        )
        await _until_stopped()
    finally:
        await runner.cleanup()  # stops the workers gracefully, closes the inbox
    return 0


async def _worker(args: argparse.Namespace) -> int:
    import asyncio

    from ..inbox.worker import InboxWorker

    worker = InboxWorker(
        _open(args),
        _router(args.router_spec),
        concurrency=args.concurrency,
        max_attempts=args.max_attempts,
    )
    await _check_inbox(worker.inbox)
    print(f"worker {worker.consumer} handling deliveries from {worker.inbox!r}", flush=True)
    running = asyncio.create_task(worker.run())
    stopped = asyncio.create_task(_until_stopped())
    await asyncio.wait([running, stopped], return_when=asyncio.FIRST_COMPLETED)
    running.cancel()  # a graceful stop: in-flight handlers finish first
    stopped.cancel()
    await asyncio.gather(running, stopped, return_exceptions=True)
    return 0


async def demo_restart(**kwargs: Any) -> int:
    """A delivery surviving a receiver restart (see `inbox_demo`)."""
    from .inbox_demo import demo_restart as demo

    return await demo(**kwargs)
