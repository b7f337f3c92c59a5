"""The converter: tolerant of unknown fields, strict on types, secrets out of repr."""

from __future__ import annotations

import sys
from datetime import datetime

import pytest

import ewh_webhooks.cattrs_converter as cattrs_converter
from ewh_webhooks import Page, ResponseValidationError, Tokens, Webhook, WebhookUpdate
from ewh_webhooks.converter import (
    converter,
    structure,
    structure_items,
    structure_page,
    structure_raw_page,
    structure_webhook,
    unstructure,
)
from ewh_webhooks.models import RawPage
from ewh_webhooks.shapes import id_label, with_topic_parts

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


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(HOOK, id="fast-path"),
        pytest.param(
            {k: v for k, v in HOOK.items() if k != "group"} | {"topic": "stock.updated"},
            id="cattrs-path",
        ),
    ],
)
def test_both_timestamps_are_kept_on_either_path(data: dict[str, str]) -> None:
    stamps = {"created_at": "2024-01-02T03:04:05+00:00", "modified_at": "2024-05-06T07:08:09+00:00"}
    hook = structure_webhook({**data, **stamps}, what="t")
    assert (hook.created_at, hook.modified_at) == (
        datetime.fromisoformat(stamps["created_at"]),
        datetime.fromisoformat(stamps["modified_at"]),
    )


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


@pytest.mark.parametrize(
    ("value", "cls", "message"),
    [
        pytest.param(5, str, "expected a string, got int", id="str"),
        pytest.param("5", int, "expected an integer, got str", id="int"),
        pytest.param(True, int, "expected an integer, got bool", id="int-not-bool"),
        pytest.param("3600", float, "expected a number, got str", id="float"),
        pytest.param(True, float, "expected a number, got bool", id="float-not-bool"),
        pytest.param(5, datetime, "expected an ISO 8601 string, got int", id="datetime"),
    ],
)
def test_the_converters_strict_hooks_say_what_they_got(
    value: object, cls: type, message: str
) -> None:
    with pytest.raises(TypeError) as caught:
        converter.structure(value, cls)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("data", "pattern"),
    [
        pytest.param(
            {**HOOK, "customer": 5}, r"expected str \| None @ .*\.customer$", id="customer"
        ),
        pytest.param(
            {**HOOK, "hash_secret": 5}, r"expected str \| None @ .*\.hash_secret$", id="secret"
        ),
        pytest.param(
            [HOOK], r"^w does not fit Webhook: expected a JSON object, got list$", id="list"
        ),
    ],
)
def test_a_field_of_the_wrong_type_is_never_taken_as_it_is(data: object, pattern: str) -> None:
    with pytest.raises(ResponseValidationError, match=pattern):
        structure_webhook(data, what="w")


BARE = {"id": "h1", "url": "https://example.com/h"}


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({**BARE, "topic": "order.shipped"}, id="topic-only"),
        pytest.param({**BARE, "group": "order", "topic": "order.shipped"}, id="action-from-topic"),
        pytest.param(
            {**BARE, "action": "shipped", "topic": "order/shipped"}, id="group-from-topic"
        ),
        pytest.param(
            {**BARE, "group": "order", "action": "shipped", "topic": "x"}, id="both-given"
        ),
        pytest.param(
            {**BARE, "group": None, "action": None, "topic": "order.shipped"}, id="both-null"
        ),
        pytest.param(
            {**BARE, "group": "order", "action": None, "topic": "order_shipped"}, id="one-null"
        ),
    ],
)
def test_what_group_and_action_lack_is_read_from_the_servers_topic(data: dict[str, str]) -> None:
    hook = structure_webhook(data, what="w")
    assert (hook.group, hook.action, hook.topic) == ("order", "shipped", "order.shipped")
    assert hook.raw is data


def test_an_item_without_group_whose_topic_does_not_parse_names_the_missing_field() -> None:
    with pytest.raises(
        ResponseValidationError, match=r"required field missing @ w \(id 'h1'\)\.group"
    ):
        structure_webhook({**BARE, "action": "shipped", "topic": "?"}, what="w")


def test_a_null_group_without_a_usable_topic_names_the_field() -> None:
    with pytest.raises(ResponseValidationError, match=r"w \(id 'h1'\)\.group"):
        structure_webhook({**BARE, "group": None, "action": "shipped"}, what="w")


def test_a_documented_webhook_never_pays_for_cattrs(monkeypatch: pytest.MonkeyPatch) -> None:
    # Streaming structures thousands of webhooks: the common shape is built directly.
    def slow_path(*_: object) -> None:
        raise AssertionError("the documented shape took the cattrs path")

    monkeypatch.setattr(cattrs_converter, "webhook_fields", slow_path)
    full = {**HOOK, "hash_secret": "s", "created_at": "2024-01-02T03:04:05+00:00"}
    assert structure_webhook(full, what="w").hash_secret == "s"
    page = structure_page({"results": [HOOK, full]}, what="p")
    assert [hook.customer for hook in page.results] == [HOOK["customer"]] * 2
    assert structure_items([full], what="p")[0].created_at is not None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param([HOOK], "expected a JSON object, got list", id="not-an-object"),
        pytest.param({"results": {}}, "'results' must be a list", id="results-not-a-list"),
        pytest.param(
            {"results": [], "count": -1},
            "'count' must not be negative, got -1",
            id="negative-count",
        ),
        pytest.param(
            {"results": [], "count": "2"}, "expected an integer, got str", id="text-count"
        ),
        pytest.param({"results": [], "next": 2}, "expected a string, got int", id="numeric-next"),
    ],
)
def test_a_page_envelope_that_does_not_fit_says_how(data: object, message: str) -> None:
    with pytest.raises(ResponseValidationError) as caught:
        structure_raw_page(data, what="GET /webhooks/")
    assert str(caught.value) == f"GET /webhooks/ does not fit RawPage: {message}"


@pytest.mark.parametrize(
    ("items", "message"),
    [
        pytest.param(
            [HOOK, {"id": "x", "url": "https://a.test/"}],
            "results[1] (id 'x'): required field missing @ $.group; "
            "required field missing @ $.action",
            id="names-the-item-and-every-field",
        ),
        pytest.param([5], "results[0]: expected a JSON object, got int", id="not-an-object"),
        pytest.param(
            [{**HOOK, "id": 7}],
            "results[0]: invalid value for type, expected str @ $.id",
            id="an-id-that-is-not-a-string-is-not-shown",
        ),
        pytest.param(
            [{**HOOK, "created_at": "yesterday"}],
            f"results[0] (id {HOOK['id']!r}): invalid value for type, "
            "expected datetime.datetime | None @ $.created_at",
            id="a-bad-timestamp",
        ),
    ],
)
def test_a_bad_item_is_named_by_its_index_and_id(items: list[object], message: str) -> None:
    with pytest.raises(ResponseValidationError) as caught:
        structure_items(items, what="GET /webhooks/")
    assert str(caught.value) == f"GET /webhooks/ does not fit Webhook: {message}"


def test_a_page_keeps_its_links_and_an_empty_link_is_no_link() -> None:
    linked = structure_page(
        {"next": "https://api.test/?page=3", "previous": "https://api.test/?page=1", "results": []},
        what="p",
    )
    assert (linked.next, linked.previous) == (
        "https://api.test/?page=3",
        "https://api.test/?page=1",
    )
    bare = structure_raw_page({"next": "", "previous": "", "results": []}, what="p")
    assert (bare.next, bare.previous, bare.has_next_key) == (None, None, True)


@pytest.mark.parametrize(
    ("call", "body"),
    [
        pytest.param(
            lambda: structure({"token": 5, "refresh_token": "r"}, Tokens, what="login"),
            {"token": "***", "refresh_token": "***"},
            id="cattrs-error",
        ),
        pytest.param(
            lambda: structure({"results": [], "next": 5, "token": "t"}, RawPage, what="login"),
            {"results": [], "next": 5, "token": "***"},
            id="envelope-error",
        ),
        pytest.param(
            lambda: structure_items([{"id": 1, "hash_secret": "s"}], what="list"),
            [{"id": 1, "hash_secret": "***"}],
            id="item-error",
        ),
    ],
)
def test_an_error_keeps_the_body_with_its_secrets_redacted(call: object, body: object) -> None:
    with pytest.raises(ResponseValidationError) as caught:
        call()  # type: ignore[operator]
    assert caught.value.body == body


def test_a_cattrs_error_names_the_field_by_its_path_from_the_call() -> None:
    with pytest.raises(ResponseValidationError) as caught:
        structure({"iat": "x"}, Tokens, what="login")
    assert str(caught.value) == (
        "login does not fit Tokens: required field missing @ login.token; "
        "invalid value for type, expected float | None @ login.iat"
    )


def test_a_count_written_as_a_whole_float_is_a_count() -> None:
    assert structure_raw_page({"count": 2.0, "results": []}, what="p").count == 2


def test_a_page_that_does_not_fit_is_named_by_the_call() -> None:
    with pytest.raises(ResponseValidationError) as caught:
        structure_page({"results": [5]}, what="GET /webhooks/")
    assert str(caught.value) == (
        "GET /webhooks/ does not fit Page: results[0]: expected a JSON object, got int"
    )


def test_a_given_group_and_action_win_over_the_servers_topic() -> None:
    data = {"group": "order", "action": "shipped", "topic": "stock.updated"}
    assert with_topic_parts(data) == data
    assert with_topic_parts({"group": "order", "topic": "stock.updated"}) == {
        "group": "order",
        "action": "updated",
        "topic": "stock.updated",
    }


@pytest.mark.parametrize(
    ("item_id", "label"),
    [
        ("h1", "(id 'h1')"),
        ("x" * 80, f"(id {'x' * 80!r})"),  # exactly the limit: whole
        ("x" * 81, f"(id {'x' * 80 + '...'!r})"),
        ("y" * 500, f"(id {'y' * 80 + '...'!r})"),
    ],
)
def test_an_absurdly_long_id_is_cut_in_error_labels(item_id: str, label: str) -> None:
    assert id_label(item_id) == label


@pytest.fixture
def without_cattrs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any import of the cattrs converter fail: what must not need it, does not."""
    monkeypatch.setitem(sys.modules, "ewh_webhooks.cattrs_converter", None)


@pytest.mark.usefixtures("without_cattrs")
@pytest.mark.parametrize(
    ("exp", "iat"), [(3600.5, 1), (3600, 1.5), (None, None), (3600, None), (None, 2.0)]
)
def test_usual_tokens_are_read_without_cattrs(exp: float | None, iat: float | None) -> None:
    data = {"token": "t", "refresh_token": None, "exp": exp, "iat": iat}
    tokens = structure(data, Tokens, what="login")
    assert tokens == Tokens(token="t", refresh_token=None, exp=exp, iat=iat)


@pytest.mark.usefixtures("without_cattrs")
def test_usual_webhooks_and_pages_are_read_and_written_without_cattrs() -> None:
    assert structure_webhook(HOOK, what="w").id == HOOK["id"]
    page = structure_page({"count": 2, "results": [HOOK, HOOK]}, what="p")
    assert [hook.id for hook in page.results] == [HOOK["id"]] * 2
    assert len(structure_items([HOOK], what="p")) == 1
    assert unstructure(WebhookUpdate(group="order")) == {"group": "order"}


@pytest.mark.parametrize("bad", ["soon", True, [1], {"s": 1}])
@pytest.mark.parametrize("field", ["exp", "iat"])
def test_token_times_that_are_not_numbers_are_refused(field: str, bad: object) -> None:
    data = {"token": "t", "exp": 3600, "iat": 1, field: bad}
    with pytest.raises(ResponseValidationError, match=field):
        structure(data, Tokens, what="login")


@pytest.mark.parametrize(
    "data", [{"results": "no"}, {"results": [], "count": -1}, {"results": [{"id": 3}]}]
)
def test_a_page_that_does_not_fit_keeps_its_body(data: dict[str, object]) -> None:
    with pytest.raises(ResponseValidationError) as caught:
        structure_page(data, what="GET /webhooks/")
    assert caught.value.body == data
    with pytest.raises(ResponseValidationError) as caught:
        structure_raw_page({**data, "results": 1, "token": "t"}, what="GET /webhooks/")
    assert caught.value.body == {**data, "results": 1, "token": "***"}


def test_other_models_unstructure_through_cattrs() -> None:
    tokens = Tokens(token="t", refresh_token="r", exp=2.0, iat=1.0)
    assert unstructure(tokens) == {"token": "t", "refresh_token": "r", "exp": 2.0, "iat": 1.0}
    hook = structure_webhook(HOOK, what="w")
    assert unstructure(hook)["id"] == HOOK["id"]


def test_the_cattrs_converter_is_loaded_on_first_use() -> None:
    import ewh_webhooks.converter as module

    assert module.converter is cattrs_converter.converter
    with pytest.raises(AttributeError) as caught:
        module.nothing_here  # noqa: B018
    assert str(caught.value) == "module 'ewh_webhooks.converter' has no attribute 'nothing_here'"
