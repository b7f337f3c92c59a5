"""`check_webhook_url` as a table, and its fast path checked against urlsplit."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Protocol
from urllib.parse import urlsplit

import pytest

from ewh_webhooks import InvalidArgumentError
from ewh_webhooks.validation import (
    _PLAIN_HTTPS,
    check_extra_headers,
    check_optional_str,
    check_page_args,
    check_seconds,
    check_secret,
    check_webhook_url,
    conforms,
    webhook_path,
)


@pytest.mark.parametrize(
    ("url", "loopback", "fragment"),
    [
        ("https://example.com/hooks", False, None),
        ("https://example.com", False, None),
        ("https://example.com:8443/h?x=1#f", False, None),
        ("https://user@example.com/h", False, "carries credentials"),
        ("https://alice:PASS@example.com/h", False, "carries credentials"),
        ("https://example.com:99999/h", False, "not a valid URL"),
        ("https://example.com:abc/h", False, "not a valid URL"),
        ("https://[2001:db8::1]/h", False, None),
        ("HTTPS://Example.COM/h", False, None),
        ("https://xn--bcher-kva.example/h", False, None),
        ("http://127.0.0.1:8080/h", True, None),
        ("http://localhost/h", True, None),
        ("http://[::1]/h", True, None),
        ("http://127.0.0.1:8080/h", False, "https"),
        ("http://example.com/h", True, "https"),
        ("ftp://example.com/h", False, "https"),
        ("example.com/h", False, "absolute"),
        ("https:///h", False, "absolute"),
        ("/relative", False, "absolute"),
        ("https://[2001:db8::1/h", False, "not a valid URL"),
        ("https://example.com/a b", False, "whitespace or control"),
        ("https://example.com/\nh", False, "whitespace or control"),
        (" https://example.com/h", False, "whitespace or control"),
        ("https://example.com/h\x00", False, "whitespace or control"),
        ("", False, "non-empty"),
        ("   ", False, "non-empty"),
        (None, False, "non-empty"),
        (b"https://example.com/h", False, "non-empty"),
    ],
)
def test_check_webhook_url(url: object, loopback: bool, fragment: str | None) -> None:
    if fragment is None:
        assert check_webhook_url(url, allow_loopback_http=loopback) == url
    else:
        with pytest.raises(InvalidArgumentError, match=fragment):
            check_webhook_url(url, allow_loopback_http=loopback)


def test_credentials_are_accepted_on_request_and_never_shown() -> None:
    url = "https://alice:PASS@example.com/h"
    assert check_webhook_url(url, allow_credentials=True) == url
    with pytest.raises(InvalidArgumentError) as caught:
        check_webhook_url(url)
    assert "PASS" not in str(caught.value)
    assert "alice:***@example.com" in str(caught.value)


def test_fast_path_accepts_only_what_urlsplit_accepts() -> None:
    """Whatever the quick pattern lets through, the full check would have accepted too."""
    pieces = ["https://", "http://", "h", "a.b", "-", ".", ":", "443", "@", "[", "]", "/", "?", "#"]
    matched = 0
    for parts in itertools.product(pieces, repeat=4):
        url = "".join(parts)
        if not _PLAIN_HTTPS.match(url):
            continue
        matched += 1
        split = urlsplit(url)
        assert split.scheme == "https", url
        assert split.hostname, url
        assert check_webhook_url(url) == url
    assert matched > 100  # the pattern was really exercised


def message(call: Callable[[], object]) -> str:
    with pytest.raises(InvalidArgumentError) as caught:
        call()
    return str(caught.value)


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        pytest.param(
            lambda: check_webhook_url(5),
            "url must be a non-empty string, got 5",
            id="url-not-a-string",
        ),
        pytest.param(
            lambda: check_webhook_url("  "),
            "url must be a non-empty string, got '  '",
            id="url-blank",
        ),
        pytest.param(
            lambda: check_webhook_url("http://127.0.0.1/h"),
            "url 'http://127.0.0.1/h' must use https (the API delivers only to https)",
            id="loopback-http-needs-the-opt-in",
        ),
        pytest.param(
            lambda: check_webhook_url("https://u:pw@h.test/"),
            "url 'https://u:***@h.test/' carries credentials (user:password@); "
            "pass allow_credentials=True to send them anyway",
            id="credentials",
        ),
        pytest.param(
            lambda: check_seconds(0, "timeout"),
            "timeout must be a finite number > 0, got 0",
            id="seconds-positive",
        ),
        pytest.param(
            lambda: check_seconds(-1, "jitter", allow_zero=True),
            "jitter must be a finite number >= 0, got -1",
            id="seconds-zero-allowed",
        ),
        pytest.param(
            lambda: check_seconds(True, "timeout"),
            "timeout must be a finite number > 0, got True",
            id="seconds-not-a-bool",
        ),
        pytest.param(
            lambda: check_seconds("5", "timeout"),
            "timeout must be a finite number > 0, got '5'",
            id="seconds-not-text",
        ),
        pytest.param(
            lambda: check_secret(5),
            "hash_secret must be a non-empty string",
            id="secret-never-echoed",
        ),
        pytest.param(
            lambda: check_optional_str(" ", "sort"),
            "sort must be a non-empty string, got ' '",
            id="optional-but-not-blank",
        ),
        pytest.param(
            lambda: webhook_path(""), "webhook id must be a non-empty string, got ''", id="id-empty"
        ),
        pytest.param(lambda: webhook_path("."), "webhook id '.' is not a valid id", id="id-dot"),
        pytest.param(lambda: webhook_path(".."), "webhook id '..' is not a valid id", id="id-dots"),
        pytest.param(
            lambda: webhook_path("a/b"), "webhook id 'a/b' is not a valid id", id="id-slash"
        ),
        pytest.param(
            lambda: check_page_args(page=0), "page must be an integer >= 1, got 0", id="page"
        ),
        pytest.param(
            lambda: check_page_args(limit=True),
            "limit must be an integer >= 1, got True",
            id="limit",
        ),
        pytest.param(
            lambda: check_page_args(sort=""), "sort must be a non-empty string, got ''", id="sort"
        ),
        pytest.param(
            lambda: check_page_args(direction="up"),
            "direction must be 'asc' or 'desc', got 'up'",
            id="direction",
        ),
        pytest.param(
            lambda: check_extra_headers(["X-A"]),
            "extra_headers must be a mapping of header names to strings",
            id="headers-not-a-mapping",
        ),
    ],
)
def test_every_refusal_names_the_argument(call: Callable[[], object], expected: str) -> None:
    assert message(call) == expected


def test_what_passes_comes_back_as_given() -> None:
    assert check_optional_str("url", "sort") == "url"
    assert check_optional_str(None, "sort") is None
    assert webhook_path("a b?") == "/webhooks/a%20b%3F/"
    check_page_args(page=2, limit=100, direction="desc", sort="url")


class Store(Protocol):
    _private: int

    async def get(self) -> None: ...

    def put(self) -> None: ...


class BothMembers:
    async def get(self) -> None: ...

    def put(self) -> None: ...


class OnlyGet:
    async def get(self) -> None: ...


class Forwarding:
    """A wrapper whose members are found only when asked for (`__getattr__`)."""

    def __getattr__(self, name: str) -> object:
        return getattr(BothMembers(), name)


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        pytest.param(BothMembers(), True, id="every-public-member"),
        pytest.param(OnlyGet(), False, id="a-member-missing"),
        pytest.param(Forwarding(), True, id="members-forwarded-by-getattr"),
        pytest.param(object(), False, id="nothing"),
    ],
)
def test_conforms_looks_members_up_as_a_call_would(obj: object, expected: bool) -> None:
    assert conforms(obj, Store) is expected


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("x" * 38, repr("x" * 38)),  # a repr of exactly 40 characters: whole
        ("x" * 39, repr("x" * 39)[:40] + "..."),
        (10**400, str(10**400)[:40] + "..."),
    ],
)
def test_a_long_bad_number_of_seconds_is_shown_cut(value: object, shown: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        check_seconds(value, "timeout")
    assert str(caught.value) == f"timeout must be a finite number > 0, got {shown}"


@pytest.mark.parametrize(
    ("webhook_id", "shown"),
    [
        ("a/" + "x" * 78, "a/" + "x" * 78),  # exactly 80 characters: whole
        ("a/" + "x" * 79, "a/" + "x" * 78 + "..."),
        ("a/" + "x" * 500, "a/" + "x" * 78 + "..."),
    ],
)
def test_a_long_invalid_webhook_id_is_shown_cut(webhook_id: str, shown: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        webhook_path(webhook_id)
    assert str(caught.value) == f"webhook id {shown!r} is not a valid id"
