"""`ewh-webhooks` (also `python -m ewh_webhooks`): the command line.

Credentials come from flags or `EWH_USERNAME`, `EWH_PASSWORD`, `EWH_WMS_CODE`,
`EWH_CUSTOMER_CODE`, `EWH_BASE_URL`; `--emulator` runs a command against an
embedded emulator instead. Errors print one line and exit non-zero: 1 for a failed
call, 2 for a usage mistake.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from .._version import __version__
from ..errors import EWHError, InvalidArgumentError
from . import commands, inbox_commands

__all__ = ["build_parser", "main"]


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("connection (default: EWH_* environment variables)")
    group.add_argument("--base-url", help="eu-dev, eu, us or a URL (EWH_BASE_URL)")
    group.add_argument("--username", help="(EWH_USERNAME)")
    group.add_argument("--password", help="(EWH_PASSWORD; prefer the variable)")
    group.add_argument("--wms-code", help="(EWH_WMS_CODE)")
    group.add_argument("--customer", help="customer code (EWH_CUSTOMER_CODE)")
    group.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    group.add_argument("--emulator", action="store_true", help="run against an embedded emulator")
    common.add_argument("--json", action="store_true", help="print JSON")
    common.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(
        prog="ewh-webhooks", description="Manage eWarehousing webhooks."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("list", parents=[common], help="list webhooks")
    p.add_argument("--limit", type=int, default=100, help="page size")
    p.add_argument("--sort")
    p.add_argument("--direction", choices=["asc", "desc"])

    p = sub.add_parser("get", parents=[common], help="show one webhook")
    p.add_argument("id")

    p = sub.add_parser("create", parents=[common], help="create a webhook")
    p.add_argument("--url", required=True)
    p.add_argument("--topic", required=True, help="e.g. order.shipped")
    p.add_argument("--secret-env", default="EWH_HASH_SECRET", help="variable holding the secret")
    p.add_argument("--no-validate-topic", action="store_true")

    p = sub.add_parser("update", parents=[common], help="change a webhook")
    p.add_argument("id")
    p.add_argument("--url")
    p.add_argument("--topic")
    p.add_argument("--secret-env", help="variable holding a new secret")
    p.add_argument("--no-validate-topic", action="store_true")

    p = sub.add_parser("delete", parents=[common], help="delete a webhook")
    p.add_argument("id")

    p = sub.add_parser("sync", parents=[common], help="make webhooks match a TOML file")
    p.add_argument("file")
    p.add_argument("--prune", action="store_true", help="delete or repurpose unlisted webhooks")
    p.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    p.add_argument("--resend-secrets", action="store_true")
    p.add_argument("--concurrency", type=int, default=16)

    p = sub.add_parser("verify", parents=[common], help="check a delivery's signature")
    p.add_argument("--signature", required=True, help="the X-Hmac-Sha256 header value")
    p.add_argument("--secret-env", default="EWH_HASH_SECRET", help="variable holding the secret")
    p.add_argument("body", nargs="?", default="-", help="file with the raw body (- for stdin)")

    p = sub.add_parser("emulator", parents=[common], help="run the emulator standalone")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)

    p = sub.add_parser("demo", parents=[common], help="a tour against the embedded emulator")
    p.add_argument("--count", type=int, default=60, help="webhooks to create")
    inbox_commands.add_commands(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    try:
        return asyncio.run(commands.run(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except InvalidArgumentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except EWHError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
