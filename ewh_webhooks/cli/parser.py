"""The argument parser's building blocks: global options, value types, `add_command`.

Global options (`--emulator`, credentials, `--timeout`, `--retries`, `--json`, `-v`) are accepted
before or after the command. The root parser holds them with real defaults; each
command's parser repeats them with `default=SUPPRESS`, so a value given
before the command is not overwritten by the command parser's default. A command
that does not use an option hides it from its help and refuses it
(`check_global_options`), wherever it was put, with the same message.

This module imports nothing but the standard library and the errors: `--help` must
not pay for aiohttp (see tests/test_cli_startup.py).
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from typing import Protocol

from .errors import UsageError

__all__ = [
    "DEFAULT_TIMEOUT",
    "Handler",
    "Subcommands",
    "add_command",
    "add_global_options",
    "check_global_options",
    "count",
    "port",
    "positive_int",
    "retries",
    "seconds",
]


class Subcommands(Protocol):
    """What `ArgumentParser.add_subparsers()` returns, as far as commands use it."""

    def add_parser(
        self, name: str, *, help: str | None = ..., description: str | None = ...
    ) -> argparse.ArgumentParser: ...


Handler = Callable[[argparse.Namespace], Awaitable[int]]
"""A command: parsed arguments in, exit code out. Imports what it needs when called."""

DEFAULT_TIMEOUT = 30.0
# A day: longer than any request should take, short enough for every timer API.
MAX_TIMEOUT = 86_400.0
# With the default backoff, 10 retries already wait over a minute.
MAX_RETRIES = 10
# The demo keeps everything in one process; beyond this it only measures patience.
MAX_COUNT = 10_000


# --- value types: each raises ArgumentTypeError, which argparse turns into a usage error


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:  # also an integer of thousands of digits
        raise argparse.ArgumentTypeError(
            f"expected a whole number >= 1, got {text[:20]!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {value}")
    return value


def count(text: str) -> int:
    value = positive_int(text)
    if value > MAX_COUNT:
        raise argparse.ArgumentTypeError(f"expected at most {MAX_COUNT}, got {value}")
    return value


def port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text[:20]!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0 to 65535 (0: any free port), got {value}")
    return value


def retries(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text[:20]!r}") from None
    if not 0 <= value <= MAX_RETRIES:
        raise argparse.ArgumentTypeError(f"expected 0 to {MAX_RETRIES}, got {value}")
    return value


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number of seconds, got {text[:20]!r}"
        ) from None
    # Asked as "is it in range", never "is it out of range": every comparison with NaN
    # is false, so NaN (a request that never times out) fails here, as do the infinities.
    if not 0 < value <= MAX_TIMEOUT:
        raise argparse.ArgumentTypeError(
            f"expected seconds greater than 0 and at most {MAX_TIMEOUT:g}, got {text[:20]!r}"
        )
    return value


# --- global options

# (flag, dest): the connection options, used by the commands that call the API.
CONNECTION_OPTIONS = (
    ("--base-url", "base_url"),
    ("--username", "username"),
    ("--password", "password"),
    ("--wms-code", "wms_code"),
    ("--customer", "customer"),
    ("--timeout", "timeout"),
    ("--retries", "retries"),
    ("--emulator", "emulator"),
)


def add_global_options(
    parser: argparse.ArgumentParser, *, connects: bool = True, json: bool = True, root: bool = False
) -> None:
    """Add every global option: on the root parser with real defaults, on a command's
    parser with SUPPRESS (so a value given before the command stands). Options the
    command does not use are hidden from its help; `check_global_options` refuses them
    with one message wherever they were put."""

    def default(value: object) -> object:
        return value if root else argparse.SUPPRESS

    def shown(used: bool, text: str) -> str:
        return text if used else argparse.SUPPRESS

    group = parser.add_argument_group("connection (default: EWH_* environment variables)")
    group.add_argument(
        "--base-url",
        default=default(None),
        help=shown(connects, "eu-dev, eu, us or a URL (EWH_BASE_URL)"),
    )
    group.add_argument("--username", default=default(None), help=shown(connects, "(EWH_USERNAME)"))
    group.add_argument(
        "--password",
        default=default(None),
        help=shown(connects, "(EWH_PASSWORD; prefer the variable)"),
    )
    group.add_argument("--wms-code", default=default(None), help=shown(connects, "(EWH_WMS_CODE)"))
    group.add_argument(
        "--customer",
        default=default(None),
        help=shown(connects, "customer code (EWH_CUSTOMER_CODE)"),
    )
    group.add_argument(
        "--timeout",
        type=seconds,
        default=default(None),
        metavar="SECONDS",
        help=shown(connects, f"per request (default {DEFAULT_TIMEOUT:g})"),
    )
    group.add_argument(
        "--retries",
        type=retries,
        default=default(None),
        metavar="N",
        help=shown(connects, "retries of a failed request (default 3; 0 fails fast)"),
    )
    group.add_argument(
        "--emulator",
        action="store_true",
        default=default(False),
        help=shown(connects, "run against an embedded emulator"),
    )
    parser.add_argument(
        "--json", action="store_true", default=default(False), help=shown(json, "print JSON")
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=default(False),
        help="debug logging from ewh_webhooks",
    )


def add_command(
    subparsers: Subcommands,
    name: str,
    handler: Handler,
    *,
    summary: str,
    connects: bool = False,
    json: bool = False,
) -> argparse.ArgumentParser:
    """Add a command; `connects` and `json` say which global options it uses."""
    parser = subparsers.add_parser(name, help=summary, description=summary)
    add_global_options(parser, connects=connects, json=json)
    parser.set_defaults(handler=handler, connects=connects, takes_json=json)
    return parser


def check_global_options(args: argparse.Namespace) -> None:
    """Refuse a global option given to a command that does not use it."""
    if args.json and not args.takes_json:
        raise UsageError(f"--json is not supported by {args.command}")
    if not args.connects:
        for flag, dest in CONNECTION_OPTIONS:
            if getattr(args, dest) not in (None, False):
                raise UsageError(f"{flag} is not used by {args.command}")
