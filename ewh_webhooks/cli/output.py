"""What the CLI prints: webhooks as a table or JSON, and error lines, never a secret.

Secrets never printed: `hash_secret` and other secret fields are dropped, and URLs
are shown through `ewh_webhooks.redaction` (`https://user:***@host/`) in tables,
JSON and error messages alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..redaction import SECRET_KEYS, redact_json, redact_text, redact_url

if TYPE_CHECKING:
    from ..models import Webhook

__all__ = ["cli_message", "print_json", "print_webhooks", "summary_line", "webhook_json"]

# The SDK's messages name Python parameters; the CLI's name the flags that set them.
_FLAGS = (
    ("validate_topic=False", "--no-validate-topic"),
    ("allow_credentials=True", "--allow-credentials"),
    ("base_url", "--base-url"),
    ("wms_code", "--wms-code"),
    ("customer_code", "--customer"),
)


def cli_message(exc: BaseException) -> str:
    """An exception as one line for the terminal: flags for parameters, no password."""
    text = str(exc)
    for parameter, flag in _FLAGS:
        text = text.replace(parameter, flag)
    # One line, whatever the message: its lines are joined.
    return "; ".join(line.strip() for line in redact_text(text).splitlines() if line.strip())


def webhook_json(hook: Webhook) -> dict[str, Any]:
    """The webhook's fields, then any other field the server sent; no secret."""
    data: dict[str, Any] = {
        "id": hook.id,
        "url": redact_url(hook.url),
        "group": hook.group,
        "action": hook.action,
        "topic": hook.topic,
        "customer": hook.customer,
        "created_at": hook.created_at.isoformat() if hook.created_at else None,
        "modified_at": hook.modified_at.isoformat() if hook.modified_at else None,
    }
    for key, value in hook.raw.items():
        if key not in data and key.lower() not in SECRET_KEYS:
            data[key] = redact_json(value)
    return data


def print_json(value: Any) -> None:
    import json  # only when asked for: --help stays fast

    print(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def print_webhooks(hooks: Iterable[Webhook]) -> None:
    """A table: ID, TOPIC, URL (redacted)."""
    rows = [("ID", "TOPIC", "URL")] + [(h.id, h.topic, redact_url(h.url)) for h in hooks]
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    for row in rows:
        print(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]}")


def summary_line(hook: Webhook) -> str:
    """`<id> order.shipped https://...`: one webhook, short."""
    return f"{hook.id} {hook.topic} {redact_url(hook.url)}"
