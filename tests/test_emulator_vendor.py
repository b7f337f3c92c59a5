"""The emulator's own knowledge of the vendor, and the SDK's checked against it.

The two are written separately on purpose: where they disagree, one of them is wrong,
and these tests say so instead of both sides sharing the mistake.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import ewh_webhooks.testing
from ewh_webhooks import KNOWN_TOPICS, InvalidArgumentError
from ewh_webhooks.testing.vendor import (
    ENTITY_BY_GROUP,
    TOPICS,
    format_topic,
    is_known_topic,
    url_problem,
)
from ewh_webhooks.validation import check_webhook_url


def test_no_emulator_module_imports_the_sdks_checks() -> None:
    package = Path(ewh_webhooks.testing.__file__).parent
    borrowed = {"topics", "validation", "config"}  # KNOWN_TOPICS, check_webhook_url, loopback
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [alias.name for alias in node.names]
                if node.level == 0:
                    names = [n.removeprefix("ewh_webhooks.") for n in names]
                elif node.level != 2:
                    continue  # a sibling in the testing package
                assert not borrowed.intersection(names), (path.name, names)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    assert alias.name.removeprefix("ewh_webhooks.") not in borrowed, path.name


def test_the_sdk_knows_exactly_the_emulators_22_topics() -> None:
    emulator_topics = {f"{g}.{a}" for g, actions in TOPICS.items() for a in actions}
    assert len(emulator_topics) == 22
    assert set(KNOWN_TOPICS) == emulator_topics


def test_every_group_has_an_entity_and_stock_events_carry_variant() -> None:
    assert set(ENTITY_BY_GROUP) == set(TOPICS)
    assert ENTITY_BY_GROUP["stock"] == "variant"


@pytest.mark.parametrize(
    ("group", "action", "known"),
    [("order", "shipped", True), ("stock", "updated", True), ("stock", "created", False),
     ("orders", "shipped", False), ("order.shipped", "", False)],
)  # fmt: skip
def test_is_known_topic(group: str, action: str, known: bool) -> None:
    assert is_known_topic(group, action) is known


@pytest.mark.parametrize(
    ("style", "expected"),
    [("none", None), ("dot", "order.shipped"), ("slash", "order/shipped"), ("underscore", "order_shipped")],
)  # fmt: skip
def test_format_topic(style: str, expected: str | None) -> None:
    assert format_topic("order", "shipped", style) == expected


URLS = [
    # (url, accepted by the API as the emulator models it)
    ("https://example.com/hooks", True),
    ("https://example.com:8443/h?x=1#f", True),
    ("HTTPS://Example.COM/h", True),
    ("https://[2001:db8::1]/h", True),
    ("http://127.0.0.1:8080/h", True),  # the emulator's loopback allowance
    ("http://localhost/h", True),
    ("http://[::1]:9/h", True),
    ("https://bob:pw@example.com/h", True),  # the document does not forbid credentials
    ("http://example.com/h", False),
    ("http://10.0.0.1/h", False),
    ("ftp://example.com/h", False),
    ("https://", False),
    ("https:///path", False),
    ("example.com/h", False),
    ("https://exa mple.com/h", False),
    ("https://example.com/h\n", False),
    ("https://example.com:99999/h", False),
    ("https://example.com:port/h", False),
    ("https://[::1/h", False),
    ("", False),
]


@pytest.mark.parametrize(("url", "accepted"), URLS)
def test_url_problem(url: str, accepted: bool) -> None:
    assert (url_problem(url) is None) is accepted


@pytest.mark.parametrize("value", [None, 3, b"https://e.test/"])
def test_a_url_that_is_no_string_is_blank(value: object) -> None:
    assert url_problem(value) == "This value should not be blank."


def sdk_accepts(url: str) -> bool:
    try:
        # Credentials in a URL are the SDK's own policy (refused unless allowed), not the API's.
        check_webhook_url(url, allow_loopback_http=True, allow_credentials=True)
    except InvalidArgumentError:
        return False
    return True


# Where the SDK's check is known to differ from the emulator's: each is a bug report
# for one of them (strict xfail, so a fix turns it into a failure to remove). This test
# found two, since fixed: the SDK accepted ports above 65535 and ports that are no number.
SDK_DIVERGES: dict[str, str] = {}


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        pytest.param(url, accepted, marks=pytest.mark.xfail(reason=SDK_DIVERGES[url], strict=True))
        if url in SDK_DIVERGES
        else (url, accepted)
        for url, accepted in URLS
    ],
)
def test_the_sdk_judges_each_url_as_the_emulator_does(url: str, accepted: bool) -> None:
    assert sdk_accepts(url) is accepted


HOSTS = st.sampled_from(["example.com", "a-b.example", "127.0.0.1", "localhost", "[::1]", "x"])
URLISH = st.builds(
    lambda scheme, host, port, path: f"{scheme}{host}{port}{path}",
    st.sampled_from(["https://", "http://", "HTTPS://", "ftp://", "", "https:/"]),
    HOSTS,
    st.sampled_from(["", ":443", ":8080", ":0", ":65535"]),
    st.sampled_from(["", "/", "/hooks", "/h?x=1", "#f"]),
)


@given(URLISH)
def test_the_sdk_and_the_emulator_agree_on_ordinary_urls(url: str) -> None:
    assert sdk_accepts(url) is (url_problem(url) is None), url
