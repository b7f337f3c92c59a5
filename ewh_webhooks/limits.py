"""Client-wide flow control: a cap on requests in flight, an optional rate limit,
and the shared pause that a 429 (or any Retry-After) puts on every task."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import attrs
from aiolimiter import AsyncLimiter

from .errors import InvalidArgumentError

__all__ = ["RateLimit", "RequestGate"]


@attrs.frozen(slots=True)
class RateLimit:
    """At most `max_requests` per `period` seconds, e.g. `RateLimit(60, 60.0)` as the
    vendor's PHP SDK does."""

    max_requests: int
    period: float = 1.0

    def __attrs_post_init__(self) -> None:
        if (
            isinstance(self.max_requests, bool)
            or not isinstance(self.max_requests, int)
            or (self.max_requests < 1)
        ):
            raise InvalidArgumentError(
                f"RateLimit.max_requests must be >= 1, got {self.max_requests!r}"
            )
        if not isinstance(self.period, int | float) or self.period <= 0:
            raise InvalidArgumentError(f"RateLimit.period must be > 0, got {self.period!r}")


class RequestGate:
    """Every attempt passes through `async with gate`: concurrency cap, pause, rate limit."""

    def __init__(
        self,
        *,
        max_in_flight: int,
        rate_limit: RateLimit | None,
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
        self._semaphore = asyncio.Semaphore(max_in_flight)
        self._limiter = _limiter(rate_limit) if rate_limit else None
        self._clock = clock
        self._sleep = sleep
        self._pause_until = 0.0

    def pause(self, seconds: float) -> None:
        """Hold every new attempt of this client for `seconds` (extends, never shortens)."""
        self._pause_until = max(self._pause_until, self._clock() + seconds)

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
            if self._limiter is not None:
                await self._limiter.acquire()
        except BaseException:
            self._semaphore.release()
            raise

    async def __aexit__(self, *exc_info: object) -> None:
        self._semaphore.release()


def _limiter(rate_limit: RateLimit) -> AsyncLimiter:
    """A leaky bucket at exactly the given rate, with a burst a tenth short of it.

    Requests reach the server a little later than they leave, and not all equally
    late (a busy server reads a backlog at once), so a server bucket of the same size
    could see a larger burst than we sent. The headroom absorbs that jitter, up to
    a tenth of the period, without lowering the sustained rate.
    """
    burst = max(1, rate_limit.max_requests - max(1, rate_limit.max_requests // 10))
    return AsyncLimiter(burst, rate_limit.period * burst / rate_limit.max_requests)
