"""Pagination over real sockets: thousands of webhooks, every link style, capped pages,
and (with aioresponses) servers that misbehave."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from aioresponses import aioresponses

from ewh_webhooks import EWHClient, ResponseValidationError
from ewh_webhooks.testing import EWHEmulator

from .conftest import BASE, FakeTime, make_client


def seed(emu: EWHEmulator, n: int, customer: str | None = None) -> None:
    for i in range(n):
        emu.state.add_webhook(
            customer or emu.customer_code,
            url=f"https://e.test/{i:05d}",
            group="order",
            action="created",
            hash_secret="s",
        )


def list_requests(emu: EWHEmulator) -> list[dict[str, str]]:
    return [
        dict(r.query) for r in emu.state.requests if r.method == "GET" and r.path == "/webhooks/"
    ]


@pytest.mark.parametrize("next_style", ["absolute", "relative", "none"])
async def test_streams_three_thousand_webhooks_in_order(next_style: str) -> None:
    async with EWHEmulator(next_style=next_style) as emu, emu.client() as client:
        seed(emu, 3000)
        urls = [hook.url async for hook in client.webhooks.list(limit=100)]
        assert urls == [f"https://e.test/{i:05d}" for i in range(3000)]
        assert len(list_requests(emu)) == 30  # no extra request past the end


async def test_a_server_that_caps_limit_quietly_loses_nothing() -> None:
    async with EWHEmulator(max_limit=7) as emu, emu.client() as client:
        seed(emu, 50)
        hooks = [hook async for hook in client.webhooks.list(limit=100)]
        assert len({h.id for h in hooks}) == 50
        assert len(list_requests(emu)) == 8


async def test_sort_and_direction_pass_through(emulator: EWHEmulator, client: EWHClient) -> None:
    seed(emulator, 30)
    urls = [h.url async for h in client.webhooks.list(limit=10, sort="url", direction="desc")]
    assert urls == sorted(urls, reverse=True)
    assert all(q["sort"] == "url" and q["direction"] == "desc" for q in list_requests(emulator))


async def test_empty_listing_is_one_request(emulator: EWHEmulator, client: EWHClient) -> None:
    assert [h async for h in client.webhooks.list()] == []
    assert len(list_requests(emulator)) == 1


HOOK = {"url": "https://e.test/", "group": "order", "action": "created"}


@pytest.fixture
def mock() -> Iterator[aioresponses]:
    with aioresponses() as m:
        m.post(
            f"{BASE}/wms/auth/login/",
            payload={"token": "t", "exp": 2e9, "iat": 1e9, "refresh_token": "r"},
        )
        yield m


async def test_a_server_linking_back_to_a_page_is_reported(
    mock: aioresponses, fake_time: FakeTime
) -> None:
    mock.get(
        f"{BASE}/webhooks/?page=1&limit=2",
        payload={
            "count": 10,
            "next": f"{BASE}/webhooks/?page=2&limit=2",
            "results": [{**HOOK, "id": "a"}, {**HOOK, "id": "b"}],
        },
    )
    mock.get(
        f"{BASE}/webhooks/?page=2&limit=2",
        payload={
            "count": 10,
            "next": f"{BASE}/webhooks/?page=1&limit=2",
            "results": [{**HOOK, "id": "c"}, {**HOOK, "id": "d"}],
        },
    )
    async with make_client(runtime=fake_time.runtime()) as client:
        seen: list[str] = []

        async def consume() -> None:
            # One page at a time: the links are followed, not the page numbers.
            async for hook in client.webhooks.list(limit=2, concurrency=1):
                seen.append(hook.id)

        with pytest.raises(ResponseValidationError, match="pagination loop"):
            await consume()
    assert seen == ["a", "b", "c", "d"]


async def test_a_server_repeating_a_page_is_reported(
    mock: aioresponses, fake_time: FakeTime
) -> None:
    body = {"count": 10, "results": [{**HOOK, "id": "a"}, {**HOOK, "id": "b"}]}
    mock.get(f"{BASE}/webhooks/?page=1&limit=2", payload=body)
    mock.get(f"{BASE}/webhooks/?page=2&limit=2", payload=body)
    async with make_client(runtime=fake_time.runtime()) as client:
        with pytest.raises(ResponseValidationError, match="page 2 repeats"):
            _ = [h async for h in client.webhooks.list(limit=2)]


async def test_a_next_link_to_another_origin_never_gets_the_token(
    mock: aioresponses, fake_time: FakeTime
) -> None:
    mock.get(
        f"{BASE}/webhooks/?page=1&limit=2",
        payload={
            "count": 3,
            "next": "https://evil.test/webhooks/?page=2",
            "results": [{**HOOK, "id": "a"}, {**HOOK, "id": "b"}],
        },
    )
    mock.get(
        f"{BASE}/webhooks/?page=2&limit=2",
        payload={"count": 3, "next": None, "results": [{**HOOK, "id": "c"}]},
    )
    async with make_client(runtime=fake_time.runtime()) as client:
        ids = [h.id async for h in client.webhooks.list(limit=2)]
    assert ids == ["a", "b", "c"]
    assert not [key for key in mock.requests if key[1].host == "evil.test"]


async def test_without_count_or_next_a_404_past_the_end_ends_the_listing(
    mock: aioresponses, fake_time: FakeTime
) -> None:
    # Django REST framework answers 404 "Invalid page." past the last page.
    full = {"results": [{**HOOK, "id": "a"}, {**HOOK, "id": "b"}]}
    mock.get(f"{BASE}/webhooks/?page=1&limit=2", payload=full)
    mock.get(
        f"{BASE}/webhooks/?page=2&limit=2",
        payload={"results": [{**HOOK, "id": "c"}, {**HOOK, "id": "d"}]},
    )
    mock.get(f"{BASE}/webhooks/?page=3&limit=2", status=404, payload={"detail": "Invalid page."})
    async with make_client(runtime=fake_time.runtime()) as client:
        assert [h.id async for h in client.webhooks.list(limit=2)] == ["a", "b", "c", "d"]


async def test_a_404_on_the_first_page_is_an_error(mock: aioresponses, fake_time: FakeTime) -> None:
    from ewh_webhooks import NotFoundError

    mock.get(f"{BASE}/webhooks/?page=1&limit=2", status=404, payload={"detail": "Not found."})
    async with make_client(runtime=fake_time.runtime()) as client:
        with pytest.raises(NotFoundError):
            _ = [h async for h in client.webhooks.list(limit=2)]


@pytest.mark.parametrize("concurrency", [2, 8])
async def test_concurrent_pages_arrive_in_order_without_extra_requests(concurrency: int) -> None:
    async with EWHEmulator(latency=0.002) as emu, emu.client() as client:
        seed(emu, 2050)
        urls = [h.url async for h in client.webhooks.list(limit=100, concurrency=concurrency)]
        assert urls == [f"https://e.test/{i:05d}" for i in range(2050)]
        pages = sorted(int(q["page"]) for q in list_requests(emu))
        assert pages == list(range(1, 22))
        assert emu.state.max_in_flight <= concurrency


async def test_the_default_listing_keeps_four_pages_in_flight_and_stays_in_order() -> None:
    async with EWHEmulator(latency=0.005) as emu, emu.client() as client:
        seed(emu, 1000)
        urls = [h.url async for h in client.webhooks.list(limit=100)]
        assert urls == [f"https://e.test/{i:05d}" for i in range(1000)]
        # Pipelined by default: up to DEFAULT_LIST_CONCURRENCY (4) pages at once.
        assert 2 <= emu.state.max_in_flight <= 4
        assert len(list_requests(emu)) == 10


async def test_concurrent_pages_use_the_size_the_server_really_gave() -> None:
    async with EWHEmulator(max_limit=30) as emu, emu.client() as client:
        seed(emu, 100)
        hooks = [h async for h in client.webhooks.list(limit=100, concurrency=4)]
        assert len({h.id for h in hooks}) == 100
        assert len(list_requests(emu)) == 4


async def test_leaving_a_concurrent_listing_early_cancels_the_fetches_ahead() -> None:
    async with EWHEmulator(latency=0.02) as emu, emu.client() as client:
        seed(emu, 1000)
        listing = client.webhooks.list(limit=10, concurrency=8)

        def fetches_ahead() -> list[asyncio.Task[object]]:
            return [t for t in asyncio.all_tasks() if t.get_name().startswith("ewh_webhooks page")]

        async for _ in listing:
            break
        assert len(fetches_ahead()) == 8
        await listing.aclose()  # type: ignore[attr-defined]
        assert len(list_requests(emu)) <= 9  # page 1 and at most 8 ahead, no more
        assert fetches_ahead() == []


async def test_prefetch_requests_the_next_page_before_the_caller_asks() -> None:
    async with EWHEmulator(max_limit=10) as emu, emu.client() as client:
        seed(emu, 30)
        listing = client.webhooks.list(limit=10)
        first = await anext(aiter(listing))
        assert first.url.endswith("00000")
        for _ in range(100):  # let the prefetch reach the emulator; no real sleep needed
            if len(list_requests(emu)) == 2:
                break
            await asyncio.sleep(0)
        assert len(list_requests(emu)) == 2
        await listing.aclose()  # type: ignore[attr-defined]


async def test_without_prefetch_one_page_at_a_time() -> None:
    async with EWHEmulator(max_limit=10) as emu, emu.client() as client:
        seed(emu, 30)
        listing = client.webhooks.list(limit=10, prefetch=False, concurrency=1)
        await anext(aiter(listing))
        for _ in range(20):
            await asyncio.sleep(0)
        assert len(list_requests(emu)) == 1
        await listing.aclose()  # type: ignore[attr-defined]


async def test_concurrency_must_be_positive(client: EWHClient) -> None:
    from ewh_webhooks import InvalidArgumentError

    with pytest.raises(InvalidArgumentError, match="concurrency"):
        await anext(aiter(client.webhooks.list(concurrency=0)))
