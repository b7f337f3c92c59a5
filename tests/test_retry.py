"""Retry decisions: pure functions, tested with tables."""

from __future__ import annotations

import math

import pytest

from ewh_webhooks import InvalidArgumentError, RetryPolicy
from ewh_webhooks.retry import (
    MAX_THROTTLE_PAUSE,
    RetryDecision,
    backoff_delay,
    decide_retry,
    parse_retry_after,
    throttle_pause,
)

POLICY = RetryPolicy()


@pytest.mark.parametrize(
    ("retry_number", "rand", "expected"),
    [
        (0, 0.0, 0.5),
        (1, 0.0, 1.0),
        (2, 0.0, 2.0),
        (3, 0.0, 4.0),
        (4, 0.0, 8.0),
        (5, 0.0, 8.0),  # capped
        (500, 0.0, 8.0),  # no overflow
        (0, 1.0, 0.375),  # jitter shortens by at most 25 %
        (4, 0.5, 7.0),
    ],
)
def test_backoff_doubles_from_half_a_second_to_eight_with_jitter(
    retry_number: int, rand: float, expected: float
) -> None:
    assert backoff_delay(POLICY, retry_number, rand) == pytest.approx(expected)


NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("3", 3.0),
        ("2.5", 2.5),
        (" 7 ", 7.0),
        ("-4", 0.0),
        ("nan", None),
        ("soon", None),
        ("Tue, 14 Nov 2023 22:13:30 GMT", 10.0),  # NOW + 10 s as an HTTP date
        ("Tue, 14 Nov 2023 22:13:00 GMT", 0.0),  # in the past
    ],
)
def test_parse_retry_after_reads_seconds_and_http_dates(
    value: str | None, expected: float | None
) -> None:
    result = parse_retry_after(value, now=NOW)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected, abs=0.01)


@pytest.mark.parametrize(
    ("method", "status", "request_sent", "retries_done", "retry_after", "retry", "delay"),
    [
        ("GET", 503, True, 0, None, True, 0.5),
        ("GET", 500, True, 1, None, True, 1.0),
        ("GET", 502, True, 2, None, True, 2.0),
        ("GET", 504, True, 0, None, True, 0.5),
        ("GET", 408, True, 0, None, True, 0.5),
        ("GET", 429, True, 0, 3.0, True, 3.0),
        ("GET", 429, True, 0, 61.0, False, 0.0),  # beyond the Retry-After cap
        ("GET", 503, True, 3, None, False, 0.0),  # retries exhausted
        ("GET", 400, True, 0, None, False, 0.0),
        ("GET", 401, True, 0, None, False, 0.0),
        ("GET", 404, True, 0, None, False, 0.0),
        ("GET", 501, True, 0, None, False, 0.0),
        ("PATCH", 502, True, 0, None, True, 0.5),
        ("DELETE", 500, True, 0, None, True, 0.5),
        ("POST", 429, True, 0, None, True, 0.5),
        ("POST", 503, True, 0, 2.0, True, 2.0),
        ("POST", 500, True, 0, None, False, 0.0),  # may have acted
        ("POST", 502, True, 0, None, False, 0.0),
        ("POST", 504, True, 0, None, False, 0.0),
        ("GET", None, True, 0, None, True, 0.5),  # transport error, idempotent
        ("POST", None, True, 0, None, False, 0.0),  # sent: may have been stored
        ("POST", None, False, 0, None, True, 0.5),  # refused: never sent
    ],
)
def test_decide_retry_table(
    method: str,
    status: int | None,
    request_sent: bool,
    retries_done: int,
    retry_after: float | None,
    retry: bool,
    delay: float,
) -> None:
    decision = decide_retry(
        POLICY,
        method=method,
        retries_done=retries_done,
        elapsed=0.0,
        status=status,
        request_sent=request_sent,
        retry_after=retry_after,
        rand=0.0,
    )
    assert decision.retry is retry, decision.reason
    assert decision.delay == pytest.approx(delay)
    assert decision.reason


def test_deadline_stops_a_retry_that_would_outlive_it() -> None:
    policy = RetryPolicy(deadline=10.0)
    assert decide_retry(policy, method="GET", retries_done=0, elapsed=9.0, status=503).retry
    late = decide_retry(policy, method="GET", retries_done=0, elapsed=9.8, status=503)
    assert not late.retry
    assert "deadline" in late.reason


def test_random_source_is_called_for_jitter() -> None:
    decision = decide_retry(
        POLICY, method="GET", retries_done=0, elapsed=0, status=503, rand=lambda: 1.0
    )
    assert decision.delay == pytest.approx(0.375)


def test_policy_rejects_negative_settings() -> None:
    with pytest.raises(InvalidArgumentError, match="max_retries"):
        RetryPolicy(max_retries=-1)
    assert RetryPolicy.none().max_retries == 0


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(True, id="a-bool-is-not-a-count"),
        pytest.param(1.5, id="a-float-is-not-a-count"),
        pytest.param("3", id="a-string-is-not-a-count"),
        pytest.param(-1, id="negative"),
    ],
)
def test_max_retries_must_be_an_integer_of_zero_or_more(value: object) -> None:
    with pytest.raises(InvalidArgumentError, match=r"RetryPolicy\.max_retries must be an integer"):
        RetryPolicy(max_retries=value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        pytest.param(
            "deadline", r"RetryPolicy\.deadline must be a finite number > 0", id="deadline"
        ),
        pytest.param("jitter", r"RetryPolicy\.jitter must be a finite number >= 0", id="jitter"),
    ],
)
def test_a_bad_setting_is_named_in_the_error(setting: str, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        RetryPolicy(**{setting: -1.0})


def test_the_exponent_stops_growing_at_64_so_an_absurd_retry_count_cannot_overflow() -> None:
    uncapped = RetryPolicy(backoff_initial=1.0, backoff_multiplier=2.0, backoff_max=1e300)
    assert backoff_delay(uncapped, 64, 0.0) == 2.0**64
    assert backoff_delay(uncapped, 10**9, 0.0) == 2.0**64


def test_a_jitter_above_one_never_makes_a_delay_negative() -> None:
    assert backoff_delay(RetryPolicy(jitter=1.5), 0, 1.0) == 0.0


def test_an_http_date_against_a_clock_that_is_not_finite_is_no_retry_after() -> None:
    assert parse_retry_after("Tue, 14 Nov 2023 22:13:30 GMT", now=math.nan) is None


@pytest.mark.parametrize(
    ("method", "status", "request_sent", "retry_after", "reason"),
    [
        pytest.param("GET", None, True, None, "connection failed", id="dropped-connection"),
        pytest.param(
            "POST", None, False, None, "connection failed before sending", id="refused-connection"
        ),
        pytest.param("GET", 503, True, None, "status 503", id="status"),
        pytest.param(
            "GET", 429, True, 3.0, "status 429, Retry-After 3.00s", id="status-and-retry-after"
        ),
        pytest.param(
            "POST", None, True, None, "POST may have reached the server", id="post-not-repeated"
        ),
        pytest.param("GET", 404, True, None, "status 404 is not retried", id="final-status"),
        pytest.param(
            "POST", 500, True, None, "POST is not retried on status 500", id="post-on-500"
        ),
        pytest.param(
            "GET", 429, True, 61.0, "Retry-After 61.0s exceeds 60.0s", id="retry-after-too-long"
        ),
    ],
)
def test_every_decision_says_why(
    method: str, status: int | None, request_sent: bool, retry_after: float | None, reason: str
) -> None:
    decision = decide_retry(
        POLICY,
        method=method,
        retries_done=0,
        elapsed=0.0,
        status=status,
        request_sent=request_sent,
        retry_after=retry_after,
    )
    assert decision.reason == reason


def test_a_transport_failure_is_assumed_to_have_reached_the_server_unless_told_otherwise() -> None:
    assert not decide_retry(POLICY, method="POST", retries_done=0, elapsed=0.0).retry


def test_without_a_random_source_the_delay_is_the_full_backoff() -> None:
    assert decide_retry(POLICY, method="GET", retries_done=2, elapsed=0.0, status=503).delay == 2.0


def test_a_retry_after_of_exactly_the_cap_is_waited_for() -> None:
    decision = decide_retry(
        POLICY, method="GET", retries_done=0, elapsed=0.0, status=429, retry_after=60.0
    )
    assert (decision.retry, decision.delay) == (True, 60.0)


def test_a_retry_that_ends_exactly_at_the_deadline_still_goes() -> None:
    policy = RetryPolicy(deadline=10.0)
    decision = decide_retry(policy, method="GET", retries_done=0, elapsed=9.5, status=503)
    assert (decision.retry, decision.delay) == (True, 0.5)
    late = decide_retry(policy, method="GET", retries_done=0, elapsed=9.75, status=503)
    assert (late.retry, late.reason) == (False, "deadline of 10.0s would pass")


RETRIED = RetryDecision(True, 1.5, "status 429")
NOT_RETRIED = RetryDecision(False, reason="gave up after 3 retries")


@pytest.mark.parametrize(
    ("status", "retry_after", "decision", "pause"),
    [
        (200, None, NOT_RETRIED, 0.0),  # not throttled
        (500, None, RETRIED, 0.0),  # an error, but no throttling: this task's own backoff
        (404, None, NOT_RETRIED, 0.0),
        (429, None, RETRIED, 1.5),  # retried: everyone waits as long as this retry
        (429, 1.5, RETRIED, 1.5),
        (503, 3.0, RetryDecision(True, 3.0, "x"), 3.0),  # any Retry-After throttles
        (429, 2.0, NOT_RETRIED, 2.0),  # retries used up: the others still wait
        (429, None, NOT_RETRIED, 4.0),  # no Retry-After: the backoff of retry 3
        (429, 90.0, NOT_RETRIED, 90.0),  # past max_retry_after: raised, still obeyed
        (503, 5.0, NOT_RETRIED, 5.0),
        (429, 1e9, NOT_RETRIED, MAX_THROTTLE_PAUSE),  # capped
        (429, 0.0, NOT_RETRIED, 0.0),  # "Retry-After: 0": no pause
    ],
)
def test_a_throttled_answer_pauses_everyone_whether_or_not_it_is_retried(
    status: int, retry_after: float | None, decision: RetryDecision, pause: float
) -> None:
    assert throttle_pause(
        POLICY,
        status=status,
        retry_after=retry_after,
        decision=decision,
        retries_done=3,
        rand=0.0,
    ) == pytest.approx(pause)


def test_the_fallback_pause_is_jittered_by_the_random_source() -> None:
    pause = throttle_pause(
        POLICY, status=429, retry_after=None, decision=NOT_RETRIED, retries_done=0, rand=lambda: 1.0
    )
    assert pause == pytest.approx(backoff_delay(POLICY, 0, 1.0))
    assert pause < backoff_delay(POLICY, 0, 0.0)


def test_the_fallback_pause_is_the_full_backoff_unless_a_random_source_is_given() -> None:
    pause = throttle_pause(
        POLICY, status=429, retry_after=None, decision=NOT_RETRIED, retries_done=2
    )
    assert pause == pytest.approx(backoff_delay(POLICY, 2, 0.0))
