"""`FakeClock`: time that moves only when someone sleeps, for tests that never wait.

    clock = FakeClock()
    async with EWHClient(..., runtime=clock.runtime()) as client:
        ...                               # backoff and 429 pauses take no real time
    assert clock.sleeps == [0.5, 1.0]     # exactly what the client waited

The same clock can drive the emulator's delivery retries:
`EWHEmulator(delivery_sleep=clock.sleep)`.
"""

from __future__ import annotations

import asyncio
import time

from ..runtime import Runtime

__all__ = ["FakeClock"]


class FakeClock:
    """A monotonic clock, a wall clock, an instant recording sleep and fixed randomness.

    `now` is the monotonic reading (settable); the wall clock keeps a fixed distance
    from it, starting at the real time by default (HTTP-date `Retry-After` values are
    compared to it). `sleep(s)` records `s` in `sleeps`, moves both clocks by `s`, and
    yields to the event loop once, so other tasks run as they would while sleeping.
    `random()` always returns `random` (0.0: backoff without jitter, exactly predictable).
    """

    __slots__ = ("_random", "now", "sleeps", "wall_offset")

    def __init__(self, start: float = 1000.0, *, wall: float | None = None, random: float = 0.0):
        if not 0.0 <= random < 1.0:
            raise ValueError(f"random must be in [0, 1), got {random!r}")
        self.now = start
        self.wall_offset = (time.time() if wall is None else wall) - start
        self.sleeps: list[float] = []
        self._random = random

    def __repr__(self) -> str:
        return f"FakeClock(now={self.now!r}, sleeps={len(self.sleeps)})"

    def clock(self) -> float:
        """The monotonic reading, `now` (the client's `Runtime.clock`)."""
        return self.now

    def wall_clock(self) -> float:
        """Unix seconds, moving with `now` (for HTTP-date `Retry-After` values)."""
        return self.now + self.wall_offset

    def random(self) -> float:
        """The fixed number given at construction, so backoff jitter is predictable."""
        return self._random

    def advance(self, seconds: float) -> None:
        """Move time forward without recording a sleep (time passing elsewhere)."""
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        """Record `seconds`, move both clocks by it, and yield to the loop once."""
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)

    def runtime(self) -> Runtime:
        """What the client takes as its runtime: this clock's four functions."""
        return Runtime(
            clock=self.clock, wall_clock=self.wall_clock, sleep=self.sleep, random=self.random
        )
