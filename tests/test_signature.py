"""Signature verification and event parsing, with published test vectors.

The expected values were computed independently with
`openssl dgst -sha256 -hmac SECRET -binary BODY | base64`.
"""

from __future__ import annotations

import json

import pytest

from ewh_webhooks import (
    InvalidArgumentError,
    InvalidEventError,
    InvalidSignatureError,
    parse_event,
    sign,
    verify_signature,
)
from ewh_webhooks.signature import check_webhook_secret, webhook_secrets

VECTORS = [
    (
        b'{"body":{"id":1},"group":"order","action":"shipped","entity":"order","customer":"c","entityId":"1"}',
        "ABC12345",
        "B7RoXlsRxVzdtfT7jyew9LT/wLkYisEktTVSzI8Q+pg=",
    ),
    (
        '{"body":{"name":"Crème brûlée ☕"},"group":"article","action":"updated"}'.encode(),
        "sécret-🔑",
        "4jLXhIqq97+Ek98+2OCQ/fgNsvd/fzQsMctkIzciPa4=",
    ),
    (b"", "s", "ZOygfM5nkpw1fWPQpK7CB+d0gAQDKYkU/ATojOAqxJ8="),
]


@pytest.mark.parametrize(("body", "secret", "expected"), VECTORS)
def test_sign_matches_published_vectors(body: bytes, secret: str, expected: str) -> None:
    assert sign(body, secret) == expected


@pytest.mark.parametrize(("body", "secret", "expected"), VECTORS)
def test_verify_accepts_published_vectors(body: bytes, secret: str, expected: str) -> None:
    verify_signature(body, expected, secret)
    verify_signature(body, f"  {expected}\n", secret)  # header whitespace is tolerated


@pytest.mark.parametrize(
    ("signature", "fragment"),
    [
        (None, "missing X-Hmac-Sha256"),
        ("", "missing X-Hmac-Sha256"),
        ("not base64!", "not valid base64"),
        ("c2hvcnQ=", "decodes to 5 bytes"),
        (VECTORS[1][2], "does not match"),
    ],
)
def test_each_failure_has_a_precise_message(signature: str | None, fragment: str) -> None:
    body, secret, _ = VECTORS[0]
    with pytest.raises(InvalidSignatureError, match=fragment):
        verify_signature(body, signature, secret)


def test_one_changed_byte_fails() -> None:
    body, secret, expected = VECTORS[0]
    with pytest.raises(InvalidSignatureError):
        verify_signature(body.replace(b"shipped", b"shippeD"), expected, secret)


@pytest.mark.parametrize("position", [0, 1, 2])
def test_several_secrets_allow_rotation_whichever_matches(position: int) -> None:
    body, secret, expected = VECTORS[0]
    secrets = ["new-secret", "other"]
    secrets.insert(position, secret)
    verify_signature(body, expected, secrets)  # first, middle or last: all accepted
    with pytest.raises(InvalidSignatureError):
        verify_signature(body, expected, ["new-secret", "other"])


def test_hex_encoded_signature_is_not_accepted() -> None:
    import hashlib
    import hmac

    body, secret, _ = VECTORS[0]
    hex_sig = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    with pytest.raises(InvalidSignatureError):
        verify_signature(body, hex_sig, secret)


@pytest.mark.parametrize(
    ("secret", "fragment"),
    [
        ("", "non-empty"),
        ([], "non-empty"),
        ([""], "non-empty"),
        (5, "str or bytes"),
        ([5], "str"),
        ("s3cret\ud800", "valid Unicode"),
        (["ok", "s3cret\ud800"], "valid Unicode"),
    ],
)
def test_empty_or_mistyped_secret_is_a_usage_error(secret: object, fragment: str) -> None:
    with pytest.raises(InvalidArgumentError, match=fragment):
        verify_signature(b"x", "c2hvcnQ=", secret)  # type: ignore[arg-type]


@pytest.mark.parametrize("wrap", [list, tuple, set, lambda s: (x for x in s)])
def test_any_collection_of_secrets_is_accepted(wrap: object) -> None:
    body, secret, signature = VECTORS[0]
    verify_signature(body, signature, wrap(["old-secret", secret]))  # type: ignore[operator]


def test_parsed_json_instead_of_bytes_is_a_usage_error() -> None:
    with pytest.raises(InvalidArgumentError, match="raw bytes"):
        verify_signature({"a": 1}, "x", "s")  # type: ignore[arg-type]


def test_parse_event_verifies_then_structures() -> None:
    body, secret, signature = VECTORS[0]
    event = parse_event(body, {"x-hmac-sha256": signature, "X-WEBHOOK-ID": "evt-1"}, secret)
    assert (event.group, event.action, event.topic) == ("order", "shipped", "order.shipped")
    assert event.entity == "order"
    assert event.entity_id == "1"
    assert event.customer == "c"
    assert event.body == {"id": 1}
    assert event.delivery_id == "evt-1"


def test_parse_event_keeps_unknown_fields_and_topics() -> None:
    envelope = {
        "body": {},
        "group": "pallet",
        "action": "moved",
        "entity": "pallet",
        "entityId": 7,
        "extra": True,
    }
    body = json.dumps(envelope).encode()
    event = parse_event(body, {"X-Hmac-Sha256": sign(body, "s")}, "s")
    assert event.topic == "pallet.moved"
    assert event.entity_id == "7"
    assert event.raw["extra"] is True
    assert event.delivery_id is None


def test_stock_events_carry_entity_variant() -> None:
    envelope = {
        "body": {"sku": "X"},
        "group": "stock",
        "action": "updated",
        "entity": "variant",
        "entityId": "v1",
    }
    body = json.dumps(envelope).encode()
    event = parse_event(body, {"X-Hmac-Sha256": sign(body, "s")}, "s")
    assert event.group == "stock"
    assert event.entity == "variant"


def test_parse_event_rejects_before_parsing_when_unsigned() -> None:
    with pytest.raises(InvalidSignatureError):
        parse_event(b"not even json", {}, "s")


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"group": "order"}', "action"),
        (b'{"group": "order", "action": "shipped", "body": [1]}', "body"),
    ],
)
def test_bad_body_after_a_valid_signature_is_our_error(body: bytes, fragment: str) -> None:
    with pytest.raises(InvalidEventError, match=fragment):
        parse_event(body, {"X-Hmac-Sha256": sign(body, "s")}, "s")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(
            lambda: sign({"a": 1}, "s"),  # type: ignore[arg-type]
            "body must be the raw bytes of the request",
            id="sign-parsed-json",
        ),
        pytest.param(
            lambda: verify_signature({"a": 1}, "x", "s"),  # type: ignore[arg-type]
            "body must be the raw bytes of the request, not parsed JSON",
            id="verify-parsed-json",
        ),
        pytest.param(
            lambda: verify_signature(b"x", "x", 5),  # type: ignore[arg-type]
            "a webhook secret must be str or bytes, or a list of them",
            id="secret-of-another-type",
        ),
        pytest.param(
            lambda: verify_signature(b"x", "x", [b"ok", 5]),  # type: ignore[list-item]
            "a webhook secret must be str or bytes",
            id="list-holding-another-type",
        ),
        pytest.param(
            lambda: verify_signature(b"x", "x", ["ok", ""]),
            "at least one non-empty webhook secret is required",
            id="list-holding-an-empty-secret",
        ),
        pytest.param(
            lambda: sign(b"x", "s3cret\ud800"),
            "a webhook secret must be valid Unicode",
            id="lone-surrogate",
        ),
    ],
)
def test_usage_errors_say_exactly_what_is_wrong_and_never_echo_the_secret(
    call: object, message: str
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        call()  # type: ignore[operator]
    assert str(caught.value) == message


def test_a_signature_with_stray_characters_is_not_valid_base64() -> None:
    body, secret, expected = VECTORS[0]
    with pytest.raises(InvalidSignatureError, match="not valid base64"):
        verify_signature(body, expected[:8] + "!" + expected[8:], secret)


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        pytest.param("", "at least one non-empty webhook secret is required", id="empty"),
        pytest.param(5, "a webhook secret must be str or bytes, or a list of them", id="a-number"),
        pytest.param(["ok", None], "a webhook secret must be str or bytes", id="list-with-none"),
    ],
)
def test_a_secret_is_checked_before_the_first_delivery(secret: object, message: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        check_webhook_secret(secret)
    assert str(caught.value) == message


def test_a_usable_secret_or_list_of_them_passes_the_check() -> None:
    check_webhook_secret("s")
    check_webhook_secret([b"old", "new"])


def test_webhook_secrets_keeps_every_form_as_a_tuple_of_keys() -> None:
    assert webhook_secrets("new") == (b"new",)
    assert webhook_secrets(s for s in ["new", b"old"]) == (b"new", b"old")  # a generator
    with pytest.raises(InvalidArgumentError) as caught:
        webhook_secrets({"new": 1})
    assert str(caught.value) == (
        "a webhook secret must be str or bytes, or a list of them, not a mapping"
    )


def test_a_signature_header_of_the_wrong_type_is_named() -> None:
    body = b"{}"
    verify_signature(body, sign(body, "k").encode(), "k")  # bytes as sent on the wire
    with pytest.raises(InvalidArgumentError, match="header must be a str, got int"):
        verify_signature(body, 12345, "k")  # type: ignore[arg-type]
