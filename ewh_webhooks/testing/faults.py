"""Fault injection for the emulator: random (seeded, so reproducible) and scripted.

Kinds:
- "429": Too Many Requests with `Retry-After` (seconds, or an HTTP date when
  `retry_after_date` is set);
- "500", "503": JSON error bodies; "502": an HTML page, as a proxy sends. A 503
  carries `Retry-After` only when `retry_after_503` is set: whether the vendor sends
  one is not documented;
- "drop": the connection is closed before the request is handled;
- "drop_after": the request IS handled (a create is stored), then the connection
  is closed without an answer: the client cannot know it succeeded;
- "slow": the answer is held for `slow_seconds` first.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable

import attrs

__all__ = [
    "FAULT_KINDS",
    "RATE_LIMIT_WINDOWS",
    "FaultPlan",
    "ScriptedFault",
    "SlidingWindow",
    "TokenBucket",
    "server_rate_limit",
]

FAULT_KINDS = ("429", "500", "502", "503", "drop", "drop_after", "slow")


@attrs.define(slots=True, kw_only=True)
class ScriptedFault:
    """Answer the next `times` matching requests with `kind`."""

    kind: str
    times: int = 1
    method: str | None = None
    path_prefix: str = ""

    def matches(self, method: str, path: str) -> bool:
        """Whether a request with this method and path is one this fault is for."""
        return (self.method is None or self.method == method) and path.startswith(self.path_prefix)


@attrs.define(slots=True, kw_only=True)
class FaultPlan:
    """Shares of requests (0..1) answered with each fault kind, drawn from `seed`.

    Auth calls are spared unless `include_auth`, so a fault-heavy run still logs in.
    """

    rates: dict[str, float] = attrs.field(factory=dict)
    seed: int = 0
    retry_after: float = 1.0
    retry_after_date: bool = False
    retry_after_503: bool = False
    slow_seconds: float = 1.0
    include_auth: bool = False
    scripted: list[ScriptedFault] = attrs.field(factory=list)
    _random: random.Random = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        unknown = set(self.rates) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {FAULT_KINDS}")
        self._random = random.Random(self.seed)

    def fail_next(
        self, kind: str, times: int = 1, *, method: str | None = None, path_prefix: str = ""
    ) -> None:
        """Answer the next `times` requests (of `method`, under `path_prefix`) with the
        fault `kind`, before any random fault is drawn:
        `emu.faults.fail_next("503", 2, method="GET")`."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {FAULT_KINDS}")
        self.scripted.append(
            ScriptedFault(kind=kind, times=times, method=method, path_prefix=path_prefix)
        )

    def pick(self, method: str, path: str) -> str | None:
        """The fault for this request, if any (scripted faults first, in order)."""
        for fault in self.scripted:
            if fault.matches(method, path):
                fault.times -= 1
                if fault.times <= 0:
                    self.scripted.remove(fault)
                return fault.kind
        if not self.rates or (path.startswith("/wms/auth/") and not self.include_auth):
            return None
        draw = self._random.random()
        for kind, rate in self.rates.items():
            if draw < rate:
                return kind
            draw -= rate
        return None


class TokenBucket:
    """A lenient server-side rate limit: `max_requests` per `period`, bursts up to
    `max_requests` (a leaky bucket, as aiolimiter keeps). It lets a burst through on
    top of the steady rate, so a client may pass it and still trip a stricter server."""

    def __init__(self, max_requests: int, period: float, clock: Callable[[], float]) -> None:
        self._capacity = float(max_requests)
        self._rate = max_requests / period
        self._clock = clock
        self._level = 0.0
        self._last = clock()

    def try_acquire(self) -> float:
        """0.0 when admitted, else the seconds until one more request fits."""
        now = self._clock()
        self._level = max(0.0, self._level - (now - self._last) * self._rate)
        self._last = now
        if self._level + 1 <= self._capacity:
            self._level += 1
            return 0.0
        return (self._level + 1 - self._capacity) / self._rate


class SlidingWindow:
    """The strictest common server-side rate limit: a request is admitted only if fewer
    than `max_requests` were admitted in the `period` seconds before it (a sliding-window
    log of arrival times). Refused requests do not count.

    Written apart from the client's `ewh_webhooks.limits.window_wait` on purpose: the
    emulator judges the client, so it must not share the client's arithmetic.
    """

    def __init__(self, max_requests: int, period: float, clock: Callable[[], float]) -> None:
        self._max = max_requests
        self._period = period
        self._clock = clock
        self._admitted: deque[float] = deque(maxlen=max_requests)

    def try_acquire(self) -> float:
        """0.0 when admitted, else the seconds until one more request fits."""
        now = self._clock()
        admitted = self._admitted
        # Full means the oldest kept arrival is the max_requests-th before this one;
        # it leaves the window `period` after it arrived.
        if len(admitted) == self._max and now - admitted[0] < self._period:
            return admitted[0] + self._period - now
        admitted.append(now)
        return 0.0


ServerRateLimit = TokenBucket | SlidingWindow

RATE_LIMIT_WINDOWS = ("sliding", "bucket")


def server_rate_limit(
    rate_limit: tuple[int, float] | None, window: str, clock: Callable[[], float]
) -> ServerRateLimit | None:
    """The emulator's rate limit for `EWHEmulator(rate_limit=, rate_limit_window=)`."""
    if window not in RATE_LIMIT_WINDOWS:
        raise ValueError(f"rate_limit_window must be one of {RATE_LIMIT_WINDOWS}, got {window!r}")
    if rate_limit is None:
        return None
    max_requests, period = rate_limit
    if max_requests < 1 or not period > 0:
        raise ValueError(f"rate_limit must be (max_requests >= 1, period > 0), got {rate_limit!r}")
    kind = SlidingWindow if window == "sliding" else TokenBucket
    return kind(max_requests, period, clock)
