"""Dispatch of delivered events to async callbacks registered per topic (after
gidgethub's routing module)."""

from __future__ import annotations

import importlib
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from .errors import InvalidArgumentError
from .events import WebhookEvent

__all__ = ["Callback", "ErrorHook", "Router", "import_router", "report_failures"]

log = logging.getLogger("ewh_webhooks.receiver")

Callback = Callable[[WebhookEvent], Awaitable[None] | None]
"""An async function of the event; a plain function works too (it runs in the event
loop, so keep it quick)."""
ErrorHook = Callable[[WebhookEvent, BaseException], Awaitable[None] | None]
"""`on_error(event, exc)`, called for each failed callback; may be a coroutine function."""
CATCH_ALL = "*"


async def report_failures(
    hook: ErrorHook | None, event: WebhookEvent, failures: list[BaseException]
) -> None:
    """Pass each failure to `hook`; a hook that raises is logged, never raised."""
    if hook is None:
        return
    for exc in failures:
        try:
            result = hook(event, exc)
            if result is not None:
                await result
        except Exception:
            log.exception("on_error hook failed for delivery %s", event.delivery_id)


class Router:
    """Callbacks per topic (`"order.shipped"`), per group (`"order.*"`) or for all (`"*"`).

    >>> router = Router()
    >>> @router.on("order.shipped")
    ... async def shipped(event: WebhookEvent) -> None:
    ...     print(event.entity_id)
    """

    def __init__(self) -> None:
        self._callbacks: dict[str, list[Callback]] = {}

    def add(self, topic: str, callback: Callback) -> None:
        """Run `callback` for events of `topic`: `"group.action"`, `"group.*"` or `"*"`."""
        valid = isinstance(topic, str) and (
            topic == CATCH_ALL or (topic.count(".") == 1 and "" not in topic.split("."))
        )
        if not valid:
            raise InvalidArgumentError(
                f"topic must be 'group.action', 'group.*' or '*', got {topic!r}"
            )
        if not callable(callback):
            raise InvalidArgumentError(f"callback must be callable, got {callback!r}")
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
                result = callback(event)
                if inspect.isawaitable(result):
                    await result
            except Exception as exc:
                log.exception(
                    "webhook callback %s failed for %s (delivery %s)",
                    getattr(callback, "__qualname__", callback),
                    event.topic,
                    event.delivery_id,
                )
                failures.append(exc)
        return failures


def import_router(spec: str) -> Router:
    """The Router named by `spec`, "package.module:attribute" as uvicorn takes an app:
    the attribute is a Router, or a callable that returns one (a factory).

    >>> router = import_router("myapp.hooks:router")
    """
    module_name, sep, attribute = spec.partition(":") if isinstance(spec, str) else ("", "", "")
    if not sep or not module_name or not attribute:
        raise InvalidArgumentError(f"a handler is given as 'package.module:router', got {spec!r}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        if exc.name is not None and f"{module_name}.".startswith(f"{exc.name}."):  # ours
            raise InvalidArgumentError(f"cannot import module {module_name!r}: {exc}") from None
        raise InvalidArgumentError(f"importing {module_name!r} failed: {exc}") from exc
    except Exception as exc:  # the user's module raised (or has a syntax error)
        raise InvalidArgumentError(
            f"importing {module_name!r} failed: {type(exc).__name__}: {exc}"
        ) from exc
    value: Any = module
    for part in attribute.split("."):
        try:
            value = getattr(value, part)
        except AttributeError:
            raise InvalidArgumentError(
                f"module {module_name!r} has no attribute {attribute!r}"
            ) from None
    if inspect.iscoroutinefunction(value):
        raise InvalidArgumentError(f"{spec!r} is a callback; name the Router it is registered with")
    if not isinstance(value, Router) and callable(value):
        try:
            value = value()
        except Exception as exc:
            raise InvalidArgumentError(
                f"calling {spec!r} failed: {type(exc).__name__}: {exc}"
            ) from exc
    if not isinstance(value, Router):
        raise InvalidArgumentError(
            f"{spec!r} is {type(value).__name__}, not a Router (or a function returning one)"
        )
    return value
