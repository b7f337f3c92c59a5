"""`resolve_base_url`: a URL that could not be requested is refused when the client is
made, with our error, never a bare ValueError and never a password in the message."""

from __future__ import annotations

import pytest
import yarl
from hypothesis import given, settings
from hypothesis import strategies as st

from ewh_webhooks import EWHClient, InvalidArgumentError
from ewh_webhooks.config import resolve_base_url

from .cli_fixtures import CLI
from .conftest import make_client


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("https://[::1", "Invalid IPv6 URL"),
        ("https://[::1]x", "not a valid URL"),
        ("https://[zz]", "not a valid URL"),
        ("https://host:abc", "not a valid URL"),
        ("https://host:99999", "not a valid URL"),
        ("https://host:-1", "not a valid URL"),
        ("https://host:0", "port from 1 to 65535"),
        ("https://ho st", "whitespace or control characters"),
        ("https://ho\tst", "whitespace or control characters"),
        ("https://host/\r\nX-Injected: 1", "whitespace or control characters"),
        ("https://host\x1b[2J", "whitespace or control characters"),
        ("https://ho\u00a0st", "whitespace or control characters"),
        ("https://host\ud800", "whitespace or control characters"),
        ("https://ho\\st", "not a valid URL"),
        ("https://:443", "not an absolute http"),
    ],
)
def test_urls_that_cannot_be_requested_are_refused_at_construction(url: str, fragment: str) -> None:
    with pytest.raises(InvalidArgumentError, match=fragment) as info:
        make_client(base_url=url)
    assert str(info.value).isprintable()  # quoted by repr: escapes, not raw controls
    with pytest.raises(InvalidArgumentError):
        EWHClient.from_env(
            {
                "EWH_USERNAME": "u",
                "EWH_PASSWORD": "p",
                "EWH_WMS_CODE": "W",
                "EWH_CUSTOMER_CODE": "C",
                "EWH_BASE_URL": url,
            }
        )


@pytest.mark.parametrize(
    "url",
    [
        "https://alice:PASSW0RD@[::1",
        "https://alice:PASSW0RD@host:abc",
        "https://alice:PASSW0RD@ho st",
        "ftp://alice:PASSW0RD@host",
        "https://alice:PASSW0RD@host",
    ],
)
def test_a_refused_url_is_quoted_without_its_password(url: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        resolve_base_url(url)
    assert "PASSW0RD" not in str(info.value)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=40).map(lambda rest: "https://" + rest),
        st.from_regex(r"\Ahttps?://[\w\[\]:.@ %-]{0,30}(:[0-9a-z-]{0,7})?(/\S{0,5})?\Z"),
    )
)
def test_a_url_is_accepted_whole_or_refused_with_our_error(url: str) -> None:
    try:
        resolved = resolve_base_url(url)
    except InvalidArgumentError:
        return
    parsed = yarl.URL(resolved)  # what aiohttp will parse at request time
    assert parsed.host
    assert parsed.port is not None
    assert 0 < parsed.port < 65536
    assert resolved.isprintable()
    assert " " not in resolved


def test_the_cli_refuses_a_bad_base_url_in_one_line(cli: CLI) -> None:
    env = {"EWH_USERNAME": "u", "EWH_PASSWORD": "p", "EWH_WMS_CODE": "W"}
    for url in ("https://[::1", "https://host:abc", "https://ho st"):
        ran = cli("--base-url", url, "--customer", "C", "list", env=env)
        assert ran.code == 2
        assert "--base-url" in ran.error_line
