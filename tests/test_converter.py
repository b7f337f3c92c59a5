"""The converter: tolerant of unknown fields, strict on types, secrets out of repr."""

from __future__ import annotations

from datetime import datetime

import pytest

from ewh_webhooks import Page, ResponseValidationError, Tokens, Webhook, WebhookUpdate
from ewh_webhooks.converter import (
    structure,
    structure_page,
    structure_raw_page,
    structure_webhook,
    unstructure,
)

HOOK = {
    "id": "6caeff6d-cd72-4fde-9d02-0704514ad917",
    "url": "https://example.com/h",
    "group": "stock",
    "action": "updated",
    "customer": "be62c27e-2aac-4ac1-902e-f770d64f8dce",
}


def test_documented_webhook_parses_and_derives_topic() -> None:
    hook = structure_webhook(HOOK, what="test")
    assert hook.topic == "stock.updated"
    assert hook.customer == HOOK["customer"]
    assert hook.hash_secret is None


def test_unknown_fields_and_topics_are_kept_on_raw() -> None:
    data = {
        **HOOK,
        "group": "pallet",
        "action": "teleported",
        "priority": 3,
        "topic": "pallet.teleported",
    }
    hook = structure_webhook(data, what="test")
    assert hook.topic == "pallet.teleported"
    assert hook.raw["priority"] == 3


def test_timestamps_parse_to_datetimes() -> None:
    hook = structure_webhook({**HOOK, "created_at": "2024-01-02T03:04:05Z"}, what="t")
    assert hook.created_at == datetime.fromisoformat("2024-01-02T03:04:05+00:00")


def test_hash_secret_never_reaches_repr() -> None:
    hook = structure_webhook({**HOOK, "hash_secret": "TOPSECRET"}, what="t")
    assert hook.hash_secret == "TOPSECRET"
    assert "TOPSECRET" not in repr(hook)
    tokens = Tokens(token="TOKEN-VALUE", refresh_token="REFRESH-VALUE", exp=1.0)
    assert "TOKEN-VALUE" not in repr(tokens)
    assert "REFRESH-VALUE" not in repr(tokens)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({**HOOK, "url": None}, "url"),
        ({**HOOK, "id": 5}, "id"),
        ({k: v for k, v in HOOK.items() if k != "group"}, "group"),
        ({**HOOK, "created_at": "yesterday"}, "created_at"),
        ([HOOK], "JSON object"),
        ("text", "JSON object"),
    ],
)
def test_bodies_that_do_not_fit_raise_response_validation_error(
    data: object, fragment: str
) -> None:
    with pytest.raises(ResponseValidationError, match=fragment):
        structure_webhook(data, what="GET /webhooks/x/")


def test_page_parses_and_a_raw_page_notes_a_missing_next_key() -> None:
    page = structure_page(
        {"count": 2, "next": None, "previous": None, "results": [HOOK, HOOK]}, what="p"
    )
    assert isinstance(page, Page)
    assert page.count == 2
    assert len(page.results) == 2
    assert structure_raw_page({"next": None, "results": []}, what="p").has_next_key
    bare = structure_raw_page({"results": [HOOK]}, what="p")
    assert bare.count is None
    assert not bare.has_next_key


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"count": 1}, "results"),
        ({"results": "nope"}, "results"),
        ({"results": [HOOK, {"id": "x"}]}, r"results\[1\]"),
        ({"count": "many", "results": []}, "integer"),
        ({"results": [], "next": 5}, "string"),
    ],
)
def test_malformed_pages_name_the_problem(data: object, fragment: str) -> None:
    with pytest.raises(ResponseValidationError, match=fragment):
        structure_page(data, what="GET /webhooks/")


def test_tokens_accept_int_or_float_times_and_extra_keys() -> None:
    tokens = structure(
        {"token": "t", "iat": 1, "exp": 3601.5, "refresh_token": "r", "x": 1}, Tokens, what="login"
    )
    assert tokens.exp == 3601.5
    assert tokens.iat == 1.0
    with pytest.raises(ResponseValidationError):
        structure({"iat": 1}, Tokens, what="login")


def test_update_body_omits_unset_fields() -> None:
    assert unstructure(WebhookUpdate(url="https://x.test/")) == {"url": "https://x.test/"}
    full = WebhookUpdate(url="https://x.test/", group="order", action="created", hash_secret="s")
    assert unstructure(full) == {
        "url": "https://x.test/",
        "group": "order",
        "action": "created",
        "hash_secret": "s",
    }


def test_webhooks_compare_by_value_not_raw() -> None:
    a = structure_webhook(HOOK, what="a")
    b = structure_webhook({**HOOK, "extra": 1}, what="b")
    assert a == b
    assert isinstance(a, Webhook)
