"""Client-wide flow control: a cap on requests in flight, an optional rate limit,
and the shared pause that a 429 (or any Retry-After) puts on every task.

`rate_limit=` takes anything that implements `RateLimiter`: `RateLimit` keeps the
budget in this process, `RedisRateLimit` shares one budget (and the pause) between
every process of a deployment.

The promise of a limit of N per period: never more than N requests in any window of
`period` seconds, so that even a server counting over a sliding window (the strictest
common rule) answers no 429. A window counts each request from its grant until a
`period` after its *end* (its answer, or its failure). A server receives a request
before it answers it, so however late a request travels, and however the network
reorders a burst, the server never sees N + 1 in one window: the proof is that of
any window's last-granted request, which found the other N already counted. The
cost is each request's own latency, not a guessed margin.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, runtime_checkable

from .validation import check_positive_int, check_seconds

__all__ = ["RateLimit", "RateLimiter", "RequestGate", "window_wait"]

log = logging.getLogger("ewh_webhooks")


@runtime_checkable
class RateLimiter(Protocol):
    """A budget of requests, shared by whoever holds the same limiter.

    Every `acquire()` is matched by one `release(token)` when the request ends, so
    the window can count from the end. Implementations never raise for their own
    trouble (a backend that is down): they fall back to a local limit of the same
    rate, never to no limit.
    """

    async def acquire(self) -> object:
        """Wait until one more request fits the budget and no pause is in force;
        return a token for `release`."""
        ...

    async def release(self, token: object) -> None:
        """The request `token` was granted for has ended (answered, failed, cancelled)."""
        ...

    async def pause(self, seconds: float) -> None:
        """Hold every user of this limiter for `seconds` (extends a pause, never shortens it)."""
        ...

    async def aclose(self) -> None:
        """Release connections; the limiter reopens them if it is used again."""
        ...


def window_wait(
    ended: Sequence[float],
    *,
    now: float,
    max_requests: int,
    window: float,
    in_flight: int = 0,
) -> float | None:
    """Seconds until one more request fits: 0.0 means "send now", None "wait until a
    request in flight ends".

    A window holds the requests in flight and those that ended less than `window`
    seconds ago; `ended` are end times, oldest first (only the last `max_requests`
    matter). While `max_requests` are held, the next waits for the oldest end to
    leave the window, or, if too few have ended, for one to end.
    """
    recent = itertools.islice(ended, max(0, len(ended) - max_requests), None)
    held = [stamp for stamp in recent if stamp > now - window]
    excess = in_flight + len(held) - max_requests + 1
    if excess <= 0:
        return 0.0
    if excess > len(held):
        return None
    return held[excess - 1] + window - now


class _Grant:
    """A `RateLimit` token: which request a `release` is for."""

    __slots__ = ()


class RateLimit:
    """At most `max_requests` per `period` seconds in any window, e.g. `RateLimit(60, 60.0)`
    as the vendor's PHP SDK does. Shared by every client given the same object.

    A first burst of `max_requests` goes at once; after that each request waits until
    a request ended a `period` ago (see the module docstring). `margin` adds seconds to
    each window, for a server whose clock runs slow against the requests it counts.
    """

    def __init__(
        self,
        max_requests: int,
        period: float = 1.0,
        *,
        margin: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.max_requests = check_positive_int(max_requests, "RateLimit.max_requests")
        self.period = check_seconds(period, "RateLimit.period")
        self.margin = check_seconds(margin, "RateLimit.margin", allow_zero=True)
        self._clock = clock
        self._sleep = sleep
        self._ended: deque[float] = deque(maxlen=max_requests)
        self._in_flight: set[_Grant] = set()
        self._pause_until = 0.0
        # Made in the loop that uses them, again in another (a second asyncio.run).
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = asyncio.Lock()
        self._released = asyncio.Event()

    def __repr__(self) -> str:
        return f"RateLimit({self.max_requests}, {self.period})"

    @property
    def in_flight(self) -> int:
        """Requests granted and not yet ended."""
        return len(self._in_flight)

    async def acquire(self) -> object:
        """Wait until one more request fits the window and no pause is in force."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop, self._lock, self._released = loop, asyncio.Lock(), asyncio.Event()
        # One waiter at a time, in arrival order: the window decides for the head.
        async with self._lock:
            while True:
                now = self._clock()
                if (paused := self._pause_until - now) > 0:
                    await self._sleep(paused)
                    continue
                wait = window_wait(
                    self._ended,
                    now=now,
                    max_requests=self.max_requests,
                    window=self.period + self.margin,
                    in_flight=len(self._in_flight),
                )
                if wait == 0:
                    grant = _Grant()
                    self._in_flight.add(grant)
                    return grant
                if wait is None:
                    self._released.clear()
                    await self._released.wait()
                else:
                    await self._sleep(wait)

    async def release(self, token: object) -> None:
        """Count `token`'s request as ended now; ignored for a token not in flight."""
        if token in self._in_flight:
            self._in_flight.discard(token)
            self._ended.append(self._clock())
            self._released.set()

    async def pause(self, seconds: float) -> None:
        """Hold every client sharing this limit for `seconds` (extends, never shortens)."""
        self._pause_until = max(self._pause_until, self._clock() + seconds)

    async def aclose(self) -> None:
        """Nothing to release: the window lives in this process."""
        return None


class _Slot:
    """One attempt's passage through the gate: `async with gate.slot():`."""

    __slots__ = ("_gate", "_token")

    def __init__(self, gate: RequestGate) -> None:
        self._gate = gate
        self._token: object = None

    async def __aenter__(self) -> None:
        self._token = await self._gate.enter()

    async def __aexit__(self, *exc_info: object) -> None:
        await self._gate.exit(self._token)


class RequestGate:
    """Every attempt passes through `async with gate.slot()`: concurrency cap, pause,
    rate limit; the slot tells the rate limit when the attempt ended."""

    def __init__(
        self,
        *,
        max_in_flight: int,
        rate_limit: RateLimiter | None,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self.max_in_flight = check_positive_int(max_in_flight, "max_in_flight")
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
        """Seconds left of the pause in force (0.0 when none is)."""
        return max(0.0, self._pause_until - self._clock())

    async def wait_pause(self) -> None:
        """Sleep until the pause in force, if any, has ended."""
        while (remaining := self._pause_until - self._clock()) > 0:
            await self._sleep(remaining)

    def slot(self) -> _Slot:
        """`async with gate.slot():` around one attempt."""
        return _Slot(self)

    async def enter(self) -> object:
        """Take a slot; the token goes back to `exit`."""
        await self._semaphore.acquire()
        try:
            # Checked after the semaphore too: a 429 may have arrived while we queued.
            if self._pause_until > self._clock():
                await self.wait_pause()
            return None if self.rate_limit is None else await self.rate_limit.acquire()
        except BaseException:
            self._semaphore.release()
            raise

    async def exit(self, token: object) -> None:
        """Give the slot back: the rate limit counts the attempt as ended now."""
        try:
            if self.rate_limit is not None:
                await self.rate_limit.release(token)
        except Exception:  # a limiter's own trouble never fails a request
            log.exception("rate limiter %r failed to record an end", self.rate_limit)
        finally:
            self._semaphore.release()

    async def aclose(self) -> None:
        """Close the rate limiter's connections (it reopens them if used again)."""
        if self.rate_limit is not None:
            await self.rate_limit.aclose()
