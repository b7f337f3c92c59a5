"""`EWHClient`: the entry point users hold, one per login."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine, Mapping
from types import TracebackType
from typing import Any, TypeVar

import aiohttp

from ._core import ClientCore, Credentials, Runtime
from .config import DEFAULT_BASE_URL, Timeout, resolve_base_url
from .errors import ClientClosedError, InvalidArgumentError
from .limits import RateLimiter
from .resources.webhooks import Webhooks
from .retry import RetryPolicy
from .sansio import Response

__all__ = ["EWHClient"]

# Requests in flight per client (and sockets in its pool): enough to keep a bulk
# sync busy, few enough not to look like an attack to the vendor's API.
DEFAULT_MAX_IN_FLIGHT = 16
ENV_PREFIX = "EWH_"
T = TypeVar("T")


class EWHClient:
    """Async client of the eWarehousing Webhooks API.

    >>> async with EWHClient(username="me", password=pw, wms_code="WMS",
    ...                      customer_code="CUST", base_url="eu") as client:
    ...     async for hook in client.webhooks.list():
    ...         print(hook.topic, hook.url)

    `session`: an `aiohttp.ClientSession` of yours to send through (never closed by
    us). `timeout`: seconds or `Timeout(total=, connect=, read=)`. `retry`: a
    `RetryPolicy`. `max_in_flight`: a cap on concurrent requests. `rate_limit`:
    `RateLimit(max_requests, period)` to throttle this client.
    """

    webhooks: Webhooks

    def __init__(
        self,
        *,
        username: str,
        password: str,
        wms_code: str,
        customer_code: str,
        base_url: str = DEFAULT_BASE_URL,
        session: aiohttp.ClientSession | None = None,
        timeout: float | Timeout = 30.0,
        retry: RetryPolicy | None = None,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        rate_limit: RateLimiter | None = None,
        _runtime: Runtime | None = None,
    ) -> None:
        for name, value in (
            ("username", username),
            ("password", password),
            ("wms_code", wms_code),
            ("customer_code", customer_code),
        ):
            if not isinstance(value, str) or not value.strip():
                shown = "" if name == "password" else f", got {value!r}"
                raise InvalidArgumentError(f"{name} must be a non-empty string{shown}")
        if session is not None and not isinstance(session, aiohttp.ClientSession):
            raise InvalidArgumentError("session must be an aiohttp.ClientSession")
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise InvalidArgumentError(f"retry must be a RetryPolicy, got {retry!r}")
        if rate_limit is not None and not isinstance(rate_limit, RateLimiter):
            raise InvalidArgumentError(
                "rate_limit must be a RateLimit(max_requests, period) or another RateLimiter, "
                f"got {rate_limit!r}"
            )
        retry = retry or RetryPolicy()
        timeout = Timeout.coerce(timeout)
        core = ClientCore(
            base_url=resolve_base_url(base_url),
            credentials=Credentials(username=username, password=password, wms_code=wms_code),
            default_customer=customer_code,
            session=session,
            max_in_flight=max_in_flight,
            rate_limit=rate_limit,
            runtime=_runtime or Runtime(),
            auth_retry=retry,
            auth_timeout=timeout,
        )
        self._init_view(core, customer_code, retry, timeout, True)
        self._username = username
        self._wms_code = wms_code

    def _init_view(
        self, core: ClientCore, customer: str, retry: RetryPolicy, timeout: Timeout, owner: bool
    ) -> None:
        self._core = core
        self.customer_code = customer
        self.retry = retry
        self.timeout = timeout
        self._owner = owner
        self.webhooks = Webhooks(self)

    def _view(self, **changes: Any) -> EWHClient:
        view = object.__new__(EWHClient)
        view._init_view(
            self._core,
            changes.get("customer", self.customer_code),
            changes.get("retry", self.retry),
            changes.get("timeout", self.timeout),
            False,
        )
        view._username = self._username
        view._wms_code = self._wms_code
        return view

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> EWHClient:
        """Build a client from `EWH_USERNAME`, `EWH_PASSWORD`, `EWH_WMS_CODE`,
        `EWH_CUSTOMER_CODE` and optionally `EWH_BASE_URL`; keyword arguments win."""
        env = os.environ if environ is None else environ
        kwargs: dict[str, Any] = {}
        missing = []
        for key in ("username", "password", "wms_code", "customer_code", "base_url"):
            if key in overrides:
                continue
            value = env.get(ENV_PREFIX + key.upper())
            if value:
                kwargs[key] = value
            elif key != "base_url":
                missing.append(ENV_PREFIX + key.upper())
        if missing:
            raise InvalidArgumentError(f"missing environment variables: {', '.join(missing)}")
        kwargs.update(overrides)
        return cls(**kwargs)

    def for_customer(self, customer_code: str) -> EWHClient:
        """A client for another customer of the same login: same session, same token.

        Closing the original closes it; closing the returned client does nothing.
        """
        if not isinstance(customer_code, str) or not customer_code.strip():
            raise InvalidArgumentError(
                f"customer_code must be a non-empty string, got {customer_code!r}"
            )
        return self._view(customer=customer_code)

    def with_options(
        self, *, retry: RetryPolicy | None = None, timeout: float | Timeout | None = None
    ) -> EWHClient:
        """A client sharing this one's session with another retry policy or timeout.

        >>> hook = await client.with_options(timeout=5).webhooks.get(hook_id)
        """
        changes: dict[str, Any] = {}
        if retry is not None:
            if not isinstance(retry, RetryPolicy):
                raise InvalidArgumentError(f"retry must be a RetryPolicy, got {retry!r}")
            changes["retry"] = retry
        if timeout is not None:
            changes["timeout"] = Timeout.coerce(timeout)
        return self._view(**changes)

    @property
    def base_url(self) -> str:
        return self._core.base_url

    @property
    def closed(self) -> bool:
        return self._core.transport.closed

    @property
    def _loopback(self) -> bool:
        return self._core.loopback

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        url: str | None = None,
    ) -> Response:
        if self._core.transport.closed:
            raise ClientClosedError("this client has been closed; create a new EWHClient")
        return await self._core.request(
            method,
            path,
            customer=self.customer_code,
            retry=self.retry,
            timeout=self.timeout,
            params=params,
            json_body=json_body,
            url=url,
        )

    def _spawn(self, coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        return self._core.spawn(coro)

    async def aclose(self) -> None:
        """Close the session if this client created it. Views from `for_customer` do nothing."""
        if self._owner:
            await self._core.aclose()

    async def __aenter__(self) -> EWHClient:
        if self.closed:
            raise ClientClosedError("this client has been closed; create a new EWHClient")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return (
            f"EWHClient(base_url={self.base_url!r}, username={self._username!r}, "
            f"wms_code={self._wms_code!r}, customer_code={self.customer_code!r})"
        )
