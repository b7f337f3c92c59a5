"""`ewh-webhooks sync FILE`: make each customer's webhooks match a TOML file.

Text output, per customer: the summary line, then one line per write (planned with
`--dry-run`, done or FAILED otherwise); a customer whose listing failed gets its error
and nothing else. `--json` prints one object:

    {"ok": true, "dry_run": false, "customers": [
      {"customer": "C1", "error": null,
       "planned": {"create": 1, "update": 0, "delete": 0, "unchanged": 2},
       "actions": [{"kind": "create", "id": null, "topic": "order.shipped",
                    "url": "https://...", "status": "done", "error": null}]}]}

`status` is "planned" (dry run), "done" or "failed"; an update that moves a webhook
also has `previous_url`. URLs are shown with their passwords redacted.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from ..errors import InvalidArgumentError
from .errors import UsageError
from .output import print_json, redact_url
from .parser import add_command, positive_int

if TYPE_CHECKING:
    from ..sync import SyncAction, SyncItemResult, SyncResult

__all__ = ["action_json", "describe_action", "register", "result_json"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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


def action_json(action: SyncAction, *, status: str, error: str | None = None) -> dict[str, Any]:
    """One write as JSON: `status` is "planned", "done" or "failed"."""
    data: dict[str, Any] = {
        "kind": action.kind.value,
        "id": action.webhook.id if action.webhook is not None else None,
        "topic": action.topic,
        "url": redact_url(action.url),
    }
    if action.webhook is not None and action.webhook.url != action.url:
        data["previous_url"] = redact_url(action.webhook.url)
    data.update(status=status, error=error)
    return data


def describe_action(data: dict[str, Any]) -> str:
    """`create: order.shipped https://...`, `update ID: topic old -> new`, as a line."""
    ident = f" {data['id']}" if data["id"] else ""
    where = f"{data['previous_url']} -> {data['url']}" if "previous_url" in data else data["url"]
    line = f"{data['kind']}{ident}: {data['topic']} {where}"
    if data["kind"] == "update" and "previous_url" not in data:
        line += " (secret)"
    if data["status"] == "failed":
        line = f"FAILED {line}: {data['error']}"
    return line


def result_json(result: SyncResult, *, host: str) -> dict[str, Any]:
    from .connect import explain

    if result.error is not None:
        return {
            "customer": result.customer,
            "error": explain(result.error, host),
            "planned": None,
            "actions": [],
        }
    plan = result.plan
    if result.dry_run:
        actions = [action_json(action, status="planned") for action in plan.writes]
    else:
        actions = [
            action_json(item.action, status="done")
            if item.error is None
            else action_json(item.action, status="failed", error=explain(item.error, host))
            for item in result.items
        ]
    return {
        "customer": result.customer,
        "error": None,
        "planned": {
            "create": len(plan.creates),
            "update": len(plan.updates),
            "delete": len(plan.deletes),
            "unchanged": len(plan.unchanged),
        },
        "actions": actions,
    }


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
    from .specfile import load_spec_file

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
                on_progress=None if args.json else _Progress(),
            )
        except InvalidArgumentError as exc:  # a spec was refused before any request
            text = str(exc).replace(
                "validate_topic=False",
                "--no-validate-topic (or validate_topic = false in the file)",
            )
            raise UsageError(f"{args.file}: {text}") from None
        host = host_of(client.base_url)
    report = [result_json(result, host=host) for result in results.values()]
    ok = all(
        r["error"] is None and all(a["status"] != "failed" for a in r["actions"]) for r in report
    )
    if args.json:
        print_json({"ok": ok, "dry_run": args.dry_run, "customers": report})
    else:
        for result, data in zip(results.values(), report, strict=True):
            if data["error"] is not None:
                print(f"{result.customer}: failed before any change: {data['error']}")
                continue
            print(result.summary())
            for action in data["actions"]:
                print(f"  {describe_action(action)}")
    return 0 if ok else 1
