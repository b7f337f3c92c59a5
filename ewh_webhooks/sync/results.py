"""What a sync did: one result per write, one result per customer, and the error
that gathers the failures."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import attrs

from ..errors import EWHError
from ..models import Webhook
from .plan import SyncAction, SyncKind, SyncPlan

__all__ = ["SyncError", "SyncItemResult", "SyncProgress", "SyncResult", "failure_text"]


@attrs.frozen(slots=True, kw_only=True)
class SyncItemResult:
    """What happened to one action: `webhook` is the server's answer, `error` the failure."""

    action: SyncAction
    webhook: Webhook | None = None
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        """True when the write succeeded."""
        return self.error is None


SyncProgress = Callable[[SyncItemResult, int, int], Awaitable[None] | None]
"""`on_progress(item, done, total)`, called after each write finishes (a coroutine
function is awaited). If it raises, the error is logged and the sync goes on."""


class SyncError(EWHError):
    """Raised by `SyncResult.raise_for_errors()`; `.results` holds every failed result."""

    def __init__(self, message: str, results: Sequence[SyncResult]) -> None:
        super().__init__(message)
        self.results = list(results)


@attrs.frozen(slots=True, kw_only=True)
class SyncResult:
    """The outcome of one customer's sync. With `dry_run`, `items` is empty."""

    customer: str
    plan: SyncPlan
    items: tuple[SyncItemResult, ...] = ()
    dry_run: bool = False
    # A failure before any write (listing the current webhooks, planning): nothing
    # was changed for this customer.
    error: Exception | None = None

    def _count(self, kind: SyncKind) -> int:
        return sum(1 for item in self.items if item.ok and item.action.kind is kind)

    @property
    def created(self) -> int:
        """Webhooks created."""
        return self._count(SyncKind.CREATE)

    @property
    def updated(self) -> int:
        """Webhooks updated (repurposed, or secrets re-sent)."""
        return self._count(SyncKind.UPDATE)

    @property
    def deleted(self) -> int:
        """Webhooks deleted."""
        return self._count(SyncKind.DELETE)

    @property
    def unchanged(self) -> int:
        """Webhooks that already matched a spec."""
        return len(self.plan.unchanged)

    @property
    def failed(self) -> tuple[SyncItemResult, ...]:
        """The items whose write failed."""
        return tuple(item for item in self.items if not item.ok)

    @property
    def ok(self) -> bool:
        """True when the listing worked and every write succeeded."""
        return self.error is None and not self.failed

    def summary(self) -> str:
        """One line for people: the counts, or why nothing was changed."""
        if self.error is not None:
            return f"{self.customer}: failed before any change: {self.error}"
        if self.dry_run:
            return f"{self.customer}: dry run: {self.plan.summary()}"
        return (
            f"{self.customer}: {self.created} created, {self.updated} updated, "
            f"{self.deleted} deleted, {self.unchanged} unchanged, {len(self.failed)} failed"
        )

    def raise_for_errors(self) -> None:
        """Raise `SyncError` listing every failure, if there was any."""
        if not self.ok:
            raise SyncError(failure_text([self]), [self])


def failure_text(results: Sequence[SyncResult]) -> str:
    lines = []
    for result in results:
        if result.error is not None:
            lines.append(result.summary())
        for item in result.failed:
            lines.append(f"{result.customer}: {item.action.describe()}: {item.error}")
    return f"sync failed for {len(lines)} item(s):\n  " + "\n  ".join(lines)
