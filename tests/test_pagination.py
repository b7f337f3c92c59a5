"""Where the next page is: a pure decision, tested with a table."""

from __future__ import annotations

import logging

import pytest

from ewh_webhooks.converter import structure_raw_page
from ewh_webhooks.pagination import PageRef, last_page_number, next_page, same_origin

BASE = "https://api.test"
HOOK = {"id": "1", "url": "https://e.test/", "group": "order", "action": "created"}


def by_number(n: int) -> str:
    return f"{BASE}/webhooks/?page={n}&limit=2"


def page(results: int, **extra: object) -> object:
    return structure_raw_page(
        {"results": [{**HOOK, "id": str(i)} for i in range(results)], **extra}, what="t"
    )


CURRENT = PageRef(1, by_number(1))


@pytest.mark.parametrize(
    ("body", "seen", "expected"),
    [
        (page(0, count=10, next=BASE + "/webhooks/?page=2"), 0, None),  # empty page ends
        (page(2, count=10, next=None), 2, None),  # next: null ends
        # a count lower than the real total never cuts a listing short: next wins
        (
            page(2, count=4, next=BASE + "/webhooks/?page=2"),
            4,
            PageRef(2, BASE + "/webhooks/?page=2", linked=True),
        ),
        # without a next key, the count ends the listing
        (page(2, count=4), 4, None),
        (
            page(2, count=10, next=BASE + "/webhooks/?page=2"),
            2,
            PageRef(2, BASE + "/webhooks/?page=2", linked=True),
        ),
        (
            page(2, count=10, next="/webhooks/?page=2"),
            2,
            PageRef(2, BASE + "/webhooks/?page=2", linked=True),
        ),
        (
            page(2, count=10, next="?page=2&limit=2"),
            2,
            PageRef(2, BASE + "/webhooks/?page=2&limit=2", linked=True),
        ),
        # another origin: the token never goes there; go on by number instead
        (page(2, count=10, next="https://evil.test/webhooks/?page=2"), 2, PageRef(2, by_number(2))),
        (page(2, count=10, next="http://api.test/webhooks/?page=2"), 2, PageRef(2, by_number(2))),
        # same origin but with credentials, or a port that is not a number: never followed
        (
            page(2, count=10, next="https://u:p@api.test/webhooks/?page=2"),
            2,
            PageRef(2, by_number(2)),
        ),
        (
            page(2, count=10, next="https://api.test:abc/webhooks/?page=2"),
            2,
            PageRef(2, by_number(2)),
        ),
        (page(2, count=10, next="http://[::1/webhooks/"), 2, PageRef(2, by_number(2))),
        # no next key: by page number
        (page(2, count=10), 2, PageRef(2, by_number(2))),
        (page(2), 2, PageRef(2, by_number(2))),
        # a short page is not the end when more remain (the server capped limit)
        (page(1, count=3), 1, PageRef(2, by_number(2))),
    ],
)
def test_next_page_table(body: object, seen: int, expected: PageRef | None) -> None:
    assert (
        next_page(body, current=CURRENT, seen=seen, base_url=BASE, by_number=by_number) == expected
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "same"),
    [
        ("https://api.test/x", True),
        ("https://api.test:443/x", True),
        ("https://API.test/x", True),
        ("http://api.test/x", False),
        ("https://api.test:8443/x", False),
        ("https://other.test/x", False),
    ],
)
def test_same_origin(url: str, same: bool) -> None:
    assert same_origin(url, BASE) is same


@pytest.mark.parametrize(
    ("url", "same"),
    [
        pytest.param("http://api.test:80/x", True, id="http-default-port-is-80"),
        pytest.param("http://api.test:81/x", False, id="another-http-port"),
    ],
)
def test_same_origin_knows_the_default_http_port(url: str, same: bool) -> None:
    assert same_origin(url, "http://api.test") is same


def test_a_next_link_that_is_not_followed_is_logged_redacted_and_cut(
    caplog: pytest.LogCaptureFixture,
) -> None:
    far = "https://u:pw@evil.test/" + "x" * 300
    body = page(2, count=10, next=far)
    with caplog.at_level(logging.WARNING, logger="ewh_webhooks.pagination"):
        next_page(body, current=CURRENT, seen=2, base_url=BASE, by_number=by_number)  # type: ignore[arg-type]
    (record,) = caplog.records
    # Redacted first, then cut: a password past the cut could not be redacted after it.
    shown = ("https://u:***@evil.test/" + "x" * 300)[:200]
    assert record.getMessage() == (
        f"ignoring a next link {shown!r} that is not on {BASE}; going on by page number"
    )


@pytest.mark.parametrize(
    ("count", "page_size", "pages"),
    [
        pytest.param(None, 10, None, id="no-count"),
        pytest.param(10, 0, None, id="empty-first-page"),
        pytest.param(0, 10, 1, id="nothing-is-still-one-page"),
        pytest.param(5, 10, 1, id="less-than-a-page"),
        pytest.param(1, 1, 1, id="one-by-one"),
        pytest.param(9, 3, 3, id="exact"),
        pytest.param(10, 3, 4, id="a-last-partial-page"),
    ],
)
def test_last_page_number(count: int | None, page_size: int, pages: int | None) -> None:
    assert last_page_number(count, page_size) == pages
