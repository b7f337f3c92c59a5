"""`ewh-webhooks` (also `python -m ewh_webhooks`): the command line.

Credentials come from flags or `EWH_USERNAME`, `EWH_PASSWORD`, `EWH_WMS_CODE`,
`EWH_CUSTOMER_CODE`, `EWH_BASE_URL`; `--emulator` runs a command against an
embedded emulator instead. Global options go before or after the command. Errors
print one line and exit non-zero: 1 for a failed call, 2 for a usage mistake.

Adding commands: a module with `register(subparsers)` that calls
`parser.add_command` for each command, listed in `COMMAND_GROUPS`. Handlers import
the client, aiohttp and the emulator when they run, so that `--help` stays fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from .._version import __version__
from ..errors import EWHError, InvalidArgumentError
from . import commands, inbox_commands, local_commands, sync_command
from .parser import add_global_options, check_global_options

__all__ = ["COMMAND_GROUPS", "build_parser", "main"]

# Each registers its commands, in this order in `--help`.
COMMAND_GROUPS = (commands, sync_command, local_commands, inbox_commands)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ewh-webhooks",
        description="Manage eWarehousing webhooks.",
        epilog="Global options may also follow the command: ewh-webhooks list --json.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    add_global_options(parser, connects=True, json=True, root=True)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in COMMAND_GROUPS:
        group.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        check_global_options(args)
    except InvalidArgumentError as exc:
        return _error(exc, 2)
    restore_logging = _debug_logging() if args.verbose else None
    try:
        return _run(args)
    finally:
        if restore_logging is not None:
            restore_logging()


def _run(args: argparse.Namespace) -> int:
    import asyncio

    try:
        code: int = asyncio.run(args.handler(args))
        # Flush inside the try: a closed pipe (`| head`) must fail here, not at exit.
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        _discard_stdout()
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except InvalidArgumentError as exc:
        return _error(exc, 2)
    except EWHError as exc:
        return _error(exc, 1)


def _error(exc: BaseException, status: int) -> int:
    from .output import cli_message, say

    say(f"error: {cli_message(exc)}", file=sys.stderr)
    return status


def _discard_stdout() -> None:
    """The reader went away (`ewh-webhooks list | head`): send what is left to devnull,
    so that Python's flush at exit does not raise again (the Python docs' SIGPIPE note)."""
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError):  # not a real file (e.g. captured in tests)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def _debug_logging() -> Callable[[], None]:
    """Debug lines from `ewh_webhooks` to stderr, through a handler on that logger only:
    the root logger (and asyncio's debug output) stays as it was. Returns the undo."""
    import logging

    logger = logging.getLogger("ewh_webhooks")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    level, propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False  # not twice where the root logger has a handler too

    def restore() -> None:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate

    return restore
