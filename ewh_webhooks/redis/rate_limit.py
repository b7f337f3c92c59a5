"""`RedisRateLimit`: one request budget, and one 429 pause, for every process that
uses the same Redis key (the API's limit is per login, not per process).

    limit = RedisRateLimit("redis://localhost:6379/0", 50, 1.0, key="ewh:rate:my-login")
    async with limit, EWHClient(..., rate_limit=limit) as client:
        ...

The promise is `RateLimit`'s, across processes: never more than `max_requests` in
any window of `period` seconds, each request counted from its grant until a period
after its end, so even a server counting over a sliding window sees no 429 however
the network delays or reorders requests. If Redis cannot be reached, each process
goes on under a local `RateLimit` of the same rate, warns once, and tries Redis
again every `recheck_after` seconds; it never raises for Redis's trouble and is
never unlimited.

Why a Lua script of our own rather than the `limits` library (the issue preferred a
library; we looked at `limits` 5.x and its async Redis storage, docs and source):
- its moving window stamps each request with the *caller's* `time.time()`, so two
  machines whose clocks disagree by 50 ms disagree on the window by 50 ms; our script
  takes Redis's `TIME`, one clock for everyone;
- its periods are whole multiples of a second (`RateLimitItem(amount, multiples)`,
  expiry in integer seconds), so a 0.5 s period cannot be said;
- it counts a request from its start only: arrival jitter then shows as excess on a
  sliding-window server, which our end-anchored window cannot produce;
- `hit()` answers yes or no: a caller that must wait (never reject) polls, with a
  second round trip to learn how long; our script answers with the wait itself;
- it has no pause: a 429's Retry-After would need a second mechanism beside it.
Measured (limits 5.8.0, `MovingWindowRateLimiter` on its async Redis storage, polling
`get_window_stats` for the wait; three processes sending 60 GETs each to the emulator
at 30/s over a sliding window): 26 to 42 requests answered 429 out of about 220 sent
and 19-25 requests/s sustained, with 30 or 29 per second; this limiter in the same
runs, no 429 and 28.9-29.0/s. The scripts keep two sorted sets, requests in flight
and requests ended, with the rule of `ewh_webhooks.limits.window_wait`, which a
property test checks them against.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import os
import time
from collections.abc import Awaitable, Callable
from types import TracebackType

from ..errors import InvalidArgumentError
from ..limits import RateLimit
from ..validation import check_non_empty_str, check_positive_int, check_seconds
from .connection import REDIS_ERRORS, RedisConnection, redact_url
from .outage import Outage
from .rate_scripts import PAUSE_SCRIPT, RELEASE_SCRIPT, WINDOW_SCRIPT

__all__ = ["PAUSE_SCRIPT", "RELEASE_SCRIPT", "WINDOW_SCRIPT", "RedisRateLimit"]

log = logging.getLogger("ewh_webhooks.redis")

# A rate limiter's Redis is on the request path: a slow one must not hold requests
# for long before the local limit takes over, and redis-py's default (ten retries
# with backoff) would hold them for seconds. One immediate retry survives a
# connection that an idle timeout closed.
DEFAULT_TIMEOUT = 1.0
# Connections one limiter opens at most (a client sends max_in_flight requests at once).
DEFAULT_MAX_CONNECTIONS = 32
DEFAULT_RECHECK_AFTER = 5.0
# A request whose end is never reported (its process died, or Redis was away when it
# ended) stops counting this long after its grant: twice an attempt of a client with
# the default 30 s timeout. Raise it for clients with longer timeouts.
DEFAULT_LEASE = 60.0
# How soon a waiter asks again when only the end of a request in flight (which Redis
# cannot announce) can free a place.
POLL = 0.01


class RedisRateLimit:
    """At most `max_requests` per `period` seconds in any window, for every process
    using `key` on the Redis at `url`; a pause (429 / Retry-After) holds them all.

    Waits, never rejects. Each request counts from its grant until a period after its
    end (`margin` adds seconds to that). `lease` bounds how long a request whose
    process died without reporting its end still counts. Redis unreachable: a local
    `RateLimit` of the same rate in each process, one warning, Redis tried again every
    `recheck_after` s. `timeout` bounds each Redis call (and the wait for one of
    its `max_connections` connections). Needs Redis 5 or later.
    `aclose()` (or `async with`; a client closes its limiter with itself) releases the
    connection; used again, it reconnects.
    """

    def __init__(
        self,
        url: str,
        max_requests: int,
        period: float = 1.0,
        key: str = "ewh:rate",
        *,
        margin: float = 0.0,
        lease: float = DEFAULT_LEASE,
        recheck_after: float = DEFAULT_RECHECK_AFTER,
        timeout: float = DEFAULT_TIMEOUT,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        check_positive_int(max_requests, "RedisRateLimit.max_requests")
        for name, value in (
            ("period", period),
            ("recheck_after", recheck_after),
            ("lease", lease),
            ("timeout", timeout),
        ):
            check_seconds(value, f"RedisRateLimit.{name}")
        check_seconds(margin, "RedisRateLimit.margin", allow_zero=True)
        check_non_empty_str(key, "RedisRateLimit.key")
        self.max_requests = max_requests
        self.period = float(period)
        self.margin = float(margin)
        self.key = key
        self._redis = RedisConnection.for_quick_calls(
            url,
            timeout=timeout,
            max_connections=check_positive_int(max_connections, "RedisRateLimit.max_connections"),
        )
        # The same rate in this process alone, for when Redis cannot be reached.
        self._local = RateLimit(max_requests, period, margin=self.margin, clock=clock, sleep=sleep)
        self._keys = [f"{key}:ended", f"{key}:flight", f"{key}:pause"]
        self._window_us = max(1, round((self.period + self.margin) * 1_000_000))
        self._lease_us = max(1, round(float(lease) * 1_000_000))
        self._poll_us = max(1, min(self._window_us, round(POLL * 1_000_000)))
        self._outage = Outage(float(recheck_after))
        self._pause_until = 0.0
        self._clock = clock
        self._sleep = sleep
        self._members = (f"{os.urandom(8).hex()}:{n}" for n in itertools.count())
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return (
            f"RedisRateLimit({redact_url(self._redis.url)!r}, {self.max_requests}, "
            f"{self.period}, key={self.key!r})"
        )

    @property
    def shared(self) -> bool:
        """False while Redis is out and this process runs on its local limit."""
        return not self._outage.down

    async def acquire(self) -> object:
        """Wait until one more request fits the shared window and no pause is in force
        (on the local limit while Redis is out); return a token for `release`."""
        # One waiter per process asks Redis at a time, in arrival order: a thousand
        # queued requests cost one round trip per grant, not a thousand.
        async with self._serial():
            while True:
                if not self._outage.use_redis(self._clock()):
                    while (paused := self._pause_until - self._clock()) > 0:
                        await self._sleep(paused)
                    return _Token(None, await self._local.acquire())
                member = next(self._members)
                try:
                    wait_us = await WINDOW_SCRIPT(
                        self._redis.client(),
                        self._keys,
                        [self.max_requests, self._window_us, member, self._lease_us, self._poll_us],
                    )
                    if wait_us <= 0:
                        self._answered()
                        # Log the grant in the local window too, so that if Redis fails
                        # the local limit goes on from this process's recent requests
                        # rather than with a fresh burst on top of them. It waits at most
                        # the jitter of a round trip (this process's requests are a
                        # subset of everyone's); it never holds a pause (see `pause`), or
                        # a grant made before a pause would go out after it.
                        return _Token(member, await self._local.acquire())
                except REDIS_ERRORS as exc:
                    self._failed(exc)
                    continue
                except BaseException:
                    # Cancelled once the script may have granted a place: give it back
                    # now, or every process on the key would lose it until its lease.
                    await asyncio.shield(self._end(member))
                    raise
                self._answered()
                await self._sleep(wait_us / 1_000_000)

    async def release(self, token: object) -> None:
        """The request `token` was granted for has ended: it counts from now until a
        period later, in the shared window and the local one."""
        if not isinstance(token, _Token):
            return
        await self._local.release(token.local)
        if token.member is not None:
            await self._end(token.member)

    async def _end(self, member: str) -> None:
        """Move `member` from the flights to the ends (nothing if it never flew)."""
        if not self._outage.use_redis(self._clock()):
            return  # Redis is out: the flight ends with its lease
        try:
            await RELEASE_SCRIPT(self._redis.client(), self._keys[:2], [member, self._window_us])
        except REDIS_ERRORS as exc:
            self._failed(exc)
        else:
            self._answered()

    async def pause(self, seconds: float) -> None:
        """Hold every process using this key for `seconds` (extends, never shortens)."""
        if not math.isfinite(seconds):
            raise InvalidArgumentError(
                f"a pause must be a finite number of seconds, got {seconds!r}"
            )
        if seconds <= 0:
            return
        # Kept here, not in the local RateLimit: in force if Redis fails meanwhile.
        self._pause_until = max(self._pause_until, self._clock() + seconds)
        if not self._outage.use_redis(self._clock()):
            return
        try:
            await PAUSE_SCRIPT(
                self._redis.client(), self._keys[2:], [max(1, math.ceil(seconds * 1000))]
            )
        except REDIS_ERRORS as exc:
            self._failed(exc)
        else:
            self._answered()

    async def aclose(self) -> None:
        """Close the Redis connections; they reopen if the limit is used again."""
        await self._redis.aclose()

    async def __aenter__(self) -> RedisRateLimit:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _serial(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:
            self._lock, self._lock_loop = asyncio.Lock(), loop
        return self._lock

    def _failed(self, exc: BaseException) -> None:
        if self._outage.failed(self._clock()):
            log.warning(
                "%s; rate limit %r goes on with a local limit of %d per %g s in each "
                "process until Redis answers again (tried every %g s)",
                self._redis.describe(exc),
                self.key,
                self.max_requests,
                self.period,
                self._outage.recheck_after,
            )
        else:
            log.debug("%s; still on the local limit", self._redis.describe(exc))

    def _answered(self) -> None:
        if self._outage.answered():
            log.info(
                "Redis at %s answers again: rate limit %r is shared again",
                redact_url(self._redis.url),
                self.key,
            )


class _Token:
    """What `acquire` grants: the request's member in Redis (None when granted by the
    local limit) and its local grant."""

    __slots__ = ("local", "member")

    def __init__(self, member: str | None, local: object) -> None:
        self.member = member
        self.local = local
