"""Clock, sleep and randomness: everything time-dependent the client does goes
through a `Runtime`, so tests (yours too) can make backoff and renewal instant.

>>> from ewh_webhooks.testing import FakeClock
>>> clock = FakeClock()
>>> client = EWHClient(..., runtime=clock.runtime())   # retries never wait for real
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable

import attrs

__all__ = ["Runtime"]


@attrs.frozen(slots=True, kw_only=True)
class Runtime:
    """`clock`: monotonic seconds (timeouts, backoff, token renewal); `wall_clock`: Unix
    seconds (HTTP-date `Retry-After`); `sleep`: the awaitable pause; `random`: a number
    in [0, 1) for backoff jitter."""

    clock: Callable[[], float] = time.monotonic
    wall_clock: Callable[[], float] = time.time
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    random: Callable[[], float] = random.random
