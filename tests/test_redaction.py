"""Redaction: secrets out of URLs, JSON bodies and free text, whatever their shape."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from ewh_webhooks.redaction import (
    MAX_NODES,
    MAX_STRING,
    redact_json,
    redact_text,
    redact_url,
    scrub,
    secret_values,
)


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


# --- what a kept error body may hold: bounded, secrets masked ------------------------


def test_a_kept_body_holds_at_most_max_nodes_values_and_says_how_many_were_left() -> None:
    body = {"items": list(range(5000))}
    kept = redact_json(body)
    # The mapping and the list count one each: MAX_NODES - 2 numbers, then the mark.
    assert kept["items"][: MAX_NODES - 2] == list(range(MAX_NODES - 2))
    assert kept["items"][MAX_NODES - 2 :] == [f"... {5000 - (MAX_NODES - 2)} more"]
    wide = redact_json({f"k{i}": i for i in range(5000)})
    assert len(wide) == MAX_NODES  # MAX_NODES - 1 keys, then the mark
    assert wide["..."] == f"{5000 - (MAX_NODES - 1)} more"


def test_a_body_within_the_budget_is_kept_whole() -> None:
    body = {"items": list(range(MAX_NODES - 2))}
    assert redact_json(body) == body
    exact = {"s": "x" * MAX_STRING, "long": "y" * (MAX_STRING + 1)}
    kept = redact_json(exact)
    assert kept["s"] == "x" * MAX_STRING
    assert kept["long"] == "y" * MAX_STRING + "..."


@pytest.mark.parametrize(
    ("body", "also", "expected"),
    [
        ({"password": "pw", "username": "u"}, (), ["pw"]),
        ({"hash_secret": "s1", "url": "https://x"}, ("tok",), ["tok", "s1"]),
        ({"token": 5, "refresh_token": "r"}, (None, ""), ["r"]),
        (["password", "pw"], ("tok",), ["tok"]),
        (None, (), []),
    ],
)
def test_secret_values_are_what_a_body_sends_in_secret_fields(
    body: object, also: tuple[str | None, ...], expected: list[str]
) -> None:
    assert secret_values(body, *also) == expected


@pytest.mark.parametrize(
    ("text", "secrets", "expected"),
    [
        ("bad pw-SECRET here", ["pw-SECRET"], "bad *** here"),
        ("abc and abcd", ["abc", "abcd"], "abc and ***"),  # under four characters: kept
        ("token-long token-longer", ["token-long", "token-longer"], "*** ***"),
        # By length, not by value: "zzzz" sorts after "abzzzzcd" but is inside it.
        ("key abzzzzcd", ["zzzz", "abzzzzcd"], "key ***"),
        ("nothing", [], "nothing"),
    ],
)
def test_scrub_masks_known_secrets_longest_first(
    text: str, secrets: list[str], expected: str
) -> None:
    assert scrub(text, secrets) == expected
    assert redact_json({"m": text}, secrets=secrets) == {"m": expected}


def test_text_with_an_at_sign_but_no_url_is_left_alone() -> None:
    assert redact_text("mail me@example.com") == "mail me@example.com"
    assert redact_text("see https://u:pw@h.test/") == "see https://***@h.test/"
