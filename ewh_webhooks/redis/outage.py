"""When a Redis-backed part that must keep working asks Redis, and when it warns:
one warning when an outage begins, then Redis is tried again every `recheck_after`
seconds until it answers."""

from __future__ import annotations

__all__ = ["Outage"]


class Outage:
    """When to ask Redis and when to warn: one warning when an outage begins, then
    Redis is tried again each `recheck_after` seconds until it answers."""

    def __init__(self, recheck_after: float) -> None:
        self.recheck_after = recheck_after
        self.down_since: float | None = None
        self._recheck_at = 0.0

    @property
    def down(self) -> bool:
        return self.down_since is not None

    def use_redis(self, now: float) -> bool:
        return self.down_since is None or now >= self._recheck_at

    def failed(self, now: float) -> bool:
        """Redis failed at `now`; True if that begins an outage (warn now, not again)."""
        self._recheck_at = now + self.recheck_after
        if self.down_since is not None:
            return False
        self.down_since = now
        return True

    def answered(self) -> bool:
        """Redis answered; True if that ends an outage."""
        ended = self.down_since is not None
        self.down_since = None
        return ended
