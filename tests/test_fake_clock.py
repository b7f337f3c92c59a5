"""`FakeClock`: instant, recorded sleeps that move both clocks; fixed randomness; a
runtime the client takes, so a user's own tests make backoff instant too."""

from __future__ import annotations

import asyncio
import time

import pytest

from ewh_webhooks.testing import EWHEmulator, FakeClock, FaultPlan


async def test_sleep_is_recorded_moves_both_clocks_and_waits_for_nothing() -> None:
    clock = FakeClock(start=50.0, wall=1_700_000_000.0)
    began = time.monotonic()
    await clock.sleep(30.0)
    await clock.sleep(-1.0)  # recorded as asked; time never runs backwards
    assert time.monotonic() - began < 0.5
    assert clock.sleeps == [30.0, -1.0]
    assert clock.clock() == 80.0
    assert clock.wall_clock() == 1_700_000_030.0


async def test_sleep_lets_other_tasks_run() -> None:
    clock = FakeClock()
    ran: list[str] = []

    async def other() -> None:
        ran.append("other")

    task = asyncio.create_task(other())
    await clock.sleep(1.0)
    assert ran == ["other"]
    await task


def test_wall_clock_starts_at_the_real_time_and_advance_records_no_sleep() -> None:
    clock = FakeClock()
    assert abs(clock.wall_clock() - time.time()) < 5
    clock.advance(10.0)
    assert clock.now == 1010.0
    assert clock.sleeps == []


@pytest.mark.parametrize("value", [-0.1, 1.0, float("nan")])
def test_randomness_must_be_a_fraction(value: float) -> None:
    with pytest.raises(ValueError, match="random must be in"):
        FakeClock(random=value)


def test_runtime_hands_the_client_this_clocks_functions() -> None:
    clock = FakeClock(random=0.25)
    runtime = clock.runtime()
    assert runtime.clock() == clock.now
    assert runtime.wall_clock() == clock.wall_clock()
    assert runtime.random() == 0.25
    assert runtime.sleep == clock.sleep


async def test_a_client_on_the_fake_clock_backs_off_without_waiting() -> None:
    clock = FakeClock()
    faults = FaultPlan()
    faults.fail_next("503", 3, method="GET")
    async with EWHEmulator(faults=faults) as emu, emu.client(runtime=clock.runtime()) as client:
        began = time.monotonic()
        await client.webhooks.list_page()
        elapsed = time.monotonic() - began
    assert clock.sleeps == [0.5, 1.0, 2.0]  # the default policy, without jitter
    assert elapsed < 1.0
