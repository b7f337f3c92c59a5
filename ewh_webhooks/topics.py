"""The webhook topics the API documents, and the client-side check against them.

Group and action stay plain strings everywhere (a topic added by the vendor never
breaks parsing); `check_topic` is an opt-out guard for what callers send.
"""

from __future__ import annotations

from .errors import InvalidArgumentError

__all__ = ["KNOWN_TOPICS", "check_topic", "topic_of"]

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


def topic_of(group: str, action: str) -> str:
    return f"{group}.{action}"


def check_topic(group: str, action: str) -> None:
    """Raise `InvalidArgumentError` unless `group.action` is a documented topic.

    Pass `validate_topic=False` to the calling method for a topic added after this
    release.
    """
    if isinstance(group, str) and isinstance(action, str) and f"{group}.{action}" in KNOWN_TOPICS:
        return  # exact: a known topic has one dot, so neither half can carry another
    for name, value in (("group", group), ("action", action)):
        if not isinstance(value, str) or not value.strip():
            raise InvalidArgumentError(f"{name} must be a non-empty string, got {value!r}")
    topic = topic_of(group, action)
    if topic not in KNOWN_TOPICS:
        groups = sorted({t.split(".")[0] for t in KNOWN_TOPICS})
        if group not in groups:
            hint = f"known groups: {', '.join(groups)}"
        else:
            actions = sorted(t.split(".")[1] for t in KNOWN_TOPICS if t.startswith(group + "."))
            hint = f"known actions for {group!r}: {', '.join(actions)}"
        raise InvalidArgumentError(
            f"unknown webhook topic {topic!r} ({hint}); "
            "pass validate_topic=False if the API has added it"
        )
