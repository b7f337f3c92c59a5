"""Delivered events: the typed `WebhookEvent` and `parse_event`, which verifies first."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override

from .cattrs_converter import converter
from .errors import InvalidArgumentError, InvalidEventError
from .signature import SIGNATURE_HEADER, verify_signature
from .topics import topic_of

__all__ = [
    "DELIVERY_ID_HEADER",
    "HeadersLike",
    "WebhookEvent",
    "clean_delivery_id",
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
    `delivery_id` is the `X-Webhook-Id` header (see `clean_delivery_id`; None when
    absent or blank): delivery is at least once, so deduplicate on it. `attempt`
    counts how often this event has been handed to the handlers (1 the first time;
    more when `InboxWorker` retries it after a failure or after a worker died
    mid-run): handlers should be idempotent.
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
    delivery_id = clean_delivery_id(delivery_id)
    return attrs.evolve(event, delivery_id=delivery_id, raw=envelope, attempt=attempt)


def clean_delivery_id(value: str | None) -> str | None:
    """The `X-Webhook-Id` to deduplicate on, the same whatever stores it: surrounding
    whitespace removed, blank meaning none (deduplicating on "" would drop a different
    event), and always encodable as UTF-8 (aiohttp decodes undecodable header bytes into
    lone surrogates, which SQLite and Redis cannot store: those bytes become `\\xNN`)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidArgumentError(
            f"the {DELIVERY_ID_HEADER} header must be a str, got {type(value).__name__}"
        )
    value = value.strip()
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        try:  # the bytes as received, where aiohttp escaped them
            raw = value.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:  # another lone surrogate, from a str built elsewhere
            raw = value.encode("utf-8", "backslashreplace")
        value = raw.decode("utf-8", "backslashreplace")
    return value or None


def decode_envelope(body: bytes | bytearray | memoryview) -> Any:
    """The JSON of a delivery's body, or `InvalidEventError` (never another exception,
    whatever the bytes: invalid UTF-8, huge integers, nesting deep enough to exhaust
    the parser's recursion)."""
    if isinstance(body, memoryview):
        body = body.tobytes()
    elif not isinstance(body, bytes | bytearray):
        raise InvalidArgumentError("body must be the raw bytes of the request")
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidEventError(
            "webhook event is correctly signed but its body is not JSON"
        ) from exc
    except RecursionError:
        raise InvalidEventError("webhook event body is nested too deeply") from None


class HeadersLike(Protocol):
    """What `parse_event` reads headers from: any mapping of names to values, or an
    object with `get` and `items` (Werkzeug's `Headers`, which is not a Mapping)."""

    def get(self, name: str, /) -> Any: ...

    def items(self) -> Iterable[tuple[Any, Any]]: ...


def get_header(headers: HeadersLike | Iterable[tuple[str, str]], name: str) -> str | None:
    """Case-insensitive lookup in any mapping (a plain dict, CIMultiDict, Starlette's,
    Werkzeug's) or in a list of (name, value) pairs; `InvalidArgumentError` for anything
    else."""
    lowered = name.lower()
    if callable(getattr(headers, "get", None)) and callable(getattr(headers, "items", None)):
        value = headers.get(name)  # type: ignore[union-attr]
        if value is not None:
            return value  # type: ignore[no-any-return]
        pairs: Iterable[Any] = headers.items()  # type: ignore[union-attr]
    elif isinstance(headers, list | tuple):
        pairs = headers
    else:
        raise InvalidArgumentError(
            f"headers must be a mapping or a list of (name, value) pairs, "
            f"not {type(headers).__name__}"
        )
    for pair in pairs:
        if not (isinstance(pair, tuple | list) and len(pair) == 2):
            raise InvalidArgumentError("headers must be (name, value) pairs")
        key, candidate = pair
        if isinstance(key, str) and key.lower() == lowered:
            return candidate  # type: ignore[no-any-return]
    return None


def parse_event(
    body: bytes | bytearray | memoryview,
    headers: HeadersLike | Iterable[tuple[str, str]],
    secret: str | bytes | Sequence[str | bytes],
) -> WebhookEvent:
    """Verify `X-Hmac-Sha256` over the raw `body`, then return the typed event.

    `headers` is the request's headers (any mapping, case-insensitive) or a list of
    (name, value) pairs. Raises `InvalidSignatureError` or `InvalidEventError` for a bad
    delivery, `InvalidArgumentError` for arguments of the wrong type.

    >>> event = parse_event(await request.read(), request.headers, secret)
    >>> event.topic, event.entity_id, event.delivery_id
    """
    verify_signature(body, get_header(headers, SIGNATURE_HEADER), secret)
    envelope = decode_envelope(body)
    return structure_event(envelope, delivery_id=get_header(headers, DELIVERY_ID_HEADER))
