"""`check_webhook_url` as a table, and its fast path checked against urlsplit."""

from __future__ import annotations

import itertools
from urllib.parse import urlsplit

import pytest

from ewh_webhooks import InvalidArgumentError
from ewh_webhooks.validation import _PLAIN_HTTPS, check_webhook_url


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
