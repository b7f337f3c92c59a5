"""Webhook topics: the one place that derives a topic, splits one, and checks what
callers send against the 22 topics the API documents.

Group and action stay plain strings everywhere (a topic added by the vendor never
breaks parsing); the checks are opt-out guards for what callers send. A webhook is
identified by group + action + url, never by the server's own `topic` string, whose
format the documentation does not state.
"""

from __future__ import annotations

import re

from .errors import InvalidArgumentError
from .validation import check_non_empty_str

__all__ = [
    "KNOWN_ACTIONS",
    "KNOWN_GROUPS",
    "KNOWN_TOPICS",
    "check_partial_topic",
    "check_topic",
    "parse_topic",
    "topic_of",
]

KNOWN_TOPICS: frozenset[str] = frozenset(
    {
        "article.created",
        "article.updated",
        "article.deleted",
        "batch.updated",
        "inbound.created",
        "inbound.updated",
        "inbound.completed",
        "modification.created",
        "modification.updated",
        "modification.approved",
        "modification.disapproved",
        "order.created",
        "order.updated",
        "order.planned",
        "order.processing",
        "order.shipped",
        "shipment.created",
        "shipment.updated",
        "stock.updated",
        "variant.created",
        "variant.updated",
        "variant.deleted",
    }
)
KNOWN_GROUPS: frozenset[str] = frozenset(t.partition(".")[0] for t in KNOWN_TOPICS)
KNOWN_ACTIONS: frozenset[str] = frozenset(t.partition(".")[2] for t in KNOWN_TOPICS)

_HINT = "pass validate_topic=False if the API has added it"
# A server's topic string: group and action joined by one separator. Which separator
# the real API uses is not documented, so the usual ones are all understood.
_TOPIC = re.compile(r"([A-Za-z][A-Za-z0-9-]*)[./:_ ]([A-Za-z][A-Za-z0-9_-]*)")


def topic_of(group: str, action: str) -> str:
    """The topic of a group and an action, as this SDK shows it: `order.shipped`."""
    return f"{group}.{action}"


def parse_topic(topic: object) -> tuple[str, str] | None:
    """`"order.shipped"` (or `order/shipped`, `order_shipped`...) -> `("order", "shipped")`;
    None when the string is not one group and one action."""
    if not isinstance(topic, str):
        return None
    match = _TOPIC.fullmatch(topic.strip())
    return (match.group(1), match.group(2)) if match else None


def check_topic(group: object, action: object) -> None:
    """Raise `InvalidArgumentError` unless `group.action` is a documented topic."""
    if isinstance(group, str) and isinstance(action, str) and f"{group}.{action}" in KNOWN_TOPICS:
        return  # exact: a known topic has one dot, so neither half can carry another
    group = check_non_empty_str(group, "group")
    action = check_non_empty_str(action, "action")
    if group not in KNOWN_GROUPS:
        hint = f"known groups: {', '.join(sorted(KNOWN_GROUPS))}"
    else:
        actions = sorted(t.partition(".")[2] for t in KNOWN_TOPICS if t.startswith(group + "."))
        hint = f"known actions for {group!r}: {', '.join(actions)}"
    raise InvalidArgumentError(
        f"unknown webhook topic {topic_of(group, action)!r} ({hint}); {_HINT}"
    )


def check_partial_topic(group: str | None, action: str | None) -> None:
    """For a PATCH that may change only one half of the topic: check what is given."""
    if group is not None and action is not None:
        check_topic(group, action)
    elif group is not None and group not in KNOWN_GROUPS:
        raise InvalidArgumentError(
            f"unknown webhook group {group!r} "
            f"(known groups: {', '.join(sorted(KNOWN_GROUPS))}); {_HINT}"
        )
    elif action is not None and action not in KNOWN_ACTIONS:
        raise InvalidArgumentError(f"unknown webhook action {action!r}; {_HINT}")
