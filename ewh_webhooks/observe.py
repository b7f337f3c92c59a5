"""Request hooks for services: one event per attempt, per token renewal and per
shared pause, for metrics and tracing (OpenTelemetry spans, Prometheus counters:
see the recipes in the documentation).

    def on_event(event: ClientEvent) -> None:
        if isinstance(event, RequestAttempt):
            latency.labels(event.method, event.route, event.status).observe(event.elapsed)

    client = EWHClient(..., hooks=[on_event])

Events carry no secrets: no headers, no bodies, no tokens; paths are route
templates (`/webhooks/{id}/`) so they make good metric labels. A hook that raises
is logged and never breaks a request; a hook may also be a coroutine function.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from .errors import InvalidArgumentError

if TYPE_CHECKING:
    from .retry import RetryDecision

__all__ = ["ClientEvent", "Hook", "Hooks", "RateLimitPause", "RequestAttempt", "TokenRenewal"]

log = logging.getLogger("ewh_webhooks")


@attrs.frozen(slots=True, kw_only=True)
class RequestAttempt:
    """One attempt of one request, after its outcome is known.

    `status` is None when no response came (`error` names the exception class);
    `retry` says whether another attempt follows, after `retry_delay` seconds, and
    `reason` why (or why not).
    """

    method: str
    route: str
    customer: str | None
    attempt: int
    status: int | None
    elapsed: float
    request_id: str
    error: str | None = None
    retry: bool = False
    retry_delay: float | None = None
    reason: str = ""


@attrs.frozen(slots=True, kw_only=True)
class TokenRenewal:
    """A login or refresh (`kind`), its duration, and the error class if it failed."""

    kind: str
    elapsed: float
    error: str | None = None


@attrs.frozen(slots=True, kw_only=True)
class RateLimitPause:
    """The server throttled us (429 or Retry-After): every task waits `seconds`."""

    seconds: float
    status: int
    route: str


ClientEvent = RequestAttempt | TokenRenewal | RateLimitPause
Hook = Callable[[ClientEvent], Awaitable[None] | None]


def attempt_event(
    method: str,
    route: str,
    customer: str | None,
    attempt: int,
    status: int | None,
    elapsed: float,
    request_id: str,
    decision: RetryDecision | None,
    error: str | None = None,
) -> RequestAttempt:
    """The `RequestAttempt` of one attempt and what was decided after it."""
    retry = decision is not None and decision.retry
    return RequestAttempt(
        method=method,
        route=route,
        customer=customer,
        attempt=attempt,
        status=status,
        elapsed=elapsed,
        request_id=request_id,
        error=error,
        retry=retry,
        retry_delay=decision.delay if retry and decision is not None else None,
        reason=decision.reason if decision is not None else "",
    )


class Hooks:
    """Calls every hook with each event; a failing hook is logged, never raised."""

    def __init__(self, hooks: Sequence[Hook] = ()) -> None:
        hooks = tuple(hooks)
        for hook in hooks:
            if not callable(hook):
                raise InvalidArgumentError(f"hooks must be callables, got {hook!r}")
        self._hooks = hooks
        self._pending: set[asyncio.Task[Any]] = set()

    def __bool__(self) -> bool:
        return bool(self._hooks)

    def emit(self, event: ClientEvent) -> None:
        """Hand `event` to every hook; a coroutine hook runs as a task (awaited by
        `aclose`), and whatever a hook raises is logged, never propagated."""
        for hook in self._hooks:
            try:
                result = hook(event)
                if inspect.isawaitable(result):
                    task = asyncio.ensure_future(result)
                    self._pending.add(task)
                    task.add_done_callback(self._finished)
            except Exception:
                log.exception("ewh_webhooks hook %r failed on %s", hook, type(event).__name__)

    def renewal(self, kind: str, elapsed: float, error: BaseException | None) -> None:
        """Emit a `TokenRenewal` (the token manager's `on_renewal`)."""
        self.emit(
            TokenRenewal(kind=kind, elapsed=elapsed, error=type(error).__name__ if error else None)
        )

    def _finished(self, task: asyncio.Future[Any]) -> None:
        self._pending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("ewh_webhooks hook failed", exc_info=task.exception())

    async def aclose(self) -> None:
        """Wait for hooks still running (coroutine hooks), so none outlives the client."""
        if self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)
