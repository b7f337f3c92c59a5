"""What the emulator knows of the vendor's API, written down independently of the SDK.

The emulator never imports the SDK's own tables or checks (`topics.KNOWN_TOPICS`,
`validation.check_webhook_url`): a bug in those would otherwise be a bug in both
sides of every test, and no test could see it. Sources: the vendor's webhooks page
(url "Must be a https secured endpoint"), its list of event topics (groups and
actions) and its notes on deliveries (signature header, retries).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

__all__ = [
    "ENTITY_BY_GROUP",
    "TOPICS",
    "TOPIC_STYLES",
    "format_topic",
    "is_known_topic",
    "url_problem",
]

# group -> its actions: the 22 topics of the vendor's "available webhook topics".
TOPICS: dict[str, tuple[str, ...]] = {
    "article": ("created", "updated", "deleted"),
    "batch": ("updated",),
    "inbound": ("created", "updated", "completed"),
    "modification": ("created", "updated", "approved", "disapproved"),
    "order": ("created", "updated", "planned", "processing", "shipped"),
    "shipment": ("created", "updated"),
    "stock": ("updated",),
    "variant": ("created", "updated", "deleted"),
}

# group -> the `entity` a delivered event carries. Stock events carry "variant" (the
# vendor's own stock example); every other group carrying its own name is a guess.
ENTITY_BY_GROUP: dict[str, str] = {
    "article": "article",
    "batch": "batch",
    "inbound": "inbound",
    "modification": "modification",
    "order": "order",
    "shipment": "shipment",
    "stock": "variant",
    "variant": "variant",
}

# How a server may spell the read-only `topic` field. The document's field table
# lists `topic` but none of its examples carries one, so its format is unknown:
# "none" (no key at all, as the examples show) is the emulator's default.
TOPIC_STYLES: dict[str, str | None] = {
    "none": None,
    "dot": ".",
    "slash": "/",
    "underscore": "_",
}


def is_known_topic(group: str, action: str) -> bool:
    return action in TOPICS.get(group, ())


def format_topic(group: str, action: str, style: str) -> str | None:
    """The `topic` value a server of this style shows, or None for no key."""
    separator = TOPIC_STYLES[style]
    return None if separator is None else f"{group}{separator}{action}"


def url_problem(url: object) -> str | None:
    """Why the API would refuse `url` as a webhook destination, or None if it takes it.

    https with a host only; plain http to a loopback host is the emulator's one
    allowance (so local receivers work), not the vendor's.
    """
    if not isinstance(url, str) or not url:
        return "This value should not be blank."
    invalid = "This value is not a valid https URL."
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        return invalid
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port  # raises for a port that is not a number in 0..65535
    except ValueError:
        return invalid
    if not host:
        return invalid
    if parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(host)):
        return None
    return invalid


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
