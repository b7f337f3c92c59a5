"""How `RedisInbox` lays a delivery out in Redis, as pure functions: the key names,
the fields of a stream entry, the lease token, and how long one blocking read may
wait. No I/O here; `inbox.py` does the talking.

Keys, for `name="ewh"`:
- `ewh:stream`: the stream of deliveries to handle; the consumer group `workers`
  on it leases entries (its pending-entries list is the set of leases);
- `ewh:delayed` + `ewh:due`: deliveries waiting to be retried (a stream holding
  the entries, a sorted set scoring each one with its due time in Redis time);
- `ewh:dead`: the dead letters, a stream;
- `ewh:handled`: a sorted set of handled delivery ids scored with their finish time;
- `ewh:seen:<delivery id>`: the dedup keys, each expiring after `dedup_ttl`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from ..errors import InvalidArgumentError
from ..inbox.protocol import ClaimedDelivery, DeadLetter, Delivery
from .connection import RedisStoreError

__all__ = [
    "CLAIMED_FIELDS",
    "GROUP",
    "InboxKeys",
    "LeaseToken",
    "block_seconds",
    "check_name",
    "claimed_token",
    "claimed_fields",
    "dead_letter_from_fields",
    "delivery_fields",
    "delivery_from_fields",
    "encode_error",
    "encode_text",
    "field_map",
    "to_ms",
]

GROUP = "workers"
# The fields of a delivery's entry, in the order the claim script returns them.
CLAIMED_FIELDS = (b"id", b"body", b"headers", b"received", b"attempts")


@attrs.frozen(slots=True)
class InboxKeys:
    stream: str
    delayed: str
    due: str
    dead: str
    handled: str
    seen_prefix: str

    @classmethod
    def for_name(cls, name: str) -> InboxKeys:
        return cls(
            stream=f"{name}:stream",
            delayed=f"{name}:delayed",
            due=f"{name}:due",
            dead=f"{name}:dead",
            handled=f"{name}:handled",
            seen_prefix=f"{name}:seen:",
        )

    def seen(self, delivery_id: str) -> bytes:
        return self.seen_prefix.encode() + encode_text(delivery_id)


def encode_text(text: str) -> bytes:
    """UTF-8, keeping lone surrogates (aiohttp decodes undecodable header bytes into
    them) so that any str a delivery holds is stored and read back unchanged."""
    return text.encode("utf-8", "surrogatepass")


def encode_error(error: object) -> bytes:
    """An error message for Redis: any str, lone surrogates escaped."""
    return str(error).encode("utf-8", "backslashreplace")


def to_ms(seconds: float) -> int:
    """Seconds to whole milliseconds, rounded up so that a short positive time never
    becomes 0 (an idle time of 0 would mean "any lease has run out")."""
    return max(0, math.ceil(seconds * 1000))


def delivery_fields(delivery: Delivery) -> list[bytes]:
    """The fields of a new stream entry, flat for XADD: the raw body, the headers
    needed to parse it again, the received time, and no attempts made yet."""
    # ASCII JSON: a lone surrogate in a header becomes an escape that json.loads undoes.
    headers = json.dumps(dict(delivery.headers), separators=(",", ":"))
    return [
        b"id", encode_text(delivery.delivery_id),
        b"body", bytes(delivery.body),
        b"headers", headers.encode(),
        b"received", repr(float(delivery.received_at)).encode(),
        b"attempts", b"0",
    ]  # fmt: skip


def claimed_fields(values: Sequence[bytes | None]) -> dict[bytes, bytes]:
    """An entry's fields from the claim script's row (CLAIMED_FIELDS order, None for
    a field the entry lacks)."""
    return {k: v for k, v in zip(CLAIMED_FIELDS, values, strict=True) if v is not None}


def field_map(fields: Any) -> dict[bytes, bytes]:
    """An entry's fields as a dict, from a flat list (a Lua reply: k, v, k, v) or a
    mapping (redis-py's parsed XREADGROUP reply)."""
    if isinstance(fields, Mapping):
        pairs = list(fields.items())
    elif isinstance(fields, Sequence) and not isinstance(fields, str | bytes):
        if len(fields) % 2:
            raise RedisStoreError("a stream entry has an odd number of field items")
        pairs = list(zip(fields[::2], fields[1::2], strict=True))
    else:
        raise RedisStoreError(f"a stream entry's fields are a {type(fields).__name__}")
    if not all(isinstance(k, bytes) and isinstance(v, bytes) for k, v in pairs):
        raise RedisStoreError("a stream entry's fields are not bytes (decode_responses?)")
    return dict(pairs)


def _text(fields: Mapping[bytes, bytes], name: bytes) -> str:
    try:
        return fields[name].decode("utf-8", "surrogatepass")
    except KeyError:
        raise RedisStoreError(
            f"a stream entry has no {name.decode()!r} field: not written by RedisInbox"
        ) from None
    except UnicodeDecodeError:
        raise RedisStoreError(f"a stream entry's {name.decode()!r} is not UTF-8") from None


def _number(fields: Mapping[bytes, bytes], name: bytes) -> float:
    text = _text(fields, name)
    try:
        value = float(text)
    except ValueError:
        raise RedisStoreError(f"a stream entry's {name.decode()!r} is not a number") from None
    if not math.isfinite(value):
        raise RedisStoreError(f"a stream entry's {name.decode()!r} is not finite")
    return value


def delivery_from_fields(fields: Mapping[bytes, bytes]) -> tuple[Delivery, int]:
    """The delivery an entry holds, and the attempts made before this entry was added
    (carried along by a retry; 0 for a new or replayed delivery)."""
    if b"body" not in fields:
        raise RedisStoreError("a stream entry has no 'body' field: not written by RedisInbox")
    try:
        headers = json.loads(_text(fields, b"headers"))
    except json.JSONDecodeError:
        headers = None
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise RedisStoreError("a stream entry's 'headers' is not a JSON object of strings")
    delivery = Delivery(
        delivery_id=_text(fields, b"id"),
        body=fields[b"body"],
        headers=headers,
        received_at=_number(fields, b"received"),
    )
    attempts = _number(fields, b"attempts")
    if attempts < 0 or attempts != int(attempts):
        raise RedisStoreError("a stream entry's 'attempts' is not a count")
    return delivery, int(attempts)


def dead_letter_from_fields(fields: Mapping[bytes, bytes]) -> DeadLetter:
    delivery, attempts = delivery_from_fields(fields)
    return DeadLetter(
        delivery=delivery,
        attempts=attempts,
        error=fields.get(b"error", b"").decode(errors="replace"),
        failed_at=_number(fields, b"failed") / 1000,
    )


@attrs.frozen(slots=True)
class LeaseToken:
    """One claim of one stream entry. `deliveries` is the entry's delivery count in the
    group when it was claimed: a later claim by anyone raises it, so a token whose
    count no longer matches has lost its lease (a fencing token)."""

    entry_id: str
    deliveries: int
    consumer: str

    def __str__(self) -> str:
        return f"{self.entry_id}/{self.deliveries}/{self.consumer}"

    @classmethod
    def parse(cls, token: str) -> LeaseToken:
        entry_id, sep, rest = token.partition("/")
        count, sep2, consumer = rest.partition("/")
        if not (sep and sep2 and count.isdigit() and _is_entry_id(entry_id) and consumer):
            raise InvalidArgumentError("not a lease token of RedisInbox (claimed elsewhere?)")
        return cls(entry_id, int(count), consumer)


def _is_entry_id(text: str) -> bool:
    ms, sep, seq = text.partition("-")
    return bool(sep) and ms.isdigit() and seq.isdigit()


def block_seconds(remaining: float, due_in: float | None, lease: float) -> float:
    """How long one blocking read for new entries may wait: no longer than the caller
    allows, nor past the next delayed retry's due time, nor so long that a lease run
    out goes unnoticed (a quarter of the lease, at most a second: the claim script
    runs between reads and is what moves due retries and takes over expired leases)."""
    poll = min(1.0, lease / 4)
    wait = min(remaining, poll)
    if due_in is not None:
        wait = min(wait, due_in)
    # XREADGROUP's BLOCK 0 means "forever": never ask for less than 1 ms.
    return max(wait, 0.001)


def claimed_token(claimed: ClaimedDelivery) -> LeaseToken:
    if not isinstance(claimed, ClaimedDelivery):
        raise InvalidArgumentError(f"expected a ClaimedDelivery, not {type(claimed).__name__}")
    return LeaseToken.parse(claimed.token)


def check_name(what: str, name: object) -> None:
    # Redis takes any bytes, but a name that cannot be UTF-8 or has blanks at its ends
    # is a mistake; say so before any request.
    if isinstance(name, str) and name and name == name.strip():
        try:
            name.encode()
            return
        except UnicodeEncodeError:
            pass
    raise InvalidArgumentError(f"{what} must be a non-empty UTF-8 name, not {name!r}")
