"""What the worker decides after a failed attempt: a pure function, tested with tables."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ewh_webhooks import InvalidArgumentError
from ewh_webhooks.inbox.backoff import (
    Backoff,
    FailureDecision,
    backoff_delay,
    decide_claim,
    decide_failure,
)

DEFAULT = Backoff()


@pytest.mark.parametrize(
    ("attempt", "rand", "expected"),
    [
        (1, 0.0, 5.0),
        (2, 0.0, 10.0),
        (3, 0.0, 20.0),
        (7, 0.0, 320.0),
        (8, 0.0, 600.0),  # capped
        (10_000, 0.0, 600.0),  # no overflow
        (0, 0.0, 5.0),  # nonsense attempt numbers still give the first delay
        (1, 1.0, 3.75),  # jitter shortens by at most 25 %
        (3, 0.5, 17.5),
    ],
)
def test_backoff_doubles_from_five_seconds_to_ten_minutes_jittered_down(
    attempt: int, rand: float, expected: float
) -> None:
    assert backoff_delay(DEFAULT, attempt, rand) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("attempt", "max_attempts", "permanent", "expected"),
    [
        (1, 8, False, FailureDecision(False, 5.0, "attempt 1 of 8 failed; retry in 5.0s")),
        (7, 8, False, FailureDecision(False, 320.0, "attempt 7 of 8 failed; retry in 320.0s")),
        (8, 8, False, FailureDecision(True, 0.0, "attempt 8 of 8 failed")),
        (9, 8, False, FailureDecision(True, 0.0, "attempt 9 of 8 failed")),  # replayed past it
        (1, 1, False, FailureDecision(True, 0.0, "attempt 1 of 1 failed")),
        (1, 8, True, FailureDecision(True, 0.0, "the stored delivery cannot be parsed")),
    ],
)
def test_decide_failure_retries_until_max_attempts_then_dead_letters(
    attempt: int, max_attempts: int, permanent: bool, expected: FailureDecision
) -> None:
    decision = decide_failure(
        DEFAULT, attempt=attempt, max_attempts=max_attempts, rand=0.0, permanent=permanent
    )
    assert decision == expected


@pytest.mark.parametrize(
    ("attempt", "max_attempts", "dead"),
    [(1, 1, False), (1, 8, False), (8, 8, False), (9, 8, True), (2, 1, True), (50, 8, True)],
)
def test_decide_claim_runs_every_attempt_up_to_max_attempts_and_no_more(
    attempt: int, max_attempts: int, dead: bool
) -> None:
    decision = decide_claim(attempt=attempt, max_attempts=max_attempts)
    if not dead:
        assert decision is None
    else:
        assert decision is not None
        assert decision.dead
        assert decision.reason.startswith(f"attempt {attempt} of {max_attempts}: ")
        assert "never finished" in decision.reason


@given(
    attempt=st.integers(min_value=-5, max_value=10**6),
    rand=st.floats(min_value=0.0, max_value=1.0, exclude_max=True),
)
def test_every_delay_is_finite_and_within_bounds(attempt: int, rand: float) -> None:
    delay = backoff_delay(DEFAULT, attempt, rand)
    assert math.isfinite(delay)
    assert DEFAULT.initial * (1 - DEFAULT.jitter) <= delay <= DEFAULT.maximum


@pytest.mark.parametrize(
    "kwargs",
    [
        {"initial": 0},
        {"initial": math.nan},
        {"maximum": math.inf},
        {"jitter": -0.1},
        {"multiplier": "2"},
    ],
)
def test_backoff_rejects_settings_that_are_not_finite_positive_seconds(
    kwargs: dict[str, object],
) -> None:
    with pytest.raises(InvalidArgumentError):
        Backoff(**kwargs)  # type: ignore[arg-type]
