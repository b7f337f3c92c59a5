"""The emulator's own timing model: `latency` is counted from a request's arrival."""

from __future__ import annotations

import asyncio
import time

from ewh_webhooks.testing import EWHEmulator


async def test_latency_runs_from_arrival_and_the_work_happens_within_it() -> None:
    latency = 0.2
    async with EWHEmulator(latency=latency) as emu, emu.client() as client:
        await client.webhooks.list_page()  # log in first: only the create is timed
        started = time.monotonic()
        task = asyncio.create_task(
            client.webhooks.create(
                url="https://e.test/h", group="order", action="created", hash_secret="s"
            )
        )
        async with asyncio.timeout(5):
            while not any(emu.state.webhooks["CUSTOMER1"]):
                await asyncio.sleep(0.002)
        # Stored well before the answer: the handler ran at arrival, the answer waits.
        assert not task.done()
        hook = await task
        elapsed = time.monotonic() - started
        record = emu.state.requests[-1]
    assert hook.id in emu.state.webhooks["CUSTOMER1"]
    assert record.method == "POST"
    assert record.status == 201
    assert elapsed >= latency  # never early
