"""What the CLI prints: webhooks as a table or JSON, and error lines, never a secret.

Secrets never printed: `hash_secret` and other secret fields are dropped, and the
password in a URL's user info is replaced (`https://user:***@host/`) in tables,
JSON and error messages alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..models import Webhook

__all__ = [
    "cli_message",
    "print_json",
    "print_webhooks",
    "redact_text",
    "redact_url",
    "summary_line",
    "webhook_json",
]

# Fields of a webhook object (or any body) never printed.
SECRET_FIELDS = frozenset({"hash_secret", "secret", "password", "token", "refresh_token"})

# scheme://userinfo@ : the user info ends at the last "@" before the path.
_AUTHORITY = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)([^/?#]*)")
# Inside free text: scheme://user:password@ with no space, slash or quote in it.
_URL_PASSWORD = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^\s/?#@:'\"]*):[^\s/?#'\"]*@")


def redact_url(url: str) -> str:
    """`https://user:pass@host/p` -> `https://user:***@host/p`; a user without a
    password may be a token: `https://tok@host/` -> `https://***@host/`."""
    match = _AUTHORITY.match(url)
    if match is None or "@" not in match.group(2):
        return url
    userinfo, _, hostport = match.group(2).rpartition("@")
    user, colon, _ = userinfo.partition(":")
    shown = f"{user}:***" if colon else "***"
    return f"{match.group(1)}{shown}@{hostport}{url[match.end() :]}"


def redact_text(text: str) -> str:
    """Redact the password of every URL quoted in a message."""
    return _URL_PASSWORD.sub(r"\1:***@", text)


# The SDK's messages name Python parameters; the CLI's name the flags that set them.
_FLAGS = (
    ("validate_topic=False", "--no-validate-topic"),
    ("base_url", "--base-url"),
    ("wms_code", "--wms-code"),
    ("customer_code", "--customer"),
)


def cli_message(exc: BaseException) -> str:
    """An exception as one line for the terminal: flags for parameters, no password."""
    text = str(exc)
    for parameter, flag in _FLAGS:
        text = text.replace(parameter, flag)
    # One line: a multi-line message (a sync failure listing) is indented after the first.
    return redact_text(text).replace("\n", "\n  ").strip()


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
        if key not in data and key not in SECRET_FIELDS:
            data[key] = value
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
