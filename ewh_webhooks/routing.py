"""Dispatch of delivered events to async callbacks registered per topic (after
gidgethub's routing module)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from .errors import InvalidArgumentError
from .events import WebhookEvent

__all__ = ["Callback", "Router"]

log = logging.getLogger("ewh_webhooks.receiver")

Callback = Callable[[WebhookEvent], Awaitable[None]]
CATCH_ALL = "*"


class Router:
    """Callbacks per topic ("order.shipped"), per group ("order.*") or for all ("*").

    >>> router = Router()
    >>> @router.on("order.shipped")
    ... async def shipped(event: WebhookEvent) -> None:
    ...     print(event.entity_id)
    """

    def __init__(self) -> None:
        self._callbacks: dict[str, list[Callback]] = {}

    def add(self, topic: str, callback: Callback) -> None:
        valid = isinstance(topic, str) and (
            topic == CATCH_ALL or (topic.count(".") == 1 and "" not in topic.split("."))
        )
        if not valid:
            raise InvalidArgumentError(
                f"topic must be 'group.action', 'group.*' or '*', got {topic!r}"
            )
        self._callbacks.setdefault(topic, []).append(callback)

    def on(self, topic: str = CATCH_ALL) -> Callable[[Callback], Callback]:
        """Decorator form of `add`."""

        def register(callback: Callback) -> Callback:
            self.add(topic, callback)
            return callback

        return register

    def callbacks_for(self, event: WebhookEvent) -> list[Callback]:
        """Exact topic first, then the group wildcard, then catch-alls."""
        found: list[Callback] = []
        for key in (event.topic, f"{event.group}.*", CATCH_ALL):
            found.extend(self._callbacks.get(key, ()))
        return found

    async def dispatch(self, event: WebhookEvent) -> list[BaseException]:
        """Run every matching callback, one after the other; return their failures.

        One callback failing does not stop the others.
        """
        failures: list[BaseException] = []
        for callback in self.callbacks_for(event):
            try:
                await callback(event)
            except Exception as exc:
                log.exception(
                    "webhook callback %s failed for %s (delivery %s)",
                    getattr(callback, "__qualname__", callback),
                    event.topic,
                    event.delivery_id,
                )
                failures.append(exc)
        return failures
