r"""What the CLI prints: webhooks as a table or JSON, and error lines, never a secret.

Secrets never printed: `hash_secret` and other secret fields are dropped, and URLs
are shown through `ewh_webhooks.redaction` (`https://user:***@host/`) in tables,
JSON and error messages alike.

Text from a server never reaches the terminal raw: every line goes out through
`say`, which escapes what is not printable (`\x1b`, `\r`, lone surrogates, bidi
overrides) the way `repr` does, so that a webhook URL cannot move the cursor, retitle
the window or forge a line. JSON is printed ASCII-only (`\u001b`), still valid JSON.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TextIO

from ..redaction import SECRET_KEYS, redact_json, redact_text, redact_url

if TYPE_CHECKING:
    from ..models import Webhook

__all__ = [
    "cli_message",
    "print_json",
    "print_webhooks",
    "printable",
    "say",
    "summary_line",
    "webhook_json",
]

# The SDK's messages name Python parameters; the CLI's name the flags that set them.
_FLAGS = (
    ("validate_topic=False", "--no-validate-topic"),
    ("allow_credentials=True", "--allow-credentials"),
    ("base_url", "--base-url"),
    ("wms_code", "--wms-code"),
    ("customer_code", "--customer"),
)


def printable(text: str) -> str:
    r"""`text` with each character that is not printable escaped as `repr` would
    (`\x1b`, `\n`, `\u202e`, `\ud800`); printable text comes back as is."""
    if text.isprintable():
        return text
    # repr of one character that is not printable: its escape between the quotes.
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def say(*lines: str, file: TextIO | None = None) -> None:
    """Print each line with what is not printable escaped; a character the stream's
    encoding lacks (an ASCII-only terminal) is written as a backslash escape too."""
    stream = sys.stdout if file is None else file
    text = "".join(printable(line) + "\n" for line in lines)
    try:
        stream.write(text)
    except UnicodeEncodeError:  # nothing was written: the text is encoded first
        encoding = getattr(stream, "encoding", None) or "ascii"
        stream.write(text.encode(encoding, "backslashreplace").decode(encoding))


def cli_message(exc: BaseException) -> str:
    """An exception as one line for the terminal: flags for parameters, no password,
    nothing that is not printable."""
    text = str(exc)
    for parameter, flag in _FLAGS:
        text = text.replace(parameter, flag)
    # One line, whatever the message: its lines are joined.
    lines = (line.strip() for line in redact_text(text).splitlines())
    return printable("; ".join(line for line in lines if line))


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

    # ASCII only: control characters, lone surrogates and bidi overrides from a
    # server come out as `\uXXXX` escapes, and any terminal can show the rest.
    say(*json.dumps(value, indent=2, ensure_ascii=True, default=str).splitlines())


def print_webhooks(hooks: Iterable[Webhook]) -> None:
    """A table: ID, TOPIC, URL (redacted)."""
    rows = [("ID", "TOPIC", "URL")] + [
        (printable(h.id), printable(h.topic), printable(redact_url(h.url))) for h in hooks
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    say(*(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]}" for row in rows))


def summary_line(hook: Webhook) -> str:
    """`<id> order.shipped https://...`: one webhook, short, printable."""
    return printable(f"{hook.id} {hook.topic} {redact_url(hook.url)}")
