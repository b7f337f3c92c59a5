"""The CLI's pure pieces: message translation, argument types."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ewh_webhooks import InvalidArgumentError
from ewh_webhooks.cli.output import cli_message
from ewh_webhooks.cli.parser import MAX_COUNT, MAX_TIMEOUT, count, port, positive_int, seconds


def test_messages_name_flags_and_fit_on_one_line() -> None:
    exc = InvalidArgumentError(
        "unknown webhook topic 'a.b'; pass validate_topic=False\nbase_url 'https://u:pw@h' bad"
    )
    assert cli_message(exc) == (
        "unknown webhook topic 'a.b'; pass --no-validate-topic; --base-url 'https://***@h' bad"
    )


# --- argument types: a value or ArgumentTypeError, never anything else


@pytest.mark.parametrize(
    ("parse", "text", "value"),
    [
        (seconds, "2.5", 2.5),
        (seconds, "86400", 86400.0),
        (port, "0", 0),
        (port, "65535", 65535),
        (count, "1", 1),
        (count, str(MAX_COUNT), MAX_COUNT),
        (positive_int, "100", 100),
    ],
)
def test_argument_types_accept(parse: Callable[[str], object], text: str, value: object) -> None:
    assert parse(text) == value


@pytest.mark.parametrize(
    ("parse", "text"),
    [
        *(
            (seconds, t)
            for t in ("nan", "NaN", "inf", "-inf", "0", "-0.0", "-1", "86401", "1e309", "", "x")
        ),
        *((port, t) for t in ("-1", "65536", "99999", "1.5", "9" * 5000)),
        *((count, t) for t in ("0", "-5", str(MAX_COUNT + 1), "9" * 5000)),
        *((positive_int, t) for t in ("0", "-1", "1e3", "9" * 5000)),
    ],
)
def test_argument_types_refuse(parse: Callable[[str], object], text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        parse(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30) | st.floats().map(repr))
def test_seconds_is_finite_positive_or_refused(text: str) -> None:
    try:
        value = seconds(text)
    except argparse.ArgumentTypeError:
        return
    assert math.isfinite(value)
    assert 0 < value <= MAX_TIMEOUT
