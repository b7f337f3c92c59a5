"""Retry decisions: pure functions, tested with tables."""

from __future__ import annotations

import pytest

from ewh_webhooks import InvalidArgumentError, RetryPolicy
from ewh_webhooks.retry import backoff_delay, decide_retry, parse_retry_after

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
