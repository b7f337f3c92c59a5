"""`EWHClient`: the entry point users hold, one per login."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

import aiohttp
import attrs

from .config import DEFAULT_BASE_URL, Timeout, resolve_base_url
from .context import RequestContext
from .errors import ClientClosedError, InvalidArgumentError
from .limits import RateLimiter
from .login import Credentials
from .observe import Hook
from .redaction import redact_url
from .request_loop import RequestLoop
from .resources.webhooks import Webhooks
from .retry import RetryPolicy
from .runtime import Runtime
from .transport import DEFAULT_MAX_RESPONSE_SIZE
from .validation import check_extra_headers, check_positive_int, conforms

__all__ = ["DEFAULT_MAX_IN_FLIGHT", "EWHClient"]

# Requests in flight per client (and sockets in its pool): enough to keep a bulk
# sync busy, few enough not to look like an attack to the vendor's API.
DEFAULT_MAX_IN_FLIGHT = 16
ENV_PREFIX = "EWH_"


def _header_text(value: object, name: str, *, secret: bool = False) -> str:
    shown = "" if secret else f", got {value!r}"
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgumentError(f"{name} must be a non-empty string{shown}")
    if not value.isprintable():
        raise InvalidArgumentError(f"{name} must not contain control characters (CR, LF...)")
    return value


def _retry_policy(retry: object, max_retries: int | None) -> RetryPolicy | None:
    if retry is not None and not isinstance(retry, RetryPolicy):
        raise InvalidArgumentError(f"retry must be a RetryPolicy, got {retry!r}")
    if max_retries is None:
        return retry
    return attrs.evolve(retry or RetryPolicy(), max_retries=max_retries)


class EWHClient:
    """Async client of the eWarehousing Webhooks API.

    >>> async with EWHClient(username="me", password=pw, wms_code="WMS",
    ...                      customer_code="CUST", base_url="eu") as client:
    ...     async for hook in client.webhooks.list():
    ...         print(hook.topic, hook.url)

    `session`: an `aiohttp.ClientSession` of yours to send through (never closed by
    us). `timeout`: seconds or `Timeout(total=, connect=, read=)`. `retry`: a
    `RetryPolicy` (`max_retries=` is a shorthand). `max_in_flight`: a cap on
    concurrent requests. `rate_limit`: `RateLimit(max_requests, period)` or any
    `RateLimiter` (`RedisRateLimit` to share one budget between processes).
    `max_response_size`: bytes read per response at most. `hooks`: callables given
    a `RequestAttempt`, `TokenRenewal` or `RateLimitPause` event (see `observe`).
    `trace_configs`: aiohttp `TraceConfig`s for the session the client creates.
    `runtime`: clock, sleep and randomness (`ewh_webhooks.testing.FakeClock` in tests).
    """

    __slots__ = ("_context", "_owner", "webhooks")

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
        max_retries: int | None = None,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        rate_limit: RateLimiter | None = None,
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
        hooks: Sequence[Hook] = (),
        trace_configs: Sequence[aiohttp.TraceConfig] = (),
        runtime: Runtime | None = None,
    ) -> None:
        _header_text(username, "username")
        _header_text(password, "password", secret=True)
        _header_text(wms_code, "wms_code")
        _header_text(customer_code, "customer_code")
        if session is not None and not isinstance(session, aiohttp.ClientSession):
            raise InvalidArgumentError("session must be an aiohttp.ClientSession")
        if session is not None and trace_configs:
            raise InvalidArgumentError(
                "trace_configs apply to the session the client creates: with session=, "
                "give them to your own aiohttp.ClientSession(trace_configs=...)"
            )
        if rate_limit is not None and not conforms(rate_limit, RateLimiter):
            raise InvalidArgumentError(
                "rate_limit must be a RateLimit(max_requests, period) or another RateLimiter, "
                f"got {rate_limit!r}"
            )
        if runtime is not None and not isinstance(runtime, Runtime):
            raise InvalidArgumentError(f"runtime must be a Runtime, got {runtime!r}")
        check_positive_int(max_response_size, "max_response_size")
        policy = _retry_policy(retry, max_retries) or RetryPolicy()
        timeout = Timeout.coerce(timeout)
        loop = RequestLoop(
            base_url=resolve_base_url(base_url),
            credentials=Credentials(username=username, password=password, wms_code=wms_code),
            default_customer=customer_code,
            session=session,
            max_in_flight=max_in_flight,
            rate_limit=rate_limit,
            runtime=runtime or Runtime(),
            auth_retry=policy,
            auth_timeout=timeout,
            max_response_size=max_response_size,
            hooks=hooks,
            trace_configs=trace_configs,
        )
        self._bind(
            RequestContext(loop=loop, customer=customer_code, retry=policy, timeout=timeout),
            owner=True,
        )

    def _bind(self, context: RequestContext, *, owner: bool) -> None:
        self._context = context
        self._owner = owner
        self.webhooks = Webhooks(context)

    @classmethod
    def _view(cls, context: RequestContext) -> EWHClient:
        """Another view of the same login (same session, token and limits)."""
        view = cls.__new__(cls)
        cls._bind(view, context, owner=False)
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

    @property
    def context(self) -> RequestContext:
        """The request context this client sends with (the seam resources use)."""
        return self._context

    @property
    def customer_code(self) -> str:
        """The customer this client's calls are for (`X-Customer-Code`)."""
        return self._context.customer

    @property
    def retry(self) -> RetryPolicy:
        """The retry policy of this client's calls."""
        return self._context.retry

    @property
    def timeout(self) -> Timeout:
        """The timeout of each attempt of this client's calls."""
        return self._context.timeout

    @property
    def base_url(self) -> str:
        """The API's base URL, without a trailing slash."""
        return self._context.base_url

    @property
    def closed(self) -> bool:
        """Whether `aclose()` was called on the client this one shares its session with."""
        return self._context.loop.closed

    def for_customer(self, customer_code: str) -> EWHClient:
        """A client for another customer of the same login: same session, same token.

        Closing the original closes it; closing the returned client does nothing.
        """
        _header_text(customer_code, "customer_code")
        return self._view(attrs.evolve(self._context, customer=customer_code))

    def with_options(
        self,
        *,
        retry: RetryPolicy | None = None,
        max_retries: int | None = None,
        timeout: float | Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> EWHClient:
        """A client sharing this one's session with another retry policy, timeout or
        extra headers.

        >>> hook = await client.with_options(timeout=5, max_retries=0).webhooks.get(hook_id)
        """
        changes: dict[str, Any] = {}
        policy = _retry_policy(retry, max_retries) if max_retries is None else None
        if max_retries is not None:
            policy = _retry_policy(retry or self.retry, max_retries)
        if policy is not None:
            changes["retry"] = policy
        if timeout is not None:
            changes["timeout"] = Timeout.coerce(timeout)
        if extra_headers is not None:
            changes["extra_headers"] = {
                **self._context.extra_headers,
                **check_extra_headers(extra_headers),
            }
        return self._view(attrs.evolve(self._context, **changes))

    async def aclose(self) -> None:
        """Close the session if this client created it (and the rate limiter's
        connections, which reopen if it is used again). Views do nothing."""
        if self._owner:
            await self._context.loop.aclose()

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
        credentials = self._context.loop.credentials
        return (
            f"EWHClient(base_url={redact_url(self.base_url)!r}, "
            f"username={credentials.username!r}, wms_code={credentials.wms_code!r}, "
            f"customer_code={self.customer_code!r})"
        )
