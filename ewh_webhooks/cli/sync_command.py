"""`ewh-webhooks sync FILE`: make each customer's webhooks match a TOML file.

Text output, per customer: the summary line, then one line per write (planned with
`--dry-run`, done or FAILED otherwise); a customer whose listing failed gets its error
and nothing else. `--json`: see `sync_report`.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from ..errors import InvalidArgumentError
from .errors import UsageError
from .parser import Subcommands, add_command, positive_int

if TYPE_CHECKING:
    from ..sync import SyncItemResult

__all__ = ["register"]


def register(sub: Subcommands) -> None:
    p = add_command(
        sub, "sync", _sync, summary="make webhooks match a TOML file", connects=True, json=True
    )
    p.add_argument("file", help="the sync file (see the README: Command line)")
    p.add_argument("--prune", action="store_true", help="delete or repurpose unlisted webhooks")
    p.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    p.add_argument(
        "--resend-secrets", action="store_true", help="PATCH matched webhooks with their secret"
    )
    p.add_argument(
        "--concurrency", type=positive_int, default=16, help="writes in flight (default 16)"
    )
    p.add_argument(
        "--no-validate-topic",
        action="store_true",
        help="accept unknown topics (also: validate_topic = false in the file)",
    )
    p.add_argument(
        "--allow-credentials",
        action="store_true",
        help="accept URLs with user:password@ (also: allow_credentials = true in the file)",
    )


# A spec refused by the SDK names the parameter; the CLI names the flag and the file key.
_REMEDIES = (
    ("validate_topic=False", "--no-validate-topic (or validate_topic = false in the file)"),
    ("allow_credentials=True", "--allow-credentials (or allow_credentials = true in the file)"),
)


class _Progress:
    """A one-line progress bar on a terminal for long runs; silent otherwise."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()

    def __call__(self, item: SyncItemResult, done: int, total: int) -> None:
        if self.enabled and total >= 20:
            filled = int(30 * done / total)
            sys.stderr.write(f"\r[{'#' * filled}{'-' * (30 - filled)}] {done}/{total}")
            if done == total:
                sys.stderr.write("\n")
            sys.stderr.flush()


async def _sync(args: argparse.Namespace) -> int:
    from ..sync import sync_customers
    from .connect import host_of, open_client
    from .output import print_json, say
    from .specfile import load_spec_file
    from .sync_report import report_lines, result_json

    async with open_client(args) as client:
        spec_file = load_spec_file(args.file, default_customer=client.customer_code)
        try:
            results = await sync_customers(
                client,
                spec_file.customers,
                prune=args.prune,
                dry_run=args.dry_run,
                concurrency=args.concurrency,
                resend_secrets=args.resend_secrets,
                validate_topic=spec_file.validate_topic and not args.no_validate_topic,
                allow_credentials=spec_file.allow_credentials or args.allow_credentials,
                on_progress=None if args.json else _Progress(),
            )
        except InvalidArgumentError as exc:  # a spec was refused before any request
            text = str(exc)
            for parameter, remedy in _REMEDIES:
                text = text.replace(parameter, remedy)
            raise UsageError(f"{args.file}: {text}") from None
        host = host_of(client.base_url)
    report = [result_json(result, host=host) for result in results.values()]
    ok = all(
        r["error"] is None and all(a["status"] != "failed" for a in r["actions"]) for r in report
    )
    if args.json:
        print_json({"ok": ok, "dry_run": args.dry_run, "customers": report})
    else:
        summaries = [result.summary() for result in results.values()]
        say(*report_lines(report, summaries))
    return 0 if ok else 1
