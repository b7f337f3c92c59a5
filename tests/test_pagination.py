"""Where the next page is: a pure decision, tested with a table."""

from __future__ import annotations

import pytest

from ewh_webhooks.converter import structure_raw_page
from ewh_webhooks.pagination import PageRef, next_page, same_origin

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
