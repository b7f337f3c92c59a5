"""`RequestContext`: the seam between the resources and the request loop.

A small frozen value: the shared `RequestLoop` plus what one view of the client
sends with each call (customer, retry policy, timeout, extra headers).
`for_customer` and `with_options` are `attrs.evolve` of it, so views share the
session, the token and the limits of the client they came from.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping
from typing import Any, TypeVar

import attrs

from .config import Timeout
from .request_loop import RequestLoop
from .retry import RetryPolicy
from .sansio import Response

__all__ = ["RequestContext"]

T = TypeVar("T")


@attrs.frozen(slots=True, kw_only=True)
class RequestContext:
    loop: RequestLoop = attrs.field(repr=False)
    customer: str
    retry: RetryPolicy
    timeout: Timeout
    extra_headers: Mapping[str, str] = attrs.field(factory=dict, repr=False)

    @property
    def base_url(self) -> str:
        return self.loop.base_url

    @property
    def allows_loopback_http(self) -> bool:
        """Whether plain-http webhook URLs on loopback are accepted (only when this
        client itself talks to loopback: the emulator)."""
        return self.loop.loopback

    @property
    def max_in_flight(self) -> int:
        return self.loop.gate.max_in_flight

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        url: str | None = None,
        route: str | None = None,
        timeout: Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Response:
        headers = self.extra_headers
        if extra_headers:
            headers = {**headers, **extra_headers}
        return await self.loop.request(
            method,
            path,
            customer=self.customer,
            retry=self.retry,
            timeout=self.timeout if timeout is None else timeout,
            params=params,
            json_body=json_body,
            url=url,
            route=route,
            extra_headers=headers,
        )

    def with_call_options(
        self, timeout: Timeout | None, extra_headers: Mapping[str, str] | None
    ) -> RequestContext:
        """This context with a per-call timeout and more headers (already checked)."""
        changes: dict[str, Any] = {}
        if timeout is not None:
            changes["timeout"] = timeout
        if extra_headers:
            changes["extra_headers"] = {**self.extra_headers, **extra_headers}
        return attrs.evolve(self, **changes) if changes else self

    def spawn(self, coro: Coroutine[Any, Any, T], *, name: str | None = None) -> asyncio.Task[T]:
        return self.loop.spawn(coro, name=name)
