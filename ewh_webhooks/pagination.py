"""Pagination: the pure decision of where the next page is, and a page-by-page stream.

Rules (design section 4): stop on `next: null`, an empty page, or once the items
seen reach `count`; a short page is not the end (a server may cap `limit`
quietly); follow `next` only on the origin of `base_url`, so the token is never
sent elsewhere; without a `next` key go on by page number; a server that serves a
page or a link twice is reported, not followed forever.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from urllib.parse import urlencode, urljoin, urlsplit

import attrs

from .errors import NotFoundError, ResponseValidationError
from .models import Page

__all__ = ["PageRef", "iterate_pages", "next_page", "page_url", "same_origin"]

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
    page: Page,
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
    if not page.results:
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


async def iterate_pages(
    fetch: Callable[[PageRef], Awaitable[Page]],
    *,
    first: PageRef,
    base_url: str,
    by_number: Callable[[int], str],
) -> AsyncGenerator[Page, None]:
    """Fetch and yield pages one at a time: memory holds one page, whatever the total."""
    ref: PageRef | None = first
    seen = 0
    visited_urls: set[str] = set()
    visited_pages: set[int] = set()
    while ref is not None:
        if ref.url in visited_urls:
            raise ResponseValidationError(f"pagination loop: the server linked back to {ref.url}")
        visited_urls.add(ref.url)
        try:
            page = await fetch(ref)
        except NotFoundError:
            # Django REST framework answers 404 "Invalid page." past the last page;
            # only a page we guessed by number can be past the end.
            if ref.linked or ref.number == 1:
                raise
            return
        if page.results:
            fingerprint = hash(tuple(hook.id for hook in page.results))
            if fingerprint in visited_pages:
                raise ResponseValidationError(
                    f"pagination loop: page {ref.number} repeats the items of an earlier page"
                )
            visited_pages.add(fingerprint)
        seen += len(page.results)
        yield page
        ref = next_page(page, current=ref, seen=seen, base_url=base_url, by_number=by_number)
