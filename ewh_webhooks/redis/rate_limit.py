"""`RedisRateLimit`: one request budget, and one 429 pause, for every process that
uses the same Redis key (the API's limit is per login, not per process).

    limit = RedisRateLimit("redis://localhost:6379/0", 50, 1.0, key="ewh:rate:my-login")
    async with limit, EWHClient(..., rate_limit=limit) as client:
        ...

The promise is `RateLimit`'s, across processes: never more than `max_requests` in
any window of `period` seconds (plus the same margin), so even a server counting
over a sliding window sees no 429. If Redis cannot be reached, each process goes on
under a local `RateLimit` of the same rate, warns once, and tries Redis again every
`recheck_after` seconds; it never raises for Redis's trouble and is never unlimited.

Why a Lua script of our own rather than the `limits` library (the issue preferred a
library; we looked at `limits` 5.x and its async Redis storage, docs and source):
- its moving window stamps each request with the *caller's* `time.time()`, so two
  machines whose clocks disagree by 50 ms disagree on the window by 50 ms; our script
  takes Redis's `TIME`, one clock for everyone;
- its periods are whole multiples of a second (`RateLimitItem(amount, multiples)`,
  expiry in integer seconds), so neither a 0.5 s period nor the margin added to each
  window (1.02 s for a one-second limit) can be said, and without the margin a
  sliding-window server sees arrival jitter as excess (see `default_margin`);
- `hit()` answers yes or no: a caller that must wait (never reject) polls, with a
  second round trip to learn how long; our script answers with the wait itself;
- it has no pause: a 429's Retry-After would need a second mechanism beside it.
Measured (limits 5.8.0, `MovingWindowRateLimiter` on its async Redis storage, polling
`get_window_stats` for the wait; three processes sending 60 GETs each to the emulator
at 30/s over a sliding window): 26 to 42 requests answered 429 out of about 220 sent
and 19-25 requests/s sustained, with 30 or 29 per second; this limiter in the same
runs, no 429 and 28.9-29.0/s. The script is twenty lines: a sliding-window log in a
sorted set, the rule of `ewh_webhooks.limits.window_wait`, which a property test
checks it against.
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

from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from ..errors import InvalidArgumentError
from ..limits import RateLimit, default_margin
from .connection import REDIS_ERRORS, LuaScript, RedisConnection, redact_url
from .outage import Outage

__all__ = ["PAUSE_SCRIPT", "WINDOW_SCRIPT", "RedisRateLimit"]

log = logging.getLogger("ewh_webhooks.redis")

# Times are integer microseconds; string.format('%.0f') writes them whole (Lua's own
# number-to-string keeps 14 digits, and a time in microseconds has 16).
WINDOW_SCRIPT = LuaScript(
    """
-- KEYS[1]: the log, a sorted set with one member per request granted, scored by the
--          time (us) it was granted; KEYS[2]: the pause, a key that lives as long as it
-- ARGV: max_requests, window (us: period + margin), a member unique to this request,
--       and, for tests only, the time now (us); otherwise Redis's clock is the clock.
-- Returns 0 if the request was granted (and logged), else the us to wait before asking.
local max, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local now = tonumber(ARGV[4])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
-- A grant a whole window old no longer counts (the boundary of window_wait).
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now - window))
local wait = redis.call('PTTL', KEYS[2]) * 1000
local count = redis.call('ZCARD', KEYS[1])
if count >= max then
  -- The max-th most recent grant leaves the window `window` after it was made; never
  -- more than a window away, so a clock stepped back cannot stall everyone.
  local nth = redis.call('ZRANGE', KEYS[1], count - max, count - max, 'WITHSCORES')
  wait = math.max(wait, math.min(tonumber(nth[2]) + window - now, window))
end
if wait > 0 then
  return wait
end
redis.call('ZADD', KEYS[1], string.format('%.0f', now), ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
return 0
"""
)

# The pause is a key whose time to live is the pause: Redis ends it, on its own clock.
PAUSE_SCRIPT = LuaScript(
    """
-- KEYS[1]: the pause; ARGV[1]: its length in ms. Extends a pause, never shortens it.
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
return 0
"""
)

# A rate limiter's Redis is on the request path: a slow one must not hold requests
# for long before the local limit takes over, and redis-py's default (ten retries
# with backoff) would hold them for seconds. One immediate retry survives a
# connection that an idle timeout closed.
DEFAULT_TIMEOUT = 1.0
DEFAULT_RECHECK_AFTER = 5.0


class RedisRateLimit:
    """At most `max_requests` per `period` seconds in any window, for every process
    using `key` on the Redis at `url`; a pause (429 / Retry-After) holds them all.

    Waits, never rejects. `margin` is added to each window (default: a fiftieth of
    the period, as `RateLimit`). Redis unreachable: a local `RateLimit` of the same
    rate in each process, one warning, Redis tried again every `recheck_after` s.
    `timeout` bounds each Redis call. Needs Redis 5 or later. `aclose()` (or
    `async with`; a client closes its limiter with itself) releases the connection;
    used again, it reconnects.
    """

    def __init__(
        self,
        url: str,
        max_requests: int,
        period: float = 1.0,
        key: str = "ewh:rate",
        *,
        margin: float | None = None,
        recheck_after: float = DEFAULT_RECHECK_AFTER,
        timeout: float = DEFAULT_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if isinstance(max_requests, bool) or not isinstance(max_requests, int) or max_requests < 1:
            raise InvalidArgumentError(
                f"RedisRateLimit.max_requests must be an integer >= 1, got {max_requests!r}"
            )
        for name, value in (("period", period), ("recheck_after", recheck_after)):
            if not _positive(value):
                raise InvalidArgumentError(
                    f"RedisRateLimit.{name} must be a number > 0, got {value!r}"
                )
        if not _positive(timeout):
            raise InvalidArgumentError(f"RedisRateLimit.timeout must be > 0, got {timeout!r}")
        if margin is not None and not (_positive(margin) or margin == 0):
            raise InvalidArgumentError(
                f"RedisRateLimit.margin must be a number >= 0, got {margin!r}"
            )
        if not isinstance(key, str) or not key:
            raise InvalidArgumentError(
                f"RedisRateLimit.key must be a non-empty string, got {key!r}"
            )
        self.max_requests = max_requests
        self.period = float(period)
        self.margin = default_margin(self.period) if margin is None else float(margin)
        self.key = key
        self._redis = RedisConnection(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 1),
        )
        # The same rate in this process alone, for when Redis cannot be reached.
        self._local = RateLimit(max_requests, period, margin=self.margin, clock=clock, sleep=sleep)
        self._keys = [key, f"{key}:pause"]
        self._window_us = max(1, round((self.period + self.margin) * 1_000_000))
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

    async def acquire(self) -> None:
        # One waiter per process asks Redis at a time, in arrival order: a thousand
        # queued requests cost one round trip per grant, not a thousand.
        async with self._serial():
            while True:
                if not self._outage.use_redis(self._clock()):
                    while (paused := self._pause_until - self._clock()) > 0:
                        await self._sleep(paused)
                    await self._local.acquire()
                    return
                try:
                    wait_us = await WINDOW_SCRIPT(
                        self._redis.client(),
                        self._keys,
                        [self.max_requests, self._window_us, next(self._members)],
                    )
                except REDIS_ERRORS as exc:
                    self._failed(exc)
                    continue
                self._answered()
                if wait_us <= 0:
                    # Log the grant in the local window too, so that if Redis fails the
                    # local limit goes on from this process's recent requests rather
                    # than with a fresh burst on top of them. It waits at most the
                    # jitter of a round trip (this process's grants are a subset of
                    # everyone's); it never holds a pause (see `pause`), or a grant
                    # made before a pause would go out after it, stamped too early.
                    await self._local.acquire()
                    return
                await self._sleep(wait_us / 1_000_000)

    async def pause(self, seconds: float) -> None:
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
                self._redis.client(), self._keys[1:], [max(1, math.ceil(seconds * 1000))]
            )
        except REDIS_ERRORS as exc:
            self._failed(exc)
        else:
            self._answered()

    async def aclose(self) -> None:
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


def _positive(value: object) -> bool:
    return (
        not isinstance(value, bool)
        and isinstance(value, int | float)
        and math.isfinite(value)
        and value > 0
    )
