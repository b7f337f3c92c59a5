"""The page stream (`iterate_pages`) and its loop guard, against a scripted server
in memory: which pages are fetched, when, in which task, and in which order they
come out. No HTTP; every test runs in a few event-loop turns."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Coroutine
from typing import Any

import pytest

from ewh_webhooks import NotFoundError, ResponseValidationError
from ewh_webhooks.models import RawPage
from ewh_webhooks.pagination import LoopGuard, PageRef, iterate_pages

BASE = "https://api.test"


def by_number(n: int) -> str:
    return f"{BASE}/webhooks/?page={n}"


def link(n: int) -> str:
    """A server's own link to page `n`: not the URL `by_number` builds."""
    return f"{BASE}/webhooks/?cursor={n}"


def page(*ids: str, count: int | None = None, next: str | bool | None = False) -> RawPage:
    """A page of items with these ids; `next=False` leaves the `next` key out."""
    return RawPage(
        items=[{"id": i} for i in ids],
        count=count,
        next=None if next is False else next,  # type: ignore[arg-type]
        has_next_key=next is not False,
    )


class Server:
    """Answers each URL from a script (a page, or an exception to raise); a URL not in
    the script is an empty page. Logs every fetch as it starts, and the tasks it ran in."""

    def __init__(self, pages: dict[str, RawPage | Exception]) -> None:
        self.pages = pages
        self.started: list[str] = []
        self.stopped: list[str] = []
        self.task_names: list[str] = []
        self.spawned: list[str] = []
        self.hold = asyncio.Event()
        self.hold.set()

    async def fetch(self, ref: PageRef) -> RawPage:
        self.started.append(ref.url)
        task = asyncio.current_task()
        assert task is not None
        self.task_names.append(task.get_name())
        try:
            await self.hold.wait()
            await asyncio.sleep(0)
        finally:
            self.stopped.append(ref.url)
        answer = self.pages.get(ref.url, page())
        if isinstance(answer, Exception):
            raise answer
        return answer

    def spawn(
        self, coro: Coroutine[Any, Any, RawPage], *, name: str | None = None
    ) -> asyncio.Task[RawPage]:
        self.spawned.append(str(name))
        return asyncio.create_task(coro, name=name)

    async def collect(self, seen: list[str], **options: Any) -> None:
        """Every item id into `seen` as it comes out (kept when the stream fails)."""
        async for raw in self.stream(**options):
            seen.extend(item["id"] for item in raw.items)

    def stream(self, *, first: str | None = None, **options: Any) -> AsyncGenerator[RawPage, None]:
        return iterate_pages(
            self.fetch,
            first=PageRef(1, first or by_number(1)),
            base_url=BASE,
            by_number=by_number,
            spawn=self.spawn,
            **options,
        )

    async def read(self, **options: Any) -> list[tuple[list[str], list[str]]]:
        """Each page's ids, with the URLs whose fetch had started when it came out."""
        out = []
        async for raw in self.stream(**options):
            out.append(([item["id"] for item in raw.items], list(self.started)))
        return out


def ids(read: list[tuple[list[str], list[str]]]) -> list[str]:
    return [i for items, _ in read for i in items]


def linked(
    pages: int, per_page: int = 2, count: int | None = None
) -> dict[str, RawPage | Exception]:
    """A listing whose pages link to each other with the server's own URLs."""
    script: dict[str, RawPage | Exception] = {}
    for n in range(1, pages + 1):
        url = by_number(1) if n == 1 else link(n)
        item_ids = [f"{n}.{i}" for i in range(per_page)]
        script[url] = page(*item_ids, count=count, next=link(n + 1) if n < pages else None)
    return script


def numbered(total: int, per_page: int, *, count: bool = True) -> dict[str, RawPage | Exception]:
    """A listing without `next` keys, `per_page` items a page (the server's own cap)."""
    script: dict[str, RawPage | Exception] = {}
    for n in range(1, -(-total // per_page) + 1):
        item_ids = [str(i) for i in range((n - 1) * per_page, min(total, n * per_page))]
        script[by_number(n)] = page(*item_ids, count=total if count else None)
    return script


@pytest.mark.parametrize("count", [None, 6], ids=["without-count", "with-count"])
async def test_by_default_the_servers_links_are_followed_one_page_ahead(count: int | None) -> None:
    server = Server(linked(3, count=count))
    read = await server.read()
    assert ids(read) == ["1.0", "1.1", "2.0", "2.1", "3.0", "3.1"]
    # When a page comes out, the request for the next one is already on its way.
    assert [started for _, started in read] == [
        [by_number(1), link(2)],
        [by_number(1), link(2), link(3)],
        [by_number(1), link(2), link(3)],
    ]


async def test_without_prefetch_a_page_is_requested_only_when_the_caller_asks() -> None:
    server = Server(linked(3))
    read = await server.read(prefetch=False)
    assert [started for _, started in read] == [
        [by_number(1)],
        [by_number(1), link(2)],
        [by_number(1), link(2), link(3)],
    ]
    assert server.spawned == []


async def test_the_first_page_is_fetched_in_the_callers_task_and_the_rest_in_named_tasks() -> None:
    server = Server(linked(3))
    await server.read()
    caller = asyncio.current_task()
    assert caller is not None
    assert server.task_names == [caller.get_name(), "ewh_webhooks page 2", "ewh_webhooks page 3"]
    assert server.spawned == ["ewh_webhooks page 2", "ewh_webhooks page 3"]


async def test_without_next_keys_the_count_ends_the_listing_exactly() -> None:
    server = Server(numbered(5, per_page=2))
    read = await server.read()
    assert ids(read) == ["0", "1", "2", "3", "4"]
    assert server.started == [by_number(1), by_number(2), by_number(3)]  # nothing past the end


async def test_without_next_keys_or_count_an_empty_page_ends_the_listing() -> None:
    server = Server(numbered(3, per_page=2, count=False))
    assert ids(await server.read()) == ["0", "1", "2"]
    assert server.started == [by_number(1), by_number(2), by_number(3)]


@pytest.mark.parametrize(
    ("script", "error", "listed"),
    [
        pytest.param(
            {by_number(1): NotFoundError("GET failed: 404", status=404)},
            NotFoundError,
            [],
            id="404-on-the-first-page-is-an-error",
        ),
        pytest.param(
            {
                by_number(1): page("a", next=link(2)),
                link(2): NotFoundError("GET failed: 404", status=404),
            },
            NotFoundError,
            ["a"],
            id="404-on-a-linked-page-is-an-error",
        ),
        pytest.param(
            {
                by_number(1): page("a"),
                by_number(2): page("b"),
                by_number(3): NotFoundError("GET failed: 404", status=404),
            },
            None,
            ["a", "b"],
            id="404-past-the-last-numbered-page-ends-the-listing",
        ),
    ],
)
async def test_a_404_ends_only_a_listing_that_went_on_by_number(
    script: dict[str, RawPage | Exception], error: type[Exception] | None, listed: list[str]
) -> None:
    server = Server(script)
    seen: list[str] = []
    if error is None:
        await server.collect(seen)
    else:
        with pytest.raises(error):
            await server.collect(seen)
    assert seen == listed


async def test_concurrent_pages_come_out_in_order_with_the_window_full() -> None:
    server = Server(numbered(10, per_page=2))  # five pages; the server gives `count`
    read = await server.read(concurrency=3)
    assert ids(read) == [str(i) for i in range(10)]
    # Page 1's count implies pages 2-5, fetched by number, three at a time.
    assert [started for _, started in read] == [
        [by_number(n) for n in (1, 2, 3, 4)],
        [by_number(n) for n in (1, 2, 3, 4, 5)],
        [by_number(n) for n in (1, 2, 3, 4, 5)],
        [by_number(n) for n in (1, 2, 3, 4, 5)],
        [by_number(n) for n in (1, 2, 3, 4, 5)],
    ]


async def test_pages_implied_by_the_count_are_fetched_by_number_even_when_linked() -> None:
    server = Server(linked(2, count=4))
    read = await server.read(concurrency=2)
    assert server.started == [by_number(1), by_number(2)]
    assert next(started for _, started in read) == [by_number(1), by_number(2)]


async def test_after_the_planned_pages_the_servers_answer_says_what_follows() -> None:
    script = numbered(4, per_page=2)  # a count of 4: two pages planned...
    script[by_number(2)] = page("2", "3", count=4, next=link(3))  # ...but page 2 links on
    script[link(3)] = page("4", count=4, next=None)
    server = Server(script)
    read = await server.read(concurrency=2, prefetch=False)
    assert ids(read) == ["0", "1", "2", "3", "4"]
    # Concurrency fetches ahead even without prefetch.
    assert [started for _, started in read][1] == [by_number(1), by_number(2), link(3)]


async def test_without_a_count_concurrency_still_fetches_the_next_link_ahead() -> None:
    server = Server(linked(2))
    read = await server.read(concurrency=2, prefetch=False)
    assert next(started for _, started in read) == [by_number(1), link(2)]


async def test_a_server_linking_back_is_reported_before_any_item_comes_out_twice() -> None:
    server = Server(
        {
            by_number(1): page("a", next=link(2)),
            link(2): page("b", next=link(3)),
            link(3): page("c", next=by_number(1)),
        }
    )
    seen: list[str] = []
    with pytest.raises(
        ResponseValidationError, match=r"linked back to https://api\.test/webhooks/\?page=1"
    ):
        await server.collect(seen)
    assert seen == ["a", "b", "c"]
    assert server.started == [by_number(1), link(2), link(3)]  # the loop is never fetched again


async def test_a_server_repeating_a_page_of_items_is_reported() -> None:
    server = Server({by_number(1): page("a", "b"), by_number(2): page("a", "b")})
    with pytest.raises(
        ResponseValidationError, match="page 2 repeats the items of an earlier page"
    ):
        await server.read()


async def test_leaving_early_cancels_the_fetches_ahead_and_waits_for_them() -> None:
    server = Server(numbered(20, per_page=2))
    stream = server.stream(concurrency=4)
    await anext(stream)
    server.hold.clear()  # the fetches ahead now hang
    await anext(stream)
    in_flight = [url for url in server.started if url not in server.stopped]
    assert in_flight
    await stream.aclose()
    assert [url for url in server.started if url not in server.stopped] == []
    assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("ewh_webhooks page")]


def refs(*urls: str) -> list[PageRef]:
    return [PageRef(n, url) for n, url in enumerate(urls, 1)]


def visit_all(guard: LoopGuard, path: list[PageRef]) -> None:
    for ref in path:
        guard.visit(ref)


def check_all(guard: LoopGuard, path: list[PageRef]) -> None:
    for ref in path:
        guard.check(ref, page(ref.url))  # each page holds one item: its own URL


def test_the_loop_guard_lets_a_thousand_distinct_links_through() -> None:
    guard = LoopGuard()
    path = refs(*(f"{BASE}/?page={n}" for n in range(1000)))
    visit_all(guard, path)
    check_all(guard, path)


@pytest.mark.parametrize(
    ("tail", "cycle"),
    [
        pytest.param(0, 2, id="short-cycle"),
        pytest.param(0, 33, id="cycle-longer-than-the-recent-window"),
        pytest.param(5, 50, id="tail-then-long-cycle"),
        pytest.param(40, 100, id="long-tail-then-longer-cycle"),
    ],
)
def test_the_loop_guard_catches_a_cycle_of_any_length(tail: int, cycle: int) -> None:
    guard = LoopGuard()
    urls = [f"{BASE}/?tail={n}" for n in range(tail)] + [f"{BASE}/?c={n}" for n in range(cycle)]
    path = urls + [f"{BASE}/?c={n % cycle}" for n in range(4 * (tail + cycle))]
    with pytest.raises(ResponseValidationError, match="pagination loop"):
        visit_all(guard, refs(*path))
    with pytest.raises(ResponseValidationError, match="repeats the items"):
        check_all(guard, refs(*path))


def test_items_that_are_not_objects_are_left_for_validation_later() -> None:
    guard = LoopGuard()
    guard.check(PageRef(1, BASE), RawPage(items=[5, "x", None]))
    with pytest.raises(ResponseValidationError):
        guard.check(PageRef(2, BASE), RawPage(items=[6, "y", []]))  # ids: None, None, None


def test_a_short_cycle_is_caught_at_its_first_repeat() -> None:
    guard = LoopGuard()
    path = refs(*(f"{BASE}/?c={n}" for n in (1, 2, 3, 4, 5, 3)))
    for ref in path[:-1]:
        guard.visit(ref)
    with pytest.raises(ResponseValidationError):
        guard.visit(path[-1])


def test_the_guard_remembers_only_the_last_32_links_exactly() -> None:
    guard = LoopGuard()
    path = refs(*(f"{BASE}/?page={n}" for n in range(40)))
    for ref in path:
        guard.visit(ref)
    assert [guard.visited(ref) for ref in path] == [False] * 8 + [True] * 32
