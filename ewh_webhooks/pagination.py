"""Pagination: the pure decision of where the next page is, a bounded loop guard,
and a page-by-page stream that fetches ahead.

Rules:
- A body with a `next` key is followed while `next` is non-null, even past the
  `count` it gives (a `count` lower than the real total never cuts a listing short);
  it ends on `next: null` or an empty page.
- A body without a `next` key goes on by page number until an empty page, the
  `count` is reached, or a 404 past the last page (Django REST framework's
  "Invalid page.").
- A page shorter than the `limit` asked for is not the end: a server may cap `limit`.
- `next` is followed only on the origin of `base_url` and never with credentials in
  it, so the token never goes elsewhere; otherwise we go on by page number.
- A server that links back to a page, or serves the same page again, is reported
  with `ResponseValidationError` instead of being followed forever.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncGenerator, Callable, Coroutine
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

import attrs

from .errors import NotFoundError, ResponseValidationError
from .models import RawPage
from .redaction import redact_url

__all__ = [
    "LoopGuard",
    "PageRef",
    "Spawn",
    "iterate_pages",
    "last_page_number",
    "next_page",
    "same_origin",
]

log = logging.getLogger("ewh_webhooks.pagination")

# Repeats among this many recent pages are caught before any item is handed out
# twice; longer cycles are caught by Brent's algorithm in constant memory.
_RECENT = 32


@attrs.frozen(slots=True)
class PageRef:
    """Where a page is: its number, and the absolute URL to fetch it from."""

    number: int
    url: str
    # True when the server linked to it; False when we went on by page number.
    linked: bool = False


class Spawn(Protocol):
    def __call__(
        self, coro: Coroutine[Any, Any, RawPage], *, name: str | None = None
    ) -> asyncio.Task[RawPage]: ...


def _origin(url: str) -> tuple[str, str | None, int | None] | None:
    try:
        parts = urlsplit(url)
        port = parts.port or {"https": 443, "http": 80}.get(parts.scheme)
        has_credentials = parts.username is not None or parts.password is not None
    except ValueError:  # a port that is not a number, an unclosed IPv6 bracket...
        return None
    if has_credentials or not parts.hostname:
        return None
    return parts.scheme, parts.hostname, port  # urlsplit lowercases both


def same_origin(url: str, base_url: str) -> bool:
    """Whether `url` is on `base_url`'s scheme, host and port, with no credentials in it."""
    origin = _origin(url)
    return origin is not None and origin == _origin(base_url)


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
    number = current.number + 1
    if page.has_next_key:
        if page.next is None:
            return None
        try:
            link = urljoin(current.url, page.next)
        except ValueError:
            link = ""
        if link and same_origin(link, base_url):
            return PageRef(number, link, linked=True)
        log.warning(
            "ignoring a next link %r that is not on %s; going on by page number",
            redact_url(page.next)[:200],
            base_url,
        )
        return PageRef(number, by_number(number))
    if page.count is not None and seen >= page.count:
        return None
    return PageRef(number, by_number(number))


def last_page_number(count: int | None, page_size: int) -> int | None:
    """How many pages `count` items fill at `page_size` (the size the server really
    used on page 1), or None when that cannot be known."""
    if count is None or page_size <= 0:
        return None
    return max(1, -(-count // page_size))


def _fingerprint(page: RawPage) -> int:
    # Ids are read only if they are strings or numbers: validation comes later.
    return hash(tuple(_item_id(item) for item in page.items))


def _item_id(item: Any) -> object:
    value = item.get("id") if isinstance(item, dict) else None
    return value if type(value) in (str, int) else None


class _CycleCheck:
    """Catches a value that comes back, in constant memory: the last few values
    exactly, and any longer cycle by Brent's algorithm (a value saved at each power
    of two is compared with every later one)."""

    def __init__(self) -> None:
        self._recent: deque[object] = deque(maxlen=_RECENT)
        self._recent_set: dict[object, int] = {}
        self._saved: object = None
        self._has_saved = False
        self._steps = 0
        self._power = 1

    def seen_before(self, value: object) -> bool:
        if value in self._recent_set or (self._has_saved and value == self._saved):
            return True
        if len(self._recent) == self._recent.maxlen:
            old = self._recent[0]
            count = self._recent_set[old] - 1
            if count:
                self._recent_set[old] = count
            else:
                del self._recent_set[old]
        self._recent.append(value)
        self._recent_set[value] = self._recent_set.get(value, 0) + 1
        self._steps += 1
        if self._steps == self._power:
            self._saved, self._has_saved = value, True
            self._power, self._steps = self._power * 2, 0
        return False

    def recent(self, value: object) -> bool:
        return value in self._recent_set


class LoopGuard:
    """Reports a server that serves a link or a page of items twice (bounded memory)."""

    def __init__(self) -> None:
        self._urls = _CycleCheck()
        self._pages = _CycleCheck()

    def visited(self, ref: PageRef) -> bool:
        """A link seen among the recent pages: not worth fetching ahead."""
        return self._urls.recent(ref.url)

    def visit(self, ref: PageRef) -> None:
        if self._urls.seen_before(ref.url):
            raise ResponseValidationError(
                f"pagination loop: the server linked back to {redact_url(ref.url)}"
            )

    def check(self, ref: PageRef, page: RawPage) -> None:
        if page.items and self._pages.seen_before(_fingerprint(page)):
            raise ResponseValidationError(
                f"pagination loop: page {ref.number} repeats the items of an earlier page"
            )


async def iterate_pages(
    fetch: Callable[[PageRef], Coroutine[Any, Any, RawPage]],
    *,
    first: PageRef,
    base_url: str,
    by_number: Callable[[int], str],
    spawn: Spawn = asyncio.create_task,
    prefetch: bool = True,
    concurrency: int = 1,
) -> AsyncGenerator[RawPage, None]:
    """Yield raw pages in order, fetching ahead while the caller works on the current one.

    - `prefetch`: the next page is requested before this one is yielded.
    - `concurrency` > 1: once page 1 gives `count`, the pages it implies are fetched
      by number, up to `concurrency` at a time, still yielded in order (memory
      bounded by the window, not the total); after them the server's answer says
      whether more follow.
    Leaving early (break, error, cancellation) cancels every fetch still running.
    """
    guard = LoopGuard()
    pending: deque[tuple[PageRef, asyncio.Task[RawPage] | None]] = deque()
    seen = 0
    plan_next = plan_last = 0  # the concurrent plan: pages still to schedule by number

    def schedule(ref: PageRef, ahead: bool) -> None:
        # A link seen before is not fetched ahead: the guard reports it in its turn,
        # after every page before it has been yielded.
        ahead = ahead and not guard.visited(ref)
        task = spawn(fetch(ref), name=f"ewh_webhooks page {ref.number}") if ahead else None
        pending.append((ref, task))

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
            if not page.items:
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
