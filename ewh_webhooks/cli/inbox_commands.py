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
import asyncio
import contextlib
import json
import os
import re
import signal
import sys
import time
from typing import Any

from ..errors import EWHError, InvalidArgumentError
from ..inbox.protocol import Inbox

__all__ = ["COMMANDS", "add_commands", "demo_restart", "parse_duration", "run"]

COMMANDS = frozenset({"receive", "worker", "inbox"})
INBOX_ACTIONS = ("stats", "dead", "replay", "purge")


# --- argument types (argparse turns ArgumentTypeError into a usage error)


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0 to 65535 (0: any free port), got {text!r}")
    return int(text)


def _count(text: str, minimum: int = 1) -> int:
    if not text.isdigit() or not minimum <= int(text) <= 10_000:
        raise argparse.ArgumentTypeError(
            f"expected a whole number {minimum} to 10000, got {text!r}"
        )
    return int(text)


def _seconds(text: str) -> float:
    try:
        return parse_duration(text)
    except InvalidArgumentError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


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


# --- the parser


def add_commands(
    subparsers: Any, common_parent_parser: argparse.ArgumentParser | None = None
) -> None:
    """Add `receive`, `worker` and `inbox` to the CLI's subparsers; each parsed command
    carries `handler=run`."""
    parents = [] if common_parent_parser is None else [common_parent_parser]

    def command(target: Any, name: str, summary: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = target.add_parser(
            name, parents=parents, help=summary, description=summary
        )
        parser.set_defaults(handler=run, connects=False, takes_json=True)
        return parser

    def inbox_options(parser: argparse.ArgumentParser, *, lease: bool = False) -> None:
        parser.add_argument(
            "--inbox",
            default=os.environ.get("EWH_INBOX"),
            metavar="URL",
            help="sqlite:///events.sqlite3 or redis://host:6379/0 (EWH_INBOX)",
        )
        parser.add_argument("--inbox-name", help="key prefix of a Redis inbox (default ewh)")
        if lease:
            parser.add_argument(
                "--lease", type=_seconds, default=30.0, help="seconds a claim lasts (default 30)"
            )

    def worker_options(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--handler", required=True, metavar="MODULE:ROUTER", help="e.g. myapp.hooks:router"
        )
        inbox_options(parser, lease=True)
        parser.add_argument(
            "--concurrency", type=_count, default=8, help="handlers at once per worker (8)"
        )
        parser.add_argument(
            "--max-attempts", type=_count, default=8, help="attempts before a dead letter (8)"
        )

    p = command(subparsers, "receive", "receive deliveries into an inbox and handle them")
    worker_options(p)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    p.add_argument("--port", type=_port, default=8000, help="port (8000; 0: any free port)")
    p.add_argument("--path", default="/hooks", help="the webhook's path (/hooks)")
    p.add_argument(
        "--workers",
        type=lambda text: _count(text, minimum=0),
        default=1,
        help="InboxWorkers in this process (1; 0: store only)",
    )
    p.add_argument(
        "--secret-env",
        action="append",
        metavar="NAME",
        help="variable holding the webhook secret (EWH_HASH_SECRET); repeat while rotating",
    )

    p = command(subparsers, "worker", "handle deliveries stored in an inbox")
    worker_options(p)

    p = command(subparsers, "inbox", "inspect an inbox: stats, dead letters, replay, purge")
    actions = p.add_subparsers(dest="inbox_action", required=True, metavar="ACTION")
    inbox_options(command(actions, "stats", "deliveries by state"))
    q = command(actions, "dead", "list dead letters, oldest first")
    inbox_options(q)
    q.add_argument("--limit", type=_count, default=100)
    q = command(actions, "replay", "hand dead letters back to the workers, attempts reset")
    inbox_options(q)
    q.add_argument("ids", nargs="*", metavar="DELIVERY_ID", help="only these (default: all)")
    q = command(actions, "purge", "delete handled deliveries older than a retention")
    inbox_options(q)
    q.add_argument(
        "--older-than", type=_seconds, required=True, metavar="DURATION", help="e.g. 7d, 12h"
    )


# --- running them


async def run(args: argparse.Namespace) -> int:
    """Run the parsed `receive`, `worker` or `inbox ...` command; return the exit code."""
    if args.command == "receive":
        return await _receive(args)
    if args.command == "worker":
        return await _worker(args)
    return await _inbox_action(args)


def _open(args: argparse.Namespace) -> Inbox:
    from ..inbox.url import open_inbox

    if not args.inbox:
        raise InvalidArgumentError("--inbox URL (or EWH_INBOX) is required")
    return open_inbox(args.inbox, lease=getattr(args, "lease", 30.0), name=args.inbox_name)


async def _check_inbox(inbox: Inbox) -> None:
    """Fail now, in one line, if the store cannot be reached or opened."""
    try:
        await inbox.dead_letters(limit=1)
    except EWHError:
        raise
    except Exception as exc:
        raise EWHError(f"cannot use the inbox {inbox!r}: {exc}") from None


def _router(spec: str) -> Any:
    from ..routing import import_router

    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # as uvicorn does: the working directory's modules
    return import_router(spec)


def _secrets(names: list[str] | None) -> list[str]:
    found = []
    for name in names or ["EWH_HASH_SECRET"]:
        value = os.environ.get(name)
        if not value:
            raise InvalidArgumentError(
                f"environment variable {name} (the webhook secret) is not set"
            )
        found.append(value)
    return found


async def _until_stopped() -> None:
    """Wait for SIGTERM or SIGINT (Ctrl-C)."""
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

    router = _router(args.handler)
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
            raise InvalidArgumentError(
                f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}"
            ) from None
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
    from ..inbox.worker import InboxWorker

    worker = InboxWorker(
        _open(args),
        _router(args.handler),
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


async def _inbox_action(args: argparse.Namespace) -> int:
    from ..inbox.sqlite import SQLiteInbox

    inbox = _open(args)
    if isinstance(inbox, SQLiteInbox) and not inbox.path.is_file():
        raise InvalidArgumentError(f"no inbox database at {inbox.path}")
    try:
        await _check_inbox(inbox)
        action = args.inbox_action
        if action == "stats":
            stats = await inbox.stats()
            counts = {"ready": stats.ready, "leased": stats.leased, "handled": stats.handled}
            counts |= {"dead": stats.dead, "total": stats.total}
            print(
                json.dumps(counts)
                if args.json
                else "  ".join(f"{k} {v}" for k, v in counts.items())
            )
        elif action == "dead":
            letters = await inbox.dead_letters(limit=args.limit)
            if args.json:
                print(json.dumps([_dead_json(d) for d in letters], indent=2))
            for letter in [] if args.json else letters:
                when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(letter.failed_at))
                delivery_id = letter.delivery.delivery_id
                print(f"{delivery_id}  {when}  attempts {letter.attempts}  {letter.error}")
        elif action == "replay":
            count = await inbox.replay_dead(args.ids or None)
            print(
                json.dumps({"replayed": count}) if args.json else f"replayed {count} dead letters"
            )
        else:
            count = await inbox.purge(older_than=args.older_than)
            print(
                json.dumps({"purged": count}) if args.json else f"purged {count} handled deliveries"
            )
    finally:
        await inbox.aclose()
    return 0


def _dead_json(letter: Any) -> dict[str, Any]:
    return {
        "delivery_id": letter.delivery.delivery_id,
        "attempts": letter.attempts,
        "error": letter.error,
        "failed_at": letter.failed_at,
        "received_at": letter.delivery.received_at,
    }


async def demo_restart(**kwargs: Any) -> int:
    """A delivery surviving a receiver restart (see `inbox_demo`)."""
    from .inbox_demo import demo_restart as demo

    return await demo(**kwargs)
