"""Redaction: secrets out of URLs, JSON bodies and free text, whatever their shape."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from ewh_webhooks.redaction import redact_json, redact_text, redact_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        pytest.param("https://h.test/x", "https://h.test/x", id="nothing-to-hide"),
        pytest.param("https://u:pw@h.test/x", "https://u:***@h.test/x", id="password"),
        pytest.param("https://token@h.test/x", "https://***@h.test/x", id="user-only-is-a-token"),
        pytest.param("https://:pw@h.test/x", "https://:***@h.test/x", id="password-only"),
        pytest.param("https://u:pw@h.test:8443/x", "https://u:***@h.test:8443/x", id="port-kept"),
        pytest.param(
            "https://u:pw@[::1]:8080/x", "https://u:***@[::1]:8080/x", id="ipv6-host-bracketed"
        ),
        pytest.param("https://u:pw@/x", "https://u:***@/x", id="no-host"),
        pytest.param("https://h.test/x?token=abc", "https://h.test/x?token=***", id="query-secret"),
        pytest.param(
            "https://h.test/?a=&Token=t&x=1",
            "https://h.test/?a=&Token=***&x=1",
            id="other-and-blank-parameters-kept",
        ),
        pytest.param("https://h.test/?x=1&y=2", "https://h.test/?x=1&y=2", id="no-secret-in-query"),
        pytest.param("https://u:pw@[::1/x", "<unparseable URL>", id="unparseable"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def nested(depth: int, leaf: Any, wrap: str) -> Any:
    for _ in range(depth):
        leaf = [leaf] if wrap == "list" else {"k": leaf}
    return leaf


@pytest.mark.parametrize("wrap", ["list", "dict"])
def test_redact_json_stops_at_depth_32(wrap: str) -> None:
    assert redact_json(nested(32, "x", wrap)) == nested(32, "x", wrap)
    assert redact_json(nested(33, "x", wrap)) == nested(33, "...", wrap)


def test_redact_json_masks_secret_fields_and_urls_and_keeps_the_rest() -> None:
    body = {
        "Hash_Secret": "s",
        "items": [{"url": "https://u:pw@h.test/", "note": "a://b", "n": 1}],
        "message": "plain",
        5: None,
    }
    assert redact_json(body) == {
        "Hash_Secret": "***",
        "items": [{"url": "https://u:***@h.test/", "note": "a://b", "n": 1}],
        "message": "plain",
        5: None,
    }


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        pytest.param('{"token": "abc", "x": 1}', '{"token": ***, "x": 1}', id="json-text"),
        pytest.param("password=hunter2; next", "password=***; next", id="key-value"),
        pytest.param("see https://u:p@h.test/x", "see https://***@h.test/x", id="url-credentials"),
        pytest.param("mail me at a@b.test", "mail me at a@b.test", id="no-url-no-change"),
        pytest.param("see https://h.test/x", "see https://h.test/x", id="url-without-credentials"),
    ],
)
def test_redact_text(text: str, shown: str) -> None:
    assert redact_text(text) == shown


def test_a_password_behind_extra_slashes_is_still_hidden() -> None:
    # Found by test_properties.test_redacted_urls_never_show_the_password (user "//"):
    # urlsplit sees an empty authority there, a WHATWG parser a password.
    shown = redact_url("https:////:pw@host.test/path")
    assert urlsplit(shown).password in (None, "***")
    assert "pw" not in shown
