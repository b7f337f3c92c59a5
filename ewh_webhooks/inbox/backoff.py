"""What the worker does after a handler failed, as a pure function: retry later (with
capped exponential backoff, jittered) or give up (dead letter).

    decide_failure(Backoff(), attempt=3, max_attempts=8, rand=0.0)
    # FailureDecision(dead=False, delay=20.0, reason='attempt 3 of 8 failed; retry in 20.0s')
    decide_claim(attempt=9, max_attempts=8)
    # FailureDecision(dead=True, ...): eight attempts began and none finished
"""

from __future__ import annotations

from typing import Any

import attrs

from ..retry import exponential_delay
from ..validation import check_seconds

__all__ = ["Backoff", "FailureDecision", "backoff_delay", "decide_claim", "decide_failure"]


def _seconds(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    check_seconds(value, f"Backoff.{attribute.name}", allow_zero=attribute.name == "jitter")


@attrs.frozen(slots=True, kw_only=True)
class Backoff:
    """Delays between attempts of one delivery: `initial`, then times `multiplier` each
    time, at most `maximum`; each shortened by up to `jitter` (a share) at random so
    that deliveries that failed together do not come back together.

    The defaults ride out an outage of about ten minutes within 8 attempts (5 s, 10 s,
    20 s ... 320 s) before a delivery becomes a dead letter; `replay_dead()` recovers
    longer ones.
    """

    initial: float = attrs.field(default=5.0, validator=_seconds)
    multiplier: float = attrs.field(default=2.0, validator=_seconds)
    maximum: float = attrs.field(default=600.0, validator=_seconds)
    jitter: float = attrs.field(default=0.25, validator=_seconds)


@attrs.frozen(slots=True)
class FailureDecision:
    dead: bool
    delay: float = 0.0
    reason: str = ""


def backoff_delay(backoff: Backoff, attempt: int, rand: float) -> float:
    """Delay after failed attempt `attempt` (1-based); `rand` in [0, 1), 0 = the full delay."""
    return exponential_delay(
        initial=backoff.initial,
        multiplier=backoff.multiplier,
        maximum=backoff.maximum,
        jitter=backoff.jitter,
        step=attempt - 1,
        rand=rand,
    )


def decide_claim(*, attempt: int, max_attempts: int) -> FailureDecision | None:
    """Before running attempt `attempt`: None to run it, or a dead letter when the
    attempts are used up already. That happens when earlier attempts never reported a
    failure: their worker was killed (SIGKILL, OOM) or stopped mid-handler, and the
    lease ran out. Without this check such a delivery would kill worker after worker.
    """
    if attempt > max_attempts:
        return FailureDecision(
            True,
            reason=(
                f"attempt {attempt} of {max_attempts}: the earlier attempts never finished "
                "(their worker died, or stopped mid-handler)"
            ),
        )
    return None


def decide_failure(
    backoff: Backoff, *, attempt: int, max_attempts: int, rand: float, permanent: bool = False
) -> FailureDecision:
    """After attempt `attempt` of a delivery failed: dead letter or retry after how long.

    `permanent` is a failure no retry can fix (a stored delivery that no longer parses).
    """
    if permanent:
        return FailureDecision(True, reason="the stored delivery cannot be parsed")
    if attempt >= max_attempts:
        return FailureDecision(True, reason=f"attempt {attempt} of {max_attempts} failed")
    delay = backoff_delay(backoff, attempt, rand)
    return FailureDecision(
        False, delay, f"attempt {attempt} of {max_attempts} failed; retry in {delay:.1f}s"
    )
