"""The sync command's report: JSON per customer, and the text lines made from it.

`--json` prints one object:

    {"ok": true, "dry_run": false, "customers": [
      {"customer": "C1", "error": null,
       "planned": {"create": 1, "update": 0, "delete": 0, "unchanged": 2},
       "actions": [{"kind": "create", "id": null, "topic": "order.shipped",
                    "url": "https://...", "status": "done", "error": null}]}]}

`status` is "planned" (dry run), "done" or "failed"; an update that moves a webhook
also has `previous_url`. URLs are shown redacted; a customer whose listing failed
has `error`, `planned: null` and no actions.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..redaction import redact_url
from ..sync import SyncAction, SyncResult
from .connect import explain

__all__ = ["action_json", "describe_action", "report_lines", "result_json"]


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


def report_lines(report: Iterable[dict[str, Any]], summaries: Iterable[str]) -> list[str]:
    """Per customer: its summary and one line per action, or only its error."""
    lines = []
    for data, summary in zip(report, summaries, strict=True):
        if data["error"] is not None:
            lines.append(f"{data['customer']}: failed before any change: {data['error']}")
            continue
        lines.append(summary)
        lines.extend(f"  {describe_action(action)}" for action in data["actions"])
    return lines
