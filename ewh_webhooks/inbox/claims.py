"""What a worker reads from a claimed delivery and what it keeps when handling fails:
pure functions, so `worker.py` is only the loop around them."""

from __future__ import annotations

from ..events import (
    DELIVERY_ID_HEADER,
    WebhookEvent,
    decode_envelope,
    get_header,
    structure_event,
)
from .protocol import ClaimedDelivery

__all__ = ["MAX_ERROR_LENGTH", "describe_failures", "event_from_claim"]

# How much of an error's text is kept with a delivery (a traceback can be huge).
MAX_ERROR_LENGTH = 2000


def event_from_claim(claimed: ClaimedDelivery) -> WebhookEvent:
    """The `WebhookEvent` of a stored delivery, with its attempt number. Its
    `delivery_id` is the sender's `X-Webhook-Id` (None when it sent none), as for an
    event handled without an inbox, not the key the inbox made up to store it."""
    delivery = claimed.delivery
    return structure_event(
        decode_envelope(delivery.body),
        delivery_id=get_header(delivery.headers, DELIVERY_ID_HEADER) or None,
        attempt=claimed.attempt,
    )


def describe_failures(failures: list[BaseException]) -> str:
    """The error kept with a failed delivery: the first failure, how many more, and
    never more than `MAX_ERROR_LENGTH` characters."""
    first = failures[0]
    text = f"{type(first).__name__}: {first}"
    if len(failures) > 1:
        text += f" (and {len(failures) - 1} more callback failures)"
    return text[:MAX_ERROR_LENGTH]
