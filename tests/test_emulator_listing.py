"""The emulator's listing decisions (pure) and its webhook table: pages cover every
webhook exactly once, follow creates and deletes, and cost the same on any page."""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ewh_webhooks.testing import WebhookTable
from ewh_webhooks.testing.listing import (
    ListingQuery,
    PageNotFound,
    QueryRejected,
    read_query,
    window,
)


def read(query: dict[str, str], *, strict: bool = False, max_limit: int | None = 100) -> Any:
    try:
        return read_query(query, default_limit=50, max_limit=max_limit, strict=strict)
    except QueryRejected as exc:
        return ("400", sorted(exc.errors))
    except PageNotFound:
        return "404"


@pytest.mark.parametrize(
    ("query", "strict", "expected"),
    [
        ({}, False, ListingQuery(page=1, limit=50)),
        ({"page": "3", "limit": "20"}, False, ListingQuery(page=3, limit=20)),
        ({"limit": "500"}, False, ListingQuery(page=1, limit=100)),  # capped quietly
        ({"limit": "500"}, True, ListingQuery(page=1, limit=100)),  # strict caps too
        ({"direction": "desc"}, False, ListingQuery(page=1, limit=50, descending=True)),
        ({"sort": "url", "direction": "asc"}, True, ListingQuery(page=1, limit=50, sort="url")),
        # lenient: ignored or defaulted
        ({"sort": "colour"}, False, ListingQuery(page=1, limit=50)),
        ({"direction": "up"}, False, ListingQuery(page=1, limit=50)),
        ({"limit": "-5"}, False, ListingQuery(page=1, limit=50)),
        ({"limit": "0"}, False, ListingQuery(page=1, limit=50)),
        ({"limit": " 5"}, False, ListingQuery(page=1, limit=50)),
        ({"page": "0"}, False, "404"),
        ({"page": "x"}, False, "404"),
        ({"page": "1" * 19}, False, "404"),
        # strict: 400, naming every field at once
        ({"sort": "colour"}, True, ("400", ["sort"])),
        ({"direction": "up"}, True, ("400", ["direction"])),
        ({"page": "0", "limit": "x"}, True, ("400", ["limit", "page"])),
    ],
)
def test_read_query(query: dict[str, str], strict: bool, expected: Any) -> None:
    assert read(query, strict=strict) == expected


def test_without_max_limit_any_limit_is_served() -> None:
    assert read({"limit": "100000"}, max_limit=None) == ListingQuery(page=1, limit=100000)


@pytest.mark.parametrize(
    ("total", "page", "limit", "expected"),
    [
        (0, 1, 50, (0, 0)),  # page 1 of nothing is an empty page, not a 404
        (10, 1, 3, (0, 3)),
        (10, 4, 3, (9, 10)),
        (10, 5, 3, "404"),
        (9, 4, 3, "404"),
    ],
)
def test_window(total: int, page: int, limit: int, expected: Any) -> None:
    try:
        assert window(total, page, limit, past_end_404=True) == expected
    except PageNotFound:
        assert expected == "404"


@given(total=st.integers(0, 300), limit=st.integers(1, 60))
def test_pages_cover_every_item_exactly_once(total: int, limit: int) -> None:
    seen: list[int] = []
    page = 1
    while True:
        try:
            start, stop = window(total, page, limit, past_end_404=True)
        except PageNotFound:
            break
        seen.extend(range(start, stop))
        if stop >= total:
            with pytest.raises(PageNotFound):  # and the page after the last is a 404
                window(total, page + 1, limit, past_end_404=True)
            break
        page += 1
    assert seen == list(range(total))


@given(total=st.integers(0, 100), page=st.integers(1, 50), limit=st.integers(1, 30))
def test_an_empty_page_past_the_end_when_asked(total: int, page: int, limit: int) -> None:
    start, stop = window(total, page, limit, past_end_404=False)
    assert 0 <= start <= stop <= total
    assert stop - start <= limit


# --- the table ---------------------------------------------------------------------

OPS = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.integers(0, 40)),
        st.tuples(st.just("del"), st.integers(0, 40)),
        st.tuples(st.just("window"), st.integers(0, 45), st.integers(0, 12), st.booleans()),
    ),
    max_size=60,
)


@given(OPS)
def test_the_table_behaves_like_a_dict_in_creation_order(ops: list[tuple[Any, ...]]) -> None:
    table = WebhookTable()
    model: dict[str, Any] = {}
    for op in ops:
        if op[0] == "add":
            key, value = str(op[1]), object()
            table[key] = value
            model[key] = value
        elif op[0] == "del":
            key = str(op[1])
            assert (table.pop(key, None) is None) == (model.pop(key, None) is None)
        else:
            _, start, size, reverse = op
            values = list(model.values())
            expected = (
                values[::-1][start : start + size] if reverse else values[start : start + size]
            )
            assert table.window(start, start + size, reverse=reverse) == expected
        assert list(table) == list(model)
        assert len(table) == len(model)
    assert list(table.values()) == list(model.values())
    assert dict(table.items()) == model


def test_serving_a_far_page_costs_what_the_first_page_costs() -> None:
    table = WebhookTable()
    for i in range(200_000):
        table[str(i)] = object()  # type: ignore[assignment]
    table.window(0, 1)

    def cost(start: int) -> float:
        best = float("inf")
        for _ in range(30):
            began = time.perf_counter()
            table.window(start, start + 100)
            best = min(best, time.perf_counter() - began)
        return best

    first, far = cost(0), cost(199_900)
    # Slicing from the start of the mapping made the far page ~1000x dearer.
    assert far < 5 * first + 20e-6, (first, far)
