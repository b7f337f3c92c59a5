"""What `parse_event` and `verify_signature` do with arguments of the wrong type: a
bytes-like body or a list of header pairs is taken as meant; anything else is the
caller's mistake, `InvalidArgumentError`, never a bare TypeError or AttributeError."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ewh_webhooks import (
    EWHError,
    InvalidArgumentError,
    InvalidSignatureError,
    parse_event,
    sign,
    verify_signature,
)

from .receiver_helpers import SECRET, envelope, signed

BODY = envelope()


@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview], ids=lambda w: w.__name__)
def test_any_bytes_like_body_is_parsed(wrap: Any) -> None:
    event = parse_event(wrap(BODY), signed(BODY, "evt-1"), SECRET)
    assert (event.topic, event.delivery_id) == ("order.shipped", "evt-1")


def test_headers_as_a_list_of_pairs_are_read_case_insensitively() -> None:
    pairs = [(name.lower(), value) for name, value in signed(BODY, "evt-1").items()]
    assert parse_event(BODY, pairs, SECRET).delivery_id == "evt-1"
    assert parse_event(BODY, tuple(pairs), SECRET).delivery_id == "evt-1"


class WerkzeugLikeHeaders:
    """Not a Mapping, but `get` and `items` (as Werkzeug's `Headers`)."""

    def __init__(self, headers: dict[str, str]) -> None:
        self._pairs = list(headers.items())

    def get(self, name: str) -> str | None:
        return next((v for k, v in self._pairs if k.lower() == name.lower()), None)

    def items(self) -> list[tuple[str, str]]:
        return list(self._pairs)


def test_headers_with_get_and_items_are_read() -> None:
    assert parse_event(BODY, WerkzeugLikeHeaders(signed(BODY, "e")), SECRET).delivery_id == "e"


@pytest.mark.parametrize(
    "headers",
    [None, 42, "X-Hmac-Sha256: abc", b"raw", [("only-a-name",)], ["ab"], [1, 2], {1, 2}],
    ids=["none", "int", "str", "bytes", "short-pair", "str-pair", "ints", "set"],
)
def test_headers_of_the_wrong_type_are_the_callers_mistake(headers: Any) -> None:
    with pytest.raises(InvalidArgumentError, match="headers"):
        parse_event(BODY, headers, SECRET)


@pytest.mark.parametrize("value", [123, 1.5, ["a"], object()], ids=["int", "float", "list", "obj"])
def test_a_header_value_of_the_wrong_type_is_the_callers_mistake(value: Any) -> None:
    for name in ("X-Hmac-Sha256", "X-Webhook-Id"):
        headers: dict[str, Any] = signed(BODY, "evt-1")
        headers[name] = value
        with pytest.raises(InvalidArgumentError, match=name):
            parse_event(BODY, headers, SECRET)
    with pytest.raises(InvalidArgumentError, match="X-Hmac-Sha256"):
        verify_signature(BODY, value, SECRET)


def test_a_signature_given_as_bytes_is_read_as_text() -> None:
    verify_signature(BODY, sign(BODY, SECRET).encode(), SECRET)
    with pytest.raises(InvalidSignatureError):
        verify_signature(BODY, b"\xff\xfe", SECRET)


def test_a_blank_delivery_id_is_none() -> None:
    for blank in ("", " ", "\t"):
        assert parse_event(BODY, signed(BODY, blank), SECRET).delivery_id is None
    assert parse_event(BODY, signed(BODY, "  evt-1 "), SECRET).delivery_id == "evt-1"


anything = st.recursive(
    st.none()
    | st.integers()
    | st.text(max_size=10)
    | st.binary(max_size=10)
    | st.just(sign(BODY, SECRET)),
    lambda children: st.lists(children, max_size=3) | st.tuples(children, children),
    max_leaves=6,
)
header_names = st.sampled_from(["X-Hmac-Sha256", "x-webhook-id", "Content-Type"]) | st.text(
    max_size=5
)
any_headers = (
    anything
    | st.dictionaries(header_names, anything, max_size=4)
    | st.lists(st.tuples(header_names | anything, anything), max_size=4)
)


@settings(max_examples=300, deadline=None)
@given(
    body=st.sampled_from([BODY, bytearray(BODY), memoryview(BODY)]) | anything,
    headers=any_headers,
)
def test_parse_event_raises_only_our_errors_whatever_the_arguments(body: Any, headers: Any) -> None:
    with contextlib.suppress(EWHError):  # anything else fails the test
        parse_event(body, headers, SECRET)
