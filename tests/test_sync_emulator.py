"""Sync against the emulator: many customers, minimal requests, faults, crash safety."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest

from ewh_webhooks import (
    EWHClient,
    InvalidArgumentError,
    RetryPolicy,
    SyncError,
    WebhookSpec,
    sync_customers,
)
from ewh_webhooks.testing import EWHEmulator, FaultPlan

from .conftest import FakeTime

TOPICS = [("order", "shipped"), ("order", "created"), ("stock", "updated"), ("article", "updated")]


def specs_for(customer: str, n: int, secret: str = "s") -> list[WebhookSpec]:
    return [
        WebhookSpec(
            url=f"https://{customer.lower()}.test/hook/{i}",
            group=TOPICS[i % 4][0],
            action=TOPICS[i % 4][1],
            hash_secret=secret,
        )
        for i in range(n)
    ]


def stored(emu: EWHEmulator, customer: str) -> Counter[tuple[str, str]]:
    return Counter((h.topic, h.url) for h in emu.state.webhooks[customer].values())


def writes(emu: EWHEmulator) -> int:
    return sum(
        1
        for r in emu.state.requests
        if r.method in ("POST", "PATCH", "PUT", "DELETE") and r.path.startswith("/webhooks/")
    )


def list_pages(emu: EWHEmulator) -> int:
    return sum(1 for r in emu.state.requests if r.method == "GET" and r.path == "/webhooks/")


async def test_sync_a_thousand_webhooks_across_customers_with_minimal_requests(
    fake_time: FakeTime,
) -> None:
    async with EWHEmulator(customers=["C1", "C2", "C3", "C4"]) as emu:
        wanted = {code: specs_for(code, 250) for code in emu.customer_codes}
        async with emu.client(runtime=fake_time.runtime()) as client:
            results = await sync_customers(client, wanted, concurrency=32)
            assert all(r.ok and r.created == 250 for r in results.values())
            assert writes(emu) == 1000
            assert list_pages(emu) == 4  # one (empty) page per customer
            assert emu.state.max_in_flight <= 32
            for code in emu.customer_codes:
                assert stored(emu, code) == Counter((s.topic, s.url) for s in wanted[code])
            # Converged: a second run sends no write at all, only the listings (5 pages
            # each at the API's default page size of 50).
            again = await sync_customers(client, wanted)
            assert all(
                r.ok and r.unchanged == 250 and r.plan.request_count == 0 for r in again.values()
            )
            assert writes(emu) == 1000
            assert list_pages(emu) == 4 + 4 * 5
        assert sum(1 for r in emu.state.requests if r.path == "/wms/auth/login/") == 1


async def test_prune_repurposes_and_deletes_with_one_request_each(
    client: EWHClient, emulator: EWHEmulator
) -> None:
    for i in range(3):
        await client.webhooks.create(
            url=f"https://old.test/{i}", group="order", action="shipped", hash_secret="old"
        )
    await client.webhooks.create(
        url="https://old.test/stock", group="stock", action="updated", hash_secret="old"
    )
    before = writes(emulator)
    spec = WebhookSpec(
        url="https://new.test/orders", group="order", action="shipped", hash_secret="new"
    )
    result = await client.webhooks.sync([spec], prune=True)
    assert (result.created, result.updated, result.deleted) == (0, 1, 3)
    assert writes(emulator) - before == 4
    (hook,) = emulator.webhooks()
    assert hook["url"] == "https://new.test/orders"
    assert hook["hash_secret"] == "new"


async def test_without_prune_nothing_existing_is_touched(
    client: EWHClient, emulator: EWHEmulator
) -> None:
    old = await client.webhooks.create(
        url="https://old.test/", group="order", action="shipped", hash_secret="old"
    )
    spec = WebhookSpec(url="https://new.test/", group="order", action="shipped", hash_secret="new")
    result = await client.webhooks.sync([spec])
    assert (result.created, result.updated, result.deleted) == (1, 0, 0)
    assert old.id in emulator.state.webhooks[emulator.customer_code]


async def test_dry_run_sends_no_write(client: EWHClient, emulator: EWHEmulator) -> None:
    await client.webhooks.create(
        url="https://old.test/", group="order", action="shipped", hash_secret="old"
    )
    before = writes(emulator)
    result = await client.webhooks.sync(specs_for("X", 5), prune=True, dry_run=True)
    assert result.dry_run
    assert result.plan.request_count == 5
    assert not result.items
    assert writes(emulator) == before


async def test_sync_under_faults_converges_with_no_duplicates_and_nothing_lost(
    fake_time: FakeTime,
) -> None:
    faults = FaultPlan(
        rates={"500": 0.05, "503": 0.05, "429": 0.05, "drop": 0.03, "drop_after": 0.03},
        seed=11,
        retry_after=1,
    )
    async with EWHEmulator(customers=["C1", "C2"], faults=faults) as emu:
        wanted = {code: specs_for(code, 150) for code in emu.customer_codes}
        policy = RetryPolicy(max_retries=5)
        async with emu.client(runtime=fake_time.runtime(), retry=policy) as client:
            first = await sync_customers(client, wanted, concurrency=16)
            failed_first = sum(len(r.failed) + (r.error is not None) for r in first.values())
            for _ in range(5):  # re-run after partial failure, as a deploy script would
                results = await sync_customers(client, wanted, concurrency=16)
                if all(r.ok for r in results.values()):
                    break
            assert all(r.ok for r in results.values())
        for code in emu.customer_codes:
            assert stored(emu, code) == Counter(
                (s.topic, s.url) for s in wanted[code]
            )  # exact: no dupes, none lost
        assert failed_first > 0  # the faults really did bite on the first run
        assert any(r.fault == "drop_after" for r in emu.state.requests)


async def test_failures_are_reported_per_item_not_raised(
    client: EWHClient, emulator: EWHEmulator
) -> None:
    await client.webhooks.list_page()
    emulator.faults = FaultPlan()
    emulator.faults.fail_next("500", 2, method="POST", path_prefix="/webhooks/")
    result = await client.webhooks.sync(specs_for("X", 6), concurrency=1)
    assert result.created == 4
    assert len(result.failed) == 2
    with pytest.raises(SyncError, match="sync failed for 2 item"):
        result.raise_for_errors()
    rerun = await client.webhooks.sync(specs_for("X", 6))
    assert rerun.created == 2
    assert rerun.unchanged == 4


async def test_progress_callback_sees_every_write(client: EWHClient) -> None:
    seen: list[tuple[int, int]] = []
    await client.webhooks.sync(
        specs_for("X", 7), on_progress=lambda item, done, total: seen.append((done, total))
    )
    assert seen == [(i, 7) for i in range(1, 8)]


async def test_an_async_progress_callback_is_awaited(client: EWHClient) -> None:
    seen: list[int] = []

    async def progress(item: object, done: int, total: int) -> None:
        await asyncio.sleep(0)
        seen.append(done)

    await client.webhooks.sync(specs_for("X", 3), on_progress=progress)
    assert sorted(seen) == [1, 2, 3]


async def test_cancelling_a_sync_leaves_no_task_behind() -> None:
    async with EWHEmulator(latency=0.05) as emu, emu.client() as client:

        def sync_workers() -> list[asyncio.Task[object]]:
            return [
                t
                for t in asyncio.all_tasks()
                if t.get_name().startswith("ewh_webhooks sync worker")
            ]

        task = asyncio.create_task(client.webhooks.sync(specs_for("X", 40), concurrency=4))
        async with asyncio.timeout(5):
            while len(sync_workers()) < 4:
                await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert sync_workers() == []


async def test_a_bad_spec_of_one_customer_names_it_and_nothing_is_sent(
    client: EWHClient, emulator: EWHEmulator
) -> None:
    wanted = {
        "CUSTOMER1": specs_for("CUSTOMER1", 3),
        "CUSTOMER2": [*specs_for("CUSTOMER2", 2), specs_for("CUSTOMER2", 1)[0]],
    }
    with pytest.raises(InvalidArgumentError, match=r"customer CUSTOMER2: specs\[2\].*listed twice"):
        await sync_customers(client, wanted)
    assert [r for r in emulator.state.requests if r.path.startswith("/webhooks/")] == []


@pytest.mark.parametrize(
    "server",
    [
        {"topic_style": "none"},
        {"topic_style": "dot"},
        {"topic_style": "slash"},
        {"topic_style": "underscore"},
        {"list_items": "topic_only", "topic_style": "slash"},
        {"list_items": "topic_null", "topic_style": "dot"},
        {"count_shortfall": 3, "max_limit": 2},
    ],
    ids=[
        "no-topic",
        "dot",
        "slash",
        "underscore",
        "topic-only-items",
        "null-group-action",
        "count-understated",
    ],
)
@pytest.mark.parametrize("prune", [False, True])
async def test_sync_is_idempotent_whatever_the_server_does_with_topics_and_counts(
    server: dict[str, Any], prune: bool, fake_time: FakeTime
) -> None:
    async with EWHEmulator(**server) as emu, emu.client(runtime=fake_time.runtime()) as client:
        for i in range(3):
            emu.state.add_webhook(
                emu.customer_code,
                url=f"https://e.test/old{i}",
                group="stock",
                action="updated",
                hash_secret="s",
            )
        wanted = specs_for("X", 5)
        first = await client.webhooks.sync(wanted, prune=prune)
        assert first.ok, first.summary()
        again = await client.webhooks.sync(wanted, prune=prune)
        assert again.plan.request_count == 0, again.plan.summary()
        assert again.unchanged == 5
        assert stored(emu, emu.customer_code)[("stock.updated", "https://e.test/old0")] == (
            0 if prune else 1
        )
