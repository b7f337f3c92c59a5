"""Delivered events: the typed `WebhookEvent` and `parse_event`, which verifies first."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override

from .cattrs_converter import converter
from .errors import InvalidEventError
from .signature import SIGNATURE_HEADER, verify_signature
from .topics import topic_of

__all__ = [
    "DELIVERY_ID_HEADER",
    "WebhookEvent",
    "decode_envelope",
    "get_header",
    "parse_event",
    "structure_event",
]

DELIVERY_ID_HEADER = "X-Webhook-Id"


def _topic_default(self: Any) -> str:
    return topic_of(self.group, self.action)


@attrs.frozen(slots=True, kw_only=True)
class WebhookEvent:
    """One delivered event. `body` is the entity as sent; `raw` the whole envelope.

    `entity` may differ from `group` (stock events carry entity "variant").
    `delivery_id` is the `X-Webhook-Id` header: delivery is at least once, so
    deduplicate on it. `attempt` counts how often this event has been handed to the
    handlers (1 the first time; more when `InboxWorker` retries it after a failure or
    after a worker died mid-run): handlers should be idempotent.
    """

    group: str
    action: str
    topic: str = attrs.field(default=attrs.Factory(_topic_default, takes_self=True))
    entity: str | None = None
    entity_id: str | None = None
    customer: str | None = None
    body: Mapping[str, Any] = attrs.field(factory=dict, repr=False)
    delivery_id: str | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)
    attempt: int = 1


def _id_str(value: Any, _: type) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"expected a string id, got {type(value).__name__}")


def _mapping(value: Any, _: type) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"expected a JSON object, got {type(value).__name__}")
    return value


_event_fields = make_dict_structure_fn(
    WebhookEvent,
    converter,
    entity_id=override(rename="entityId", struct_hook=_id_str),
    body=override(struct_hook=_mapping),
    delivery_id=override(omit=True),
    raw=override(omit=True),
    topic=override(omit=True),
    attempt=override(omit=True),
)


def structure_event(
    envelope: Any, *, delivery_id: str | None = None, attempt: int = 1
) -> WebhookEvent:
    """Structure a parsed envelope (no verification: use `parse_event` for requests)."""
    if not isinstance(envelope, Mapping):
        raise InvalidEventError("webhook event body is not a JSON object", body=envelope)
    try:
        event = _event_fields(envelope, WebhookEvent)
    except cattrs.BaseValidationError as exc:
        details = "; ".join(cattrs.transform_error(exc, path="event"))
        raise InvalidEventError(f"webhook event does not fit: {details}", body=envelope) from exc
    # An empty X-Webhook-Id is no id: deduplicating on "" would drop a different event.
    delivery_id = delivery_id or None
    return attrs.evolve(event, delivery_id=delivery_id, raw=envelope, attempt=attempt)


def decode_envelope(body: bytes) -> Any:
    """The JSON of a delivery's body, or `InvalidEventError` (never another exception,
    whatever the bytes: invalid UTF-8, huge integers, nesting deep enough to exhaust
    the parser's recursion)."""
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidEventError(
            "webhook event is correctly signed but its body is not JSON"
        ) from exc
    except RecursionError:
        raise InvalidEventError("webhook event body is nested too deeply") from None


def get_header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive lookup in any mapping (a plain dict, CIMultiDict, Starlette's)."""
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, candidate in headers.items():
        if key.lower() == lowered:
            return candidate
    return None


def parse_event(
    body: bytes, headers: Mapping[str, str], secret: str | bytes | Sequence[str | bytes]
) -> WebhookEvent:
    """Verify `X-Hmac-Sha256` over the raw `body`, then return the typed event.

    >>> event = parse_event(await request.read(), request.headers, secret)
    >>> event.topic, event.entity_id, event.delivery_id
    """
    verify_signature(body, get_header(headers, SIGNATURE_HEADER), secret)
    envelope = decode_envelope(body)
    return structure_event(envelope, delivery_id=get_header(headers, DELIVERY_ID_HEADER))
