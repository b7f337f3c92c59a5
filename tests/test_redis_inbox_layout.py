"""RedisInbox's layout decisions, pure: entry fields, lease tokens, blocking reads."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ewh_webhooks.errors import InvalidArgumentError
from ewh_webhooks.inbox import Delivery
from ewh_webhooks.redis.connection import RedisStoreError
from ewh_webhooks.redis.inbox_layout import (
    InboxKeys,
    LeaseToken,
    block_seconds,
    dead_letter_from_fields,
    delivery_fields,
    delivery_from_fields,
    field_map,
    to_ms,
)

deliveries = st.builds(
    Delivery,
    delivery_id=st.text(min_size=1),
    body=st.binary(),
    headers=st.dictionaries(st.text(), st.text(), max_size=4),
    received_at=st.floats(min_value=0, max_value=4e9, allow_nan=False),
)


@given(deliveries)
def test_a_delivery_comes_back_from_its_fields_exactly(delivery: Delivery) -> None:
    fields = delivery_fields(delivery)
    assert all(isinstance(f, bytes) for f in fields)  # what Redis stores and gives back
    assert delivery_from_fields(field_map(fields)) == (delivery, 0)


@given(
    entry_id=st.tuples(st.integers(0, 2**63), st.integers(0, 2**63)).map(
        lambda t: f"{t[0]}-{t[1]}"
    ),
    deliveries=st.integers(0, 2**31),
    consumer=st.text(min_size=1),
)
def test_a_lease_token_round_trips(entry_id: str, deliveries: int, consumer: str) -> None:
    token = LeaseToken(entry_id, deliveries, consumer)
    assert LeaseToken.parse(str(token)) == token


@pytest.mark.parametrize(
    "token",
    ["", "1-0", "1-0/1", "1-0/1/", "x-0/1/w", "1/1/w", "1-0/-1/w", "1-0/one/w", "1-0;/1/w"],
)
def test_a_token_that_is_not_ours_is_refused(token: str) -> None:
    with pytest.raises(InvalidArgumentError, match="not a lease token"):
        LeaseToken.parse(token)


@pytest.mark.parametrize(
    ("remaining", "due_in", "lease", "expected"),
    [
        (10.0, None, 30.0, 1.0),  # at most a second between two claim scripts
        (0.3, None, 30.0, 0.3),  # never past what the caller allows
        (10.0, 0.2, 30.0, 0.2),  # wake for the next retry's due time
        (10.0, None, 0.2, 0.05),  # a short lease is checked four times per lease
        (10.0, 0.0, 30.0, 0.001),  # BLOCK 0 would wait forever: 1 ms at least
        (0.0, None, 30.0, 0.001),
    ],
)
def test_how_long_one_blocking_read_waits(
    remaining: float, due_in: float | None, lease: float, expected: float
) -> None:
    assert block_seconds(remaining, due_in, lease) == pytest.approx(expected)


@given(
    remaining=st.floats(-1, 1e6),
    due_in=st.none() | st.floats(0, 1e6),
    lease=st.floats(0.001, 1e6),
)
def test_a_blocking_read_never_waits_forever_nor_past_a_second_or_the_caller(
    remaining: float, due_in: float | None, lease: float
) -> None:
    wait = block_seconds(remaining, due_in, lease)
    assert 0.001 <= wait <= max(0.001, min(1.0, remaining, lease / 4))


@pytest.mark.parametrize(
    ("seconds", "ms"), [(0, 0), (0.0001, 1), (0.2, 200), (30, 30000), (1.0005, 1001)]
)
def test_seconds_become_milliseconds_rounded_up(seconds: float, ms: int) -> None:
    assert to_ms(seconds) == ms


def test_fields_come_as_a_flat_list_or_a_mapping() -> None:
    assert field_map([b"a", b"1", b"b", b"2"]) == {b"a": b"1", b"b": b"2"}
    assert field_map({b"a": b"1"}) == {b"a": b"1"}
    with pytest.raises(RedisStoreError, match="odd"):
        field_map([b"a"])
    with pytest.raises(RedisStoreError, match="decode_responses"):
        field_map({"a": "1"})
    with pytest.raises(RedisStoreError, match="NoneType"):
        field_map(None)


GOOD = {b"id": b"a", b"body": b"{}", b"headers": b"{}", b"received": b"1.5", b"attempts": b"2"}


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({b"id": None}, "no 'id' field"),
        ({b"body": None}, "no 'body' field"),
        ({b"id": b"\xff"}, "'id' is not UTF-8"),
        ({b"headers": b"[]"}, "'headers' is not a JSON object"),
        ({b"headers": b'{"a": 1}'}, "'headers' is not a JSON object"),
        ({b"headers": b"{"}, "'headers' is not a JSON object"),
        ({b"received": b"soon"}, "'received' is not a number"),
        ({b"received": b"inf"}, "'received' is not finite"),
        ({b"attempts": b"-1"}, "'attempts' is not a count"),
        ({b"attempts": b"1.5"}, "'attempts' is not a count"),
    ],
)
def test_an_entry_not_written_by_the_inbox_gets_a_clear_error(
    change: dict[bytes, bytes | None], match: str
) -> None:
    fields = {**GOOD, **change}
    with pytest.raises(RedisStoreError, match=match):
        delivery_from_fields({k: v for k, v in fields.items() if v is not None})


def test_a_dead_letter_reads_its_attempts_error_and_failure_time() -> None:
    dead = dead_letter_from_fields({**GOOD, b"error": b"boom \xff", b"failed": b"1700000000123"})
    assert (dead.attempts, dead.error, dead.failed_at) == (2, "boom \ufffd", 1700000000.123)
    assert dead.delivery.delivery_id == "a"


def test_keys_share_the_name_as_prefix() -> None:
    keys = InboxKeys.for_name("shop1")
    assert (keys.stream, keys.dead, keys.seen("x")) == (
        "shop1:stream",
        "shop1:dead",
        b"shop1:seen:x",
    )
