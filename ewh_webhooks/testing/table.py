"""One customer's webhooks: a mapping by id that also slices pages in creation order.

A page is a slice of a list, so serving page 1,000 costs what page 1 costs. The list
follows the mapping: a create appends to it, a delete marks it stale and the next
page request rebuilds it once (one C-level copy, not one per page).
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterator, KeysView, MutableMapping, ValuesView
from typing import TypeVar

__all__ = ["WebhookTable"]

Hook = TypeVar("Hook")


class WebhookTable(MutableMapping[str, Hook]):
    """Webhooks by id, in creation order (a re-stored id keeps its place, as in a dict)."""

    __slots__ = ("_by_id", "_order", "_stale")

    def __init__(self) -> None:
        self._by_id: dict[str, Hook] = {}
        self._order: list[Hook] = []
        self._stale = False

    def __getitem__(self, webhook_id: str) -> Hook:
        return self._by_id[webhook_id]

    def __setitem__(self, webhook_id: str, hook: Hook) -> None:
        if webhook_id in self._by_id:
            self._stale = True  # replaced in place: its slot in the list is out of date
        elif not self._stale:
            self._order.append(hook)
        self._by_id[webhook_id] = hook

    def __delitem__(self, webhook_id: str) -> None:
        del self._by_id[webhook_id]
        self._stale = True

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, webhook_id: object) -> bool:
        return webhook_id in self._by_id

    def keys(self) -> KeysView[str]:
        """The ids, in creation order."""
        return self._by_id.keys()

    def values(self) -> ValuesView[Hook]:
        """The webhooks, in creation order."""
        return self._by_id.values()

    def items(self) -> ItemsView[str, Hook]:
        """(id, webhook) pairs, in creation order."""
        return self._by_id.items()

    def __repr__(self) -> str:
        return f"WebhookTable({len(self)} webhooks)"

    def window(self, start: int, stop: int, *, reverse: bool = False) -> list[Hook]:
        """Items `start` to `stop` (exclusive) in creation order, or newest first."""
        if self._stale:
            self._order = list(self._by_id.values())
            self._stale = False
        if not reverse:
            return self._order[start:stop]
        size = len(self._order)
        return self._order[max(0, size - stop) : max(0, size - start)][::-1]
