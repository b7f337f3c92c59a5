"""Pagination: the pure decision of where the next page is, and a page-by-page stream.

Rules (design section 4): stop on `next: null`, an empty page, or once the items
seen reach `count`; a short page is not the end (a server may cap `limit`
quietly); follow `next` only on the origin of `base_url`, so the token is never
sent elsewhere; without a `next` key go on by page number; a server that serves a
page or a link twice is reported, not followed forever.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncGenerator, Callable, Coroutine
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import attrs

from .errors import NotFoundError, ResponseValidationError
from .models import RawPage

__all__ = [
    "PageRef",
    "iterate_pages",
    "last_page_number",
    "next_page",
    "page_url",
    "same_origin",
]

log = logging.getLogger("ewh_webhooks.pagination")


@attrs.frozen(slots=True)
class PageRef:
    """Where a page is: its number, and the absolute URL to fetch it from."""

    number: int
    url: str
    # True when the server linked to it; False when we went on by page number.
    linked: bool = False


def same_origin(url: str, base_url: str) -> bool:
    a, b = urlsplit(url), urlsplit(base_url)
    return (a.scheme, a.hostname, a.port or _default_port(a.scheme)) == (
        b.scheme,
        b.hostname,
        b.port or _default_port(b.scheme),
    )


def _default_port(scheme: str) -> int | None:
    return {"https": 443, "http": 80}.get(scheme)


def page_url(base_url: str, path: str, params: dict[str, object]) -> str:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"{base_url}{path}?{query}" if query else base_url + path


def next_page(
    page: RawPage,
    *,
    current: PageRef,
    seen: int,
    base_url: str,
    by_number: Callable[[int], str],
) -> PageRef | None:
    """The page after `page`, or None when the listing is complete.

    `seen` counts the items of every page so far, this one included; `by_number`
    builds the URL of a page from its number.
    """
    if not page.items:
        return None
    if page.has_next_key and page.next is None:
        return None
    if page.count is not None and seen >= page.count:
        return None
    number = current.number + 1
    if page.next is not None:
        link = urljoin(current.url, page.next)
        if same_origin(link, base_url):
            return PageRef(number, link, linked=True)
        log.warning("ignoring a next link to another origin; going on by page number")
    return PageRef(number, by_number(number))


def last_page_number(count: int | None, page_size: int) -> int | None:
    """How many pages `count` items fill at `page_size` (the size the server really
    used on page 1), or None when that cannot be known."""
    if count is None or page_size <= 0:
        return None
    return max(1, -(-count // page_size))


def _item_id(item: Any) -> Any:
    return item.get("id") if isinstance(item, dict) else None


class _LoopGuard:
    """Reports a server that serves a link or a page of items twice."""

    def __init__(self) -> None:
        self._urls: set[str] = set()
        self._pages: set[int] = set()

    def visited(self, ref: PageRef) -> bool:
        return ref.url in self._urls

    def visit(self, ref: PageRef) -> None:
        if ref.url in self._urls:
            raise ResponseValidationError(f"pagination loop: the server linked back to {ref.url}")
        self._urls.add(ref.url)

    def check(self, ref: PageRef, page: RawPage) -> None:
        if not page.items:
            return
        fingerprint = hash(tuple(_item_id(item) for item in page.items))
        if fingerprint in self._pages:
            raise ResponseValidationError(
                f"pagination loop: page {ref.number} repeats the items of an earlier page"
            )
        self._pages.add(fingerprint)


async def iterate_pages(
    fetch: Callable[[PageRef], Coroutine[Any, Any, RawPage]],
    *,
    first: PageRef,
    base_url: str,
    by_number: Callable[[int], str],
    spawn: Callable[[Coroutine[Any, Any, RawPage]], asyncio.Task[RawPage]] = asyncio.create_task,
    prefetch: bool = True,
    concurrency: int = 1,
) -> AsyncGenerator[RawPage, None]:
    """Yield raw pages in order, fetching ahead while the caller works on the current one.

    - `prefetch`: the next page is requested before this one is yielded (two pages
      in memory at most).
    - `concurrency` > 1: once page 1 gives `count`, the remaining pages are fetched by
      number, up to `concurrency` at a time, still yielded in order (memory bounded
      by the window, not the total).
    Leaving early (break, error, cancellation) cancels every fetch still running.
    """
    guard = _LoopGuard()
    pending: deque[tuple[PageRef, asyncio.Task[RawPage] | None]] = deque()
    seen = 0
    plan_next = plan_last = 0  # the concurrent plan: pages still to schedule by number

    def schedule(ref: PageRef, ahead: bool) -> None:
        # A link seen before is not fetched ahead: the guard reports it in its turn,
        # after every page before it has been yielded.
        ahead = ahead and not guard.visited(ref)
        pending.append((ref, spawn(fetch(ref)) if ahead else None))

    try:
        schedule(first, ahead=False)
        while pending:
            ref, task = pending.popleft()
            guard.visit(ref)
            try:
                page = await (task if task is not None else fetch(ref))
            except NotFoundError:
                # Django REST framework answers 404 "Invalid page." past the last page;
                # only a page we asked for by number can be past the end.
                if ref.linked or ref.number == 1:
                    raise
                return
            guard.check(ref, page)
            seen += len(page.items)
            if not page.items or (page.count is not None and seen >= page.count):
                if page.items:
                    yield page
                return
            if ref.number == 1 and concurrency > 1:
                last = last_page_number(page.count, len(page.items))
                if last is not None and last > 1:
                    plan_next, plan_last = 2, last
            while plan_next and plan_next <= plan_last and len(pending) < concurrency:
                schedule(PageRef(plan_next, by_number(plan_next)), ahead=True)
                plan_next += 1
            if not pending:
                # No plan, or its last page: the server's answer says what comes next.
                following = next_page(
                    page, current=ref, seen=seen, base_url=base_url, by_number=by_number
                )
                if following is not None:
                    schedule(following, ahead=prefetch or concurrency > 1)
            if any(task is not None for _, task in pending):
                # One turn of the loop puts the requests ahead on the wire, so the
                # server works on them while the caller structures this page.
                await asyncio.sleep(0)
            yield page
    finally:
        tasks = [task for _, task in pending if task is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
