"""Client-wide flow control: a cap on requests in flight, an optional rate limit,
and the shared pause that a 429 (or any Retry-After) puts on every task.

`rate_limit=` takes anything that implements `RateLimiter`: `RateLimit` keeps the
budget in this process, `RedisRateLimit` shares one budget (and the pause) between
every process of a deployment.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, runtime_checkable

from .errors import InvalidArgumentError

__all__ = ["RateLimit", "RateLimiter", "RequestGate", "default_margin", "window_wait"]


@runtime_checkable
class RateLimiter(Protocol):
    """A budget of requests, shared by whoever holds the same limiter.

    Implementations never raise for their own trouble (a backend that is down):
    they fall back to a local limit of the same rate, never to no limit.
    """

    async def acquire(self) -> None:
        """Wait until one more request fits the budget and no pause is in force."""
        ...

    async def pause(self, seconds: float) -> None:
        """Hold every user of this limiter for `seconds` (extends a pause, never shortens it)."""
        ...

    async def aclose(self) -> None:
        """Release connections; the limiter reopens them if it is used again."""
        ...


def default_margin(period: float) -> float:
    """The time added to each window: a fiftieth of the period.

    Requests reach the server a little later than they leave, and not all equally
    late, so two requests exactly `period` apart here can arrive closer together
    there. The margin absorbs that jitter (20 ms at one second) for 2 % of the rate.
    """
    return period / 50


def window_wait(stamps: Sequence[float], *, now: float, max_requests: int, window: float) -> float:
    """Seconds until one more request fits: never more than `max_requests` in any
    `window` seconds (a sliding window, the strictest rule a server may apply).

    `stamps` are the send times of earlier requests, oldest first; only the last
    `max_requests` matter. 0.0 means "send now".
    """
    if len(stamps) < max_requests:
        return 0.0
    return max(0.0, stamps[-max_requests] + window - now)


class RateLimit:
    """At most `max_requests` per `period` seconds in any window, e.g. `RateLimit(60, 60.0)`
    as the vendor's PHP SDK does. Shared by every client given the same object.

    A sliding-window log: a first burst of `max_requests` goes at once, then each
    request waits until the one `max_requests` before it is a window old, so even a
    server counting over a sliding window never sees more than the limit.
    """

    def __init__(
        self,
        max_requests: int,
        period: float = 1.0,
        *,
        margin: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if isinstance(max_requests, bool) or not isinstance(max_requests, int) or max_requests < 1:
            raise InvalidArgumentError(f"RateLimit.max_requests must be >= 1, got {max_requests!r}")
        if not _finite_positive(period):
            raise InvalidArgumentError(f"RateLimit.period must be a number > 0, got {period!r}")
        if margin is not None and not (_finite_positive(margin) or margin == 0):
            raise InvalidArgumentError(f"RateLimit.margin must be a number >= 0, got {margin!r}")
        self.max_requests = max_requests
        self.period = float(period)
        self.margin = default_margin(self.period) if margin is None else float(margin)
        self._clock = clock
        self._sleep = sleep
        self._stamps: deque[float] = deque(maxlen=max_requests)
        self._pause_until = 0.0
        self._lock: asyncio.Lock | None = None  # made on first use, inside the running loop

    def __repr__(self) -> str:
        return f"RateLimit({self.max_requests}, {self.period})"

    async def acquire(self) -> None:
        """Wait until one more request fits the window and no pause is in force."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        # One waiter at a time, in arrival order: the window decides for the head.
        async with self._lock:
            while True:
                now = self._clock()
                wait = max(
                    self._pause_until - now,
                    window_wait(
                        self._stamps,
                        now=now,
                        max_requests=self.max_requests,
                        window=self.period + self.margin,
                    ),
                )
                if wait <= 0:
                    self._stamps.append(now)
                    return
                await self._sleep(wait)

    async def pause(self, seconds: float) -> None:
        """Hold every client sharing this limit for `seconds` (extends, never shortens)."""
        self._pause_until = max(self._pause_until, self._clock() + seconds)

    async def aclose(self) -> None:
        """Nothing to release: the window lives in this process."""
        return None


class RequestGate:
    """Every attempt passes through `async with gate`: concurrency cap, pause, rate limit."""

    def __init__(
        self,
        *,
        max_in_flight: int,
        rate_limit: RateLimiter | None,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        if (
            isinstance(max_in_flight, bool)
            or not isinstance(max_in_flight, int)
            or max_in_flight < 1
        ):
            raise InvalidArgumentError(
                f"max_in_flight must be an integer >= 1, got {max_in_flight!r}"
            )
        self.max_in_flight = max_in_flight
        self._semaphore = asyncio.Semaphore(max_in_flight)
        self.rate_limit = rate_limit
        self._clock = clock
        self._sleep = sleep
        self._pause_until = 0.0

    async def pause(self, seconds: float) -> None:
        """Hold every new attempt of this client, and of every other user of its rate
        limiter, for `seconds` (extends, never shortens)."""
        self._pause_until = max(self._pause_until, self._clock() + seconds)
        if self.rate_limit is not None:
            await self.rate_limit.pause(seconds)

    @property
    def paused_for(self) -> float:
        return max(0.0, self._pause_until - self._clock())

    async def wait_pause(self) -> None:
        while (remaining := self._pause_until - self._clock()) > 0:
            await self._sleep(remaining)

    async def __aenter__(self) -> None:
        """Take a slot: `async with gate:` around each attempt."""
        await self._semaphore.acquire()
        try:
            # Checked after the semaphore too: a 429 may have arrived while we queued.
            if self._pause_until > self._clock():
                await self.wait_pause()
            if self.rate_limit is not None:
                await self.rate_limit.acquire()
        except BaseException:
            self._semaphore.release()
            raise

    async def __aexit__(self, *exc_info: object) -> None:
        self._semaphore.release()

    async def aclose(self) -> None:
        if self.rate_limit is not None:
            await self.rate_limit.aclose()


def _finite_positive(value: object) -> bool:
    return (
        not isinstance(value, bool)
        and isinstance(value, int | float)
        and math.isfinite(value)
        and value > 0
    )
