"""Sync over the `WebhookStore` seam, with an in-memory store that behaves like servers
we cannot reach: whatever their `topic` looks like, sync identifies a webhook by
group + action + url, plans only from a complete listing, and keeps the client's cap."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from ewh_webhooks import ResponseValidationError, WebhookSpec
from ewh_webhooks.converter import structure_webhook
from ewh_webhooks.errors import APIConnectionError
from ewh_webhooks.models import Webhook, WebhookCreate, WebhookUpdate
from ewh_webhooks.sync import SyncOptions, WebhookStore, sync_customers, sync_webhooks

TOPIC_STYLES = {
    "dot": lambda g, a: f"{g}.{a}",
    "slash": lambda g, a: f"{g}/{a}",
    "underscore": lambda g, a: f"{g}_{a}",
    "upper": lambda g, a: f"{g.upper()}:{a.upper()}",
    "none": None,
}


class MemoryStore:
    """A customer's webhooks as a server would list them, in memory."""

    def __init__(
        self,
        customer: str = "C1",
        *,
        topic_style: str = "dot",
        max_in_flight: int = 16,
        shared: dict[str, dict[str, dict[str, Any]]] | None = None,
    ) -> None:
        self.customer = customer
        self.topic_style = topic_style
        self._max_in_flight = max_in_flight
        self.all = shared if shared is not None else {}
        self.all.setdefault(customer, {})
        self.writes: list[str] = []
        self.in_flight = 0
        self.peak = 0
        self.fail_listing_after: int | None = None
        self.extra_items: list[dict[str, Any]] = []

    @property
    def hooks(self) -> dict[str, dict[str, Any]]:
        return self.all[self.customer]

    @property
    def customer_code(self) -> str:
        return self.customer

    @property
    def allows_loopback_http(self) -> bool:
        return False

    @property
    def max_in_flight(self) -> int:
        return self._max_in_flight

    def add(self, url: str, group: str = "order", action: str = "shipped") -> str:
        hook_id = str(uuid.uuid4())
        self.hooks[hook_id] = {"id": hook_id, "url": url, "group": group, "action": action}
        return hook_id

    def _as_listed(self, item: dict[str, Any]) -> dict[str, Any]:
        listed = dict(item)
        style = TOPIC_STYLES[self.topic_style]
        if style is not None:
            listed["topic"] = style(item["group"], item["action"])
        return listed

    async def list(self) -> AsyncIterator[Webhook]:
        items = [self._as_listed(h) for h in self.hooks.values()] + self.extra_items
        for index, item in enumerate(items):
            if self.fail_listing_after is not None and index >= self.fail_listing_after:
                raise APIConnectionError(
                    "GET /webhooks/?page=2 failed: server closed the connection"
                )
            await asyncio.sleep(0)
            yield structure_webhook(item, what="GET /webhooks/ results")

    async def _write(self, what: str) -> None:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        self.writes.append(what)
        await asyncio.sleep(0.001)
        self.in_flight -= 1

    async def create_checked(self, body: WebhookCreate) -> Webhook:
        await self._write("create")
        hook_id = self.add(body.url, body.group, body.action)
        return structure_webhook(self._as_listed(self.hooks[hook_id]), what="POST")

    async def update_checked(self, webhook_id: str, body: WebhookUpdate) -> Webhook:
        await self._write("update")
        item = self.hooks[webhook_id]
        for field in ("url", "group", "action"):
            if getattr(body, field) is not None:
                item[field] = getattr(body, field)
        return structure_webhook(self._as_listed(item), what="PATCH")

    async def delete(self, webhook_id: str) -> None:
        await self._write("delete")
        del self.hooks[webhook_id]

    def for_customer(self, customer_code: str) -> MemoryStore:
        other = MemoryStore(
            customer_code,
            topic_style=self.topic_style,
            max_in_flight=self._max_in_flight,
            shared=self.all,
        )
        other.writes = self.writes
        return other


def spec(url: str, group: str = "order", action: str = "shipped") -> WebhookSpec:
    return WebhookSpec(url=url, group=group, action=action, hash_secret="s")


def test_the_memory_store_is_a_webhook_store() -> None:
    store: WebhookStore = MemoryStore()
    assert store.customer_code == "C1"


@pytest.mark.parametrize("style", sorted(TOPIC_STYLES))
@pytest.mark.parametrize("prune", [False, True])
async def test_sync_converges_whatever_the_server_calls_its_topics(style: str, prune: bool) -> None:
    store = MemoryStore(topic_style=style)
    store.add("https://e.test/keep")
    store.add("https://e.test/old", "stock", "updated")
    wanted = [spec("https://e.test/keep"), spec("https://e.test/new", "stock", "updated")]
    first = await sync_webhooks(store, wanted, SyncOptions(prune=prune))
    assert first.ok
    assert first.unchanged == 1  # matched on group + action + url, not on the topic string
    again = await sync_webhooks(store, wanted, SyncOptions(prune=prune))
    assert again.plan.request_count == 0
    urls = sorted(h["url"] for h in store.hooks.values())
    if prune:
        assert urls == ["https://e.test/keep", "https://e.test/new"]
        assert store.writes == ["update"]  # the old stock webhook repurposed in one PATCH
    else:
        assert urls == ["https://e.test/keep", "https://e.test/new", "https://e.test/old"]
        assert store.writes == ["create"]


async def test_items_with_only_a_topic_are_understood_from_it() -> None:
    store = MemoryStore()
    store.extra_items.append({"id": "x1", "url": "https://e.test/t", "topic": "order/shipped"})
    result = await sync_webhooks(store, [spec("https://e.test/t")])
    assert (result.unchanged, result.plan.request_count) == (1, 0)


async def test_an_item_that_cannot_be_identified_makes_the_plan_fail_safely() -> None:
    store = MemoryStore()
    store.add("https://e.test/a")
    store.extra_items.append({"id": "broken-1", "group": "order", "action": "shipped"})
    with pytest.raises(ResponseValidationError, match=r"broken-1.*url"):
        await sync_webhooks(store, [spec("https://e.test/b")], SyncOptions(prune=True))
    assert store.writes == []


async def test_a_listing_that_cannot_be_completed_changes_nothing_for_that_customer() -> None:
    shared: dict[str, dict[str, dict[str, Any]]] = {}
    store = MemoryStore("C1", shared=shared)
    for i in range(5):
        store.add(f"https://e.test/{i}")
    broken = store.for_customer("C2")
    broken.add("https://e.test/x")
    broken.add("https://e.test/y")

    class Client:
        webhooks = store

    original_for_customer = store.for_customer

    def for_customer(code: str) -> MemoryStore:
        other = original_for_customer(code)
        if code == "C2":
            other.fail_listing_after = 1  # the second page fails after its retries
        return other

    store.for_customer = for_customer  # type: ignore[method-assign]
    results = await sync_customers(
        Client(),
        {"C1": [spec("https://e.test/new")], "C2": [spec("https://e.test/new")]},
        prune=True,
    )
    assert results["C1"].ok
    assert [h["url"] for h in shared["C1"].values()] == ["https://e.test/new"]
    assert isinstance(results["C2"].error, APIConnectionError)
    assert "failed before any change" in results["C2"].summary()
    assert sorted(h["url"] for h in shared["C2"].values()) == [
        "https://e.test/x",
        "https://e.test/y",
    ]


async def test_sync_concurrency_never_exceeds_the_clients_cap_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = MemoryStore(max_in_flight=4)
    caplog.set_level(logging.WARNING, logger="ewh_webhooks.sync")
    wanted = [spec(f"https://e.test/{i}") for i in range(40)]
    result = await sync_webhooks(store, wanted, SyncOptions(concurrency=32))
    assert result.created == 40
    assert store.peak == 4
    assert "exceeds the client's max_in_flight 4" in caplog.text


async def test_a_listing_that_repeats_a_webhook_is_planned_once() -> None:
    store = MemoryStore()
    hook_id = store.add("https://e.test/a")
    store.extra_items.append({**store.hooks[hook_id], "topic": "order.shipped"})
    result = await sync_webhooks(store, [], SyncOptions(prune=True))
    assert result.deleted == 1
    assert store.writes == ["delete"]


def test_sync_options_are_checked() -> None:
    with pytest.raises(Exception, match="concurrency"):
        SyncOptions(concurrency=0)
    with pytest.raises(Exception, match="prune"):
        SyncOptions(prune="yes")  # type: ignore[arg-type]
