"""Retry policy and its decisions, as pure functions (no clock, no sleep, no I/O).

The request loop asks `decide_retry` after every failed attempt and sleeps for the
delay it returns; clock and randomness come in as arguments so tables can test
every branch.
"""

from __future__ import annotations

import email.utils
import math
from collections.abc import Callable
from typing import Any

import attrs

from .config import Timeout
from .sansio import IDEMPOTENT_METHODS
from .validation import check_count, check_seconds

__all__ = [
    "RetryDecision",
    "RetryPolicy",
    "attempt_timeout_within",
    "backoff_delay",
    "backoff_wait",
    "decide_retry",
    "exponential_delay",
    "parse_retry_after",
    "throttle_pause",
]

# The statuses worth another try: a timeout, throttling, and the 5xx a proxy or a
# restarting server gives. Other 5xx (501, 505...) will not change on a retry.
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# The longest pause one answer may put on every task (and, with a shared limiter, on
# every process): a server asking for an hour is obeyed for ten minutes, then asked again.
MAX_THROTTLE_PAUSE = 600.0
# A POST is retried only when the server cannot have acted on it: 429 and 503 are
# answered before any work is done.
POST_SAFE_STATUSES = frozenset({429, 503})


def _non_negative(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    check_seconds(value, f"RetryPolicy.{attribute.name}", allow_zero=True)


def _retries(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    check_count(value, "RetryPolicy.max_retries")


def _deadline(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        check_seconds(value, "RetryPolicy.deadline")


@attrs.frozen(slots=True, kw_only=True)
class RetryPolicy:
    """How failed requests are retried. Immutable; override per call with `attrs.evolve`.

    >>> RetryPolicy(max_retries=5, deadline=30.0)
    """

    max_retries: int = attrs.field(default=3, validator=_retries)
    backoff_initial: float = attrs.field(default=0.5, validator=_non_negative)
    backoff_max: float = attrs.field(default=8.0, validator=_non_negative)
    backoff_multiplier: float = attrs.field(default=2.0, validator=_non_negative)
    # Each backoff is shortened by up to this share, at random, so that tasks that
    # failed together do not come back together.
    jitter: float = attrs.field(default=0.25, validator=_non_negative)
    # A Retry-After longer than this is not waited for: RateLimitError at once.
    max_retry_after: float = attrs.field(default=60.0, validator=_non_negative)
    # Overall budget across all attempts and sleeps of one call (None: no limit).
    deadline: float | None = attrs.field(default=120.0, validator=_deadline)

    @classmethod
    def none(cls) -> RetryPolicy:
        """A policy that never retries."""
        return cls(max_retries=0)


@attrs.frozen(slots=True)
class RetryDecision:
    """What `decide_retry` says: whether to retry, after `delay` seconds, and why
    (`reason` goes to the debug log and to `RequestAttempt.reason`)."""

    retry: bool
    delay: float = 0.0
    reason: str = ""


def exponential_delay(
    *, initial: float, multiplier: float, maximum: float, jitter: float, step: int, rand: float
) -> float:
    """`initial * multiplier ** step`, at most `maximum`, shortened by up to `jitter` (a
    share) at random: `rand` in [0, 1), 0 gives the full delay. The one backoff formula
    of the SDK (requests here, deliveries in the inbox worker)."""
    exponent = min(max(step, 0), 64)  # no overflow on absurd counts
    try:
        base = min(maximum, initial * multiplier**exponent)
    except OverflowError:  # an absurd multiplier (1e300 ** 2): the cap it would reach
        base = maximum
    return base * (1.0 - min(jitter, 1.0) * rand)


def backoff_delay(policy: RetryPolicy, retry_number: int, rand: float) -> float:
    """Delay before retry `retry_number` (0-based): capped exponential, jittered down.

    `rand` is a number in [0, 1); 0 gives the full delay.
    """
    return exponential_delay(
        initial=policy.backoff_initial,
        multiplier=policy.backoff_multiplier,
        maximum=policy.backoff_max,
        jitter=policy.jitter,
        step=retry_number,
        rand=rand,
    )


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta seconds or HTTP-date).

    `now` is the current Unix time, used for the date form. Unparseable -> None.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        seconds = email.utils.parsedate_to_datetime(value).timestamp() - now
    except (TypeError, ValueError, IndexError, OverflowError):  # absurd dates included
        return None
    return max(0.0, seconds) if math.isfinite(seconds) else None


def attempt_timeout_within(timeout: Timeout, policy: RetryPolicy, elapsed: float) -> Timeout:
    """An attempt's timeout, its total shortened so that it cannot outlive the call's
    `deadline` (`elapsed` seconds of which have passed)."""
    if policy.deadline is None:
        return timeout
    remaining = max(policy.deadline - elapsed, 0.001)
    if timeout.total is not None and timeout.total <= remaining:
        return timeout
    return attrs.evolve(timeout, total=remaining)


def backoff_wait(delay: float, paused_for: float) -> float:
    """How long a task sleeps before its retry when every task of the client is
    paused for `paused_for` more seconds (a 429 or Retry-After seen by any task).

    The two waits overlap: the retry goes after max(delay, pause). When the pause is
    the longer, the task sleeps nothing itself and the pause holds it.
    """
    return delay if delay > paused_for else 0.0


def decide_retry(
    policy: RetryPolicy,
    *,
    method: str,
    retries_done: int,
    elapsed: float,
    status: int | None = None,
    request_sent: bool = True,
    retry_after: float | None = None,
    rand: Callable[[], float] | float = 0.0,
) -> RetryDecision:
    """Whether to retry after a failed attempt, and after how long.

    `status` is None for a transport failure; `request_sent` says whether that
    failure may have reached the server. `elapsed` is the time since the call began.
    """
    if retries_done >= policy.max_retries:
        return RetryDecision(False, reason=f"gave up after {retries_done} retries")
    idempotent = method.upper() in IDEMPOTENT_METHODS
    if status is None:
        if not idempotent and request_sent:
            return RetryDecision(False, reason=f"{method} may have reached the server")
        why = "connection failed" if request_sent else "connection failed before sending"
    else:
        if status not in RETRY_STATUSES:
            return RetryDecision(False, reason=f"status {status} is not retried")
        if not idempotent and status not in POST_SAFE_STATUSES:
            return RetryDecision(False, reason=f"{method} is not retried on status {status}")
        why = f"status {status}"
    if retry_after is not None:
        if retry_after > policy.max_retry_after:
            return RetryDecision(
                False,
                reason=f"Retry-After {retry_after:.1f}s exceeds {policy.max_retry_after:.1f}s",
            )
        delay = retry_after
        why += f", Retry-After {retry_after:.2f}s"
    else:
        delay = backoff_delay(policy, retries_done, rand() if callable(rand) else rand)
    if policy.deadline is not None and elapsed + delay > policy.deadline:
        return RetryDecision(False, reason=f"deadline of {policy.deadline:.1f}s would pass")
    return RetryDecision(True, delay, why)


def throttle_pause(
    policy: RetryPolicy,
    *,
    status: int,
    retry_after: float | None,
    decision: RetryDecision,
    retries_done: int,
    rand: Callable[[], float] | float = 0.0,
) -> float:
    """How long every task (every process, with a shared limiter) holds off after an
    answer: 0.0 unless it was a 429 or carried a `Retry-After`.

    The server throttles the login, not the one request, so the pause is due whether
    or not this request is retried: a retried one pauses for its retry delay; one that
    is not (retries used up, a `Retry-After` past `max_retry_after`, a POST) pauses
    for the `Retry-After` (at most `MAX_THROTTLE_PAUSE`) or, without one, the backoff
    delay its retry would have had.
    """
    if status != 429 and retry_after is None:
        return 0.0
    if decision.retry:
        return decision.delay
    if retry_after is not None:
        return min(retry_after, MAX_THROTTLE_PAUSE)
    return backoff_delay(policy, retries_done, rand() if callable(rand) else rand)
