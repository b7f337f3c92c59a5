"""How the emulator reads a listing's query and cuts the page: pure decisions.

The document names `page`, `limit` (default 50), `sort` and `direction` (`asc` or
`desc`) and says nothing of what a server does with values outside those. By default
the emulator is lenient, as many servers are: an unreadable `limit` means the default,
an unknown `sort` or `direction` is ignored, an unreadable `page` is "Invalid page."
(404). `strict=True` answers 400 to each of them instead.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

__all__ = ["SORT_FIELDS", "ListingQuery", "PageNotFound", "QueryRejected", "read_query", "window"]

SORT_FIELDS = frozenset({"id", "url", "group", "action", "topic", "created_at", "modified_at"})


class QueryRejected(Exception):
    """Answer 400 with these field errors."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


class PageNotFound(Exception):
    """Answer 404 "Invalid page."."""


@attrs.frozen(slots=True, kw_only=True)
class ListingQuery:
    page: int
    limit: int
    sort: str | None = None
    descending: bool = False


def _positive(value: str | None) -> int | None:
    # ASCII digits only (no sign, space or "²"); past 18 digits it is no page size anyway.
    if value is None or not (value.isascii() and value.isdigit()) or len(value) > 18:
        return None
    number = int(value)
    return number if number >= 1 else None


def read_query(
    query: Mapping[str, str], *, default_limit: int, max_limit: int | None, strict: bool
) -> ListingQuery:
    """The page to serve, or `QueryRejected` (400) / `PageNotFound` (404)."""
    errors: dict[str, list[str]] = {}
    page = _positive(query.get("page", "1"))
    limit = _positive(query.get("limit", str(default_limit)))
    sort, direction = query.get("sort"), query.get("direction", "asc")
    if page is None:
        if strict:
            errors["page"] = ["This value should be a positive integer."]
        else:
            raise PageNotFound
    if limit is None:
        if strict:
            errors["limit"] = ["This value should be a positive integer."]
        limit = default_limit
    if direction not in ("asc", "desc"):
        if strict:
            errors["direction"] = ["This value should be either asc or desc."]
        direction = "asc"
    if sort is not None and sort not in SORT_FIELDS:
        if strict:
            errors["sort"] = [f"Unknown sort field {sort!r}."]
        sort = None
    if errors:
        raise QueryRejected(errors)
    assert page is not None
    if max_limit is not None:
        limit = min(limit, max_limit)  # quietly, as the document allows for
    return ListingQuery(page=page, limit=limit, sort=sort, descending=direction == "desc")


def window(total: int, page: int, limit: int, *, past_end_404: bool) -> tuple[int, int]:
    """`(start, stop)` of the page among `total` items, or `PageNotFound`.

    Page 1 of an empty listing is an empty page; a later page past the end is a 404
    (Django REST framework's answer) or, with `past_end_404=False`, an empty page.
    """
    start = (page - 1) * limit
    if page > 1 and start >= total and past_end_404:
        raise PageNotFound
    return min(start, total), min(start + limit, total)
