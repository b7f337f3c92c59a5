"""The emulator on the wire, checked without the SDK: by default it answers what the
vendor's document shows, and each plausible server where the document is silent is
one setting away."""

from __future__ import annotations

from typing import Any

import pytest

from ewh_webhooks.testing import EWHEmulator, FaultPlan

from ._emulator_wire import URL, Wire, wire

# --- webhook objects: the document's keys by default -------------------------------


async def test_by_default_objects_have_exactly_the_documents_keys() -> None:
    async with wire() as w:
        created = await w.create()
        listed = (await w.call("GET", "/webhooks/")).body["results"][0]
        updated = (await w.call("PATCH", f"/webhooks/{created['id']}/", json={"url": URL})).body
        fetched = (await w.call("GET", f"/webhooks/{created['id']}/")).body
    # The document's create response, list item and update response.
    assert set(created) == {"id", "url", "group", "action", "customer", "hash_secret"}
    assert set(listed) == {"id", "url", "group", "action", "customer"}
    assert set(updated) == set(listed)
    assert fetched == listed


@pytest.mark.parametrize(
    ("style", "topic"),
    [("dot", "order.shipped"), ("slash", "order/shipped"), ("underscore", "order_shipped")],
)
async def test_topic_style_spells_the_topic_on_every_webhook_object(style: str, topic: str) -> None:
    async with wire(topic_style=style) as w:
        created = await w.create()
        path = f"/webhooks/{created['id']}/"
        listed = (await w.call("GET", "/webhooks/")).body["results"][0]
        fetched = (await w.call("GET", path)).body
        updated = (await w.call("PATCH", path, json={"url": URL})).body
    assert {created["topic"], listed["topic"], fetched["topic"], updated["topic"]} == {topic}


async def test_topic_style_can_change_while_running() -> None:
    async with wire() as w:
        await w.create()
        before = (await w.call("GET", "/webhooks/")).body["results"][0]
        w.emu.topic_style = "slash"
        after = (await w.call("GET", "/webhooks/")).body["results"][0]
    assert "topic" not in before
    assert after["topic"] == "order/shipped"


async def test_topic_only_list_items_carry_topic_but_no_group_or_action() -> None:
    async with wire(topic_style="dot", list_items="topic_only") as w:
        created = await w.create()
        listed = (await w.call("GET", "/webhooks/")).body["results"][0]
        fetched = (await w.call("GET", f"/webhooks/{created['id']}/")).body
    assert listed["topic"] == "order.shipped"
    assert "group" not in listed
    assert "action" not in listed
    assert fetched["group"] == "order"  # only list items are slimmed


async def test_timestamps_are_added_on_request() -> None:
    async with wire(timestamps=True) as w:
        created = await w.create()
    assert created["created_at"].endswith("Z")
    assert created["modified_at"] == created["created_at"]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"topic_style": "colon"}, "topic_style must be one of 'none', 'dot'"),
        ({"list_items": "topic_only"}, "needs a topic_style"),
        ({"error_style": "html"}, "error_style"),
        ({"past_last_page": "500"}, "past_last_page"),
        ({"patch_hash_secret": "maybe"}, "patch_hash_secret"),
        ({"next_style": "json"}, "next_style"),
        ({"count_shortfall": -1}, "count_shortfall must be an integer >= 0"),
        ({"max_limit": 0}, "max_limit must be an integer >= 1"),
        ({"default_limit": True}, "default_limit"),
        ({"delivery_retry_delays": [1, -1]}, "must be >= 0"),
        ({"delivery_retry_delays": [float("nan")]}, "must be >= 0"),
        ({"delivery_retry_delays": [1], "delivery_attempts": 2}, "not both"),
        ({"delivery_attempts": 0}, "at least 1"),
        ({"delivery_attempts": 2.5}, "delivery_attempts must be an integer"),
        ({"delivery_retry_delay": float("nan")}, "delivery_retry_delay must be a finite"),
        ({"delivery_retry_delay": float("inf")}, "delivery_retry_delay must be a finite"),
        ({"delivery_retry_delays": [float("inf")]}, "must be >= 0 seconds, finite"),
        ({"delivery_retry_delays": ["5"]}, "must be >= 0 seconds, finite"),
        ({"delivery_retry_delays": 5}, "must be a sequence"),
        ({"token_lifetime": float("nan")}, "token_lifetime must be a finite number"),
        ({"token_lifetime": -1}, r"token_lifetime must be .* > 0, got -1"),
        ({"token_lifetime": 0}, r"token_lifetime must be .* > 0, got 0"),
        ({"latency": float("nan")}, "latency must be a finite number"),
        ({"latency": float("inf")}, "latency must be a finite number"),
        ({"latency": -0.5}, r"latency must be .* >= 0"),
        ({"latency": True}, "latency must be a finite number"),
        ({"customers": []}, "at least one customer"),
    ],
)
def test_settings_the_emulator_cannot_honour_are_refused(
    settings: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        EWHEmulator(**settings)


# --- listings ----------------------------------------------------------------------


async def seed(w: Wire, n: int) -> None:
    for i in range(n):
        w.emu.state.add_webhook(
            w.emu.customer_code, url=f"{URL}/{i}", group="order", action="shipped", hash_secret="s"
        )


async def test_count_shortfall_understates_count_while_next_links_every_page() -> None:
    async with wire(count_shortfall=4, max_limit=None) as w:
        await seed(w, 10)
        first = (await w.call("GET", "/webhooks/?limit=3")).body
        last = (await w.call("GET", "/webhooks/?limit=3&page=4")).body
    assert first["count"] == 6
    assert first["next"] is not None
    assert first["next"].endswith("page=2")
    assert [h["url"] for h in last["results"]] == [f"{URL}/9"]
    assert last["next"] is None


async def test_limit_is_capped_quietly_at_max_limit_and_uncapped_without_one() -> None:
    async with wire(max_limit=7) as w:
        await seed(w, 20)
        capped = (await w.call("GET", "/webhooks/?limit=100")).body
        w.emu.max_limit = None
        uncapped = (await w.call("GET", "/webhooks/?limit=100")).body
    assert len(capped["results"]) == 7
    assert capped["count"] == 20
    assert "page=2" in capped["next"]
    assert len(uncapped["results"]) == 20
    assert uncapped["next"] is None


@pytest.mark.parametrize(("past_last_page", "status"), [("404", 404), ("empty", 200)])
async def test_a_page_past_the_end_is_a_404_or_an_empty_page(
    past_last_page: str, status: int
) -> None:
    async with wire(past_last_page=past_last_page) as w:
        await seed(w, 3)
        answer = await w.call("GET", "/webhooks/?limit=2&page=3")
        first_of_none = await w.call("GET", "/webhooks/", customer="CUSTOMER2")
    assert answer.status == status
    if status == 200:
        assert answer.body["results"] == []
        assert answer.body["next"] is None
    assert first_of_none.status == 200
    assert first_of_none.body["results"] == []


async def test_descending_without_sort_is_newest_first_on_every_page() -> None:
    async with wire() as w:
        await seed(w, 5)
        pages = [
            (await w.call("GET", f"/webhooks/?limit=2&page={p}&direction=desc")).body
            for p in (1, 2, 3)
        ]
    urls = [h["url"] for page in pages for h in page["results"]]
    assert urls == [f"{URL}/{i}" for i in (4, 3, 2, 1, 0)]


async def test_pages_follow_creates_and_deletes() -> None:
    async with wire(max_limit=None) as w:
        await seed(w, 6)
        ids = [h["id"] for h in (await w.call("GET", "/webhooks/")).body["results"]]
        await w.call("DELETE", f"/webhooks/{ids[1]}/")
        await w.create(url=f"{URL}/new")
        await w.call("DELETE", f"/webhooks/{ids[4]}/")
        urls = [
            h["url"] for h in (await w.call("GET", "/webhooks/?limit=2&page=2")).body["results"]
        ]
    assert urls == [f"{URL}/3", f"{URL}/5"]


# --- strictness: the 400s the document never mentions ---------------------------------

QUERIES = ["sort=colour", "direction=up", "limit=abc", "limit=0"]


@pytest.mark.parametrize("query", QUERIES)
async def test_by_default_unknown_query_values_are_ignored(query: str) -> None:
    async with wire() as w:
        await seed(w, 2)
        answer = await w.call("GET", f"/webhooks/?{query}")
    assert answer.status == 200
    assert [h["url"] for h in answer.body["results"]] == [f"{URL}/0", f"{URL}/1"]


@pytest.mark.parametrize("query", [*QUERIES, "page=abc", "page=-1"])
async def test_strict_query_answers_400_to_unknown_query_values(query: str) -> None:
    async with wire(strict_query=True) as w:
        answer = await w.call("GET", f"/webhooks/?{query}")
    assert answer.status == 400
    assert set(answer.body) == {"errors"}
    assert query.split("=")[0] in answer.body["errors"]


@pytest.mark.parametrize("page", ["abc", "0", "²", "9" * 40])
async def test_by_default_an_unreadable_page_is_invalid_page(page: str) -> None:
    async with wire() as w:
        answer = await w.call("GET", f"/webhooks/?page={page}")
    assert answer.status == 404
    assert answer.body == {"code": 404, "message": "Invalid page."}


@pytest.mark.parametrize(("reject", "status"), [(True, 400), (False, 201)])
async def test_an_unknown_topic_is_refused_unless_told_otherwise(reject: bool, status: int) -> None:
    body = {"url": URL, "group": "order", "action": "teleported", "hash_secret": "s"}
    async with wire(reject_unknown_topics=reject) as w:
        created = await w.call("POST", "/webhooks/", json=body)
        hook = await w.create()
        moved = await w.call("PATCH", f"/webhooks/{hook['id']}/", json={"action": "teleported"})
    assert created.status == status
    assert moved.status == (status if status == 400 else 200)
    if reject:
        assert created.body == {"errors": {"0": "Unknown topic order.teleported."}}


async def test_create_names_every_missing_or_blank_field() -> None:
    async with wire() as w:
        answer = await w.call("POST", "/webhooks/", json={"url": "", "group": 3})
    assert answer.status == 400
    assert set(answer.body["errors"]) == {"url", "group", "action", "hash_secret"}


@pytest.mark.parametrize(
    "url", ["http://example.com/h", "ftp://e.test/h", "https://", "https://e.test:99999/h"]
)
async def test_create_refuses_what_is_not_an_https_url(url: str) -> None:
    async with wire() as w:
        answer = await w.call(
            "POST",
            "/webhooks/",
            json={"url": url, "group": "order", "action": "shipped", "hash_secret": "s"},
        )
    assert answer.status == 400
    assert answer.body == {"errors": {"url": ["This value is not a valid https URL."]}}


# --- PATCH and hash_secret -----------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "status", "stored"),
    [("apply", 200, "new"), ("ignore", 200, "old"), ("reject", 400, "old")],
)
async def test_patch_hash_secret_is_applied_ignored_or_rejected(
    mode: str, status: int, stored: str
) -> None:
    async with wire(patch_hash_secret=mode) as w:
        hook = await w.create(hash_secret="old")
        answer = await w.call(
            "PATCH", f"/webhooks/{hook['id']}/", json={"hash_secret": "new", "url": f"{URL}/2"}
        )
        kept = w.emu.state.webhooks[w.emu.customer_code][hook["id"]]
    assert answer.status == status
    assert kept.hash_secret == stored
    assert "hash_secret" not in answer.body  # never echoed by an update
    assert kept.url == (URL if status == 400 else f"{URL}/2")  # nothing half-applied


async def test_put_needs_the_fields_of_the_documents_example() -> None:
    async with wire() as w:
        hook = await w.create()
        partial = await w.call("PUT", f"/webhooks/{hook['id']}/", json={"url": f"{URL}/2"})
        full = await w.call(
            "PUT",
            f"/webhooks/{hook['id']}/",
            json={"url": f"{URL}/2", "group": "order", "action": "created"},
        )
    assert partial.status == 400
    assert set(partial.body["errors"]) == {"group", "action"}
    assert full.status == 200
    assert full.body["action"] == "created"


# --- headers and the one error style ------------------------------------------------


async def test_wms_code_errors_use_the_vendors_wording() -> None:
    async with wire() as w:
        missing = await w.call("GET", "/webhooks/", wms=None)
        unknown = await w.call("POST", "/wms/auth/login/", json={}, wms="OTHER", auth=False)
    assert (missing.status, missing.body["message"]) == (400, "Missing 'X-Wms-Code' header")
    assert (unknown.status, unknown.body["message"]) == (400, "Invalid WMS")


async def errors_of_every_kind(w: Wire) -> dict[str, Any]:
    """One answer per error the emulator can give, other than 400s about fields."""
    emu = w.emu
    hook = await w.create()
    emu.faults = FaultPlan()
    found = {
        "no such path": await w.call("GET", "/nowhere/"),
        "method": await w.call("DELETE", "/webhooks/"),
        "no token": await w.call("GET", "/webhooks/", auth=False),
        "bad token": await w.call("GET", "/webhooks/", headers={"Authorization": "Bearer x"}),
        "customer missing": await w.call("GET", "/webhooks/", customer=None),
        "customer denied": await w.call("GET", "/webhooks/", customer="NOPE"),
        "wms missing": await w.call("GET", "/webhooks/", wms=None),
        "wms unknown": await w.call("GET", "/webhooks/", wms="OTHER"),
        "no such webhook": await w.call("GET", "/webhooks/nope/"),
        "page past the end": await w.call("GET", "/webhooks/?page=9"),
        "bad login": await w.call(
            "POST", "/wms/auth/login/", json={"username": "x"}, auth=False, customer=None
        ),
        "refresh reused": await w.call(
            "POST", "/wms/auth/refresh/", json={"refresh_token": "never-issued"}, auth=False
        ),
    }
    for kind in ("429", "500", "503"):
        emu.faults.fail_next(kind)
        found[kind] = await w.call("GET", f"/webhooks/{hook['id']}/")
    emu.advance(emu.token_lifetime + 1)
    found["expired"] = await w.call("GET", "/webhooks/")
    return found


@pytest.mark.parametrize("style", ["message", "detail"])
async def test_every_error_but_a_field_400_has_the_runs_one_style(style: str) -> None:
    async with wire(error_style=style) as w:
        found = await errors_of_every_kind(w)
    for what, answer in found.items():
        assert answer.status >= 400, what
        if style == "message":
            assert set(answer.body) == {"code", "message"}, what
            assert answer.body["code"] == answer.status, what
            assert isinstance(answer.body["message"], str), what
        else:
            assert set(answer.body) == {"detail"}, what
            assert isinstance(answer.body["detail"], str), what
    assert found["customer missing"].status == 400
    assert found["page past the end"].status == 404
    assert found["expired"].status == 401


@pytest.mark.parametrize("style", ["message", "detail"])
async def test_field_errors_keep_the_documented_shape_in_either_style(style: str) -> None:
    async with wire(error_style=style) as w:
        answer = await w.call("POST", "/webhooks/", json={"url": URL})
    assert answer.status == 400
    assert set(answer.body) == {"errors"}


@pytest.mark.parametrize(("with_retry_after", "expected"), [(False, None), (True, "3")])
async def test_a_503_carries_retry_after_only_when_asked(
    with_retry_after: bool, expected: str | None
) -> None:
    async with wire() as w:
        w.emu.faults = FaultPlan(retry_after=3, retry_after_503=with_retry_after)
        w.emu.faults.fail_next("503")
        answer = await w.call("GET", "/webhooks/")
    assert answer.status == 503
    assert answer.headers.get("Retry-After") == expected
