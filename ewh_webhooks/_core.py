"""The request loop shared by every client of one session: headers, auth, flow
control, retries and logging around one `AiohttpTransport.send` per attempt."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

import aiohttp
import attrs

from . import _json
from .auth import TokenManager
from .config import Timeout, is_loopback_host
from .converter import structure
from .errors import APIConnectionError, InvalidArgumentError
from .limits import RateLimiter, RequestGate
from .models import Tokens
from .retry import RetryDecision, RetryPolicy, decide_retry, parse_retry_after
from .sansio import Response, decode_json, error_from_response, user_agent
from .transport import AiohttpTransport

__all__ = ["ClientCore", "Credentials", "Runtime"]

log = logging.getLogger("ewh_webhooks")

T = TypeVar("T")

LOGIN_PATH = "/wms/auth/login/"
REFRESH_PATH = "/wms/auth/refresh/"


@attrs.frozen(slots=True, kw_only=True)
class Runtime:
    """Clock, sleep and randomness, injectable so tests never wait for real."""

    clock: Callable[[], float] = time.monotonic
    wall_clock: Callable[[], float] = time.time
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    random: Callable[[], float] = random.random


@attrs.frozen(slots=True, kw_only=True)
class Credentials:
    username: str
    password: str = attrs.field(repr=False)
    wms_code: str


class ClientCore:
    """One session, one login, one gate: shared by `EWHClient.for_customer` views."""

    def __init__(
        self,
        *,
        base_url: str,
        credentials: Credentials,
        default_customer: str,
        session: aiohttp.ClientSession | None,
        max_in_flight: int,
        rate_limit: RateLimiter | None,
        runtime: Runtime,
        auth_retry: RetryPolicy,
        auth_timeout: Timeout,
    ) -> None:
        self.base_url = base_url
        # Plain-http webhook URLs are allowed on loopback only when we talk to loopback.
        self.loopback = is_loopback_host(urlsplit(base_url).hostname)
        # Login and refresh follow the settings of the client that made this core.
        self._auth_retry = auth_retry
        self._auth_timeout = auth_timeout
        self.runtime = runtime
        self._credentials = credentials
        self._default_customer = default_customer
        self.transport = AiohttpTransport(session, max_connections=max_in_flight)
        self.gate = RequestGate(
            max_in_flight=max_in_flight,
            rate_limit=rate_limit,
            clock=runtime.clock,
            sleep=runtime.sleep,
        )
        self.auth = TokenManager(
            login=self._login,
            refresh=self._refresh,
            clock=runtime.clock,
            wall_clock=runtime.wall_clock,
        )
        self._tasks: set[asyncio.Task[Any]] = set()
        self._base_headers = {
            "Accept": "application/json",
            "User-Agent": user_agent(),
            "X-Wms-Code": credentials.wms_code,
        }

    async def _login(self) -> Tokens:
        body = {"username": self._credentials.username, "password": self._credentials.password}
        return await self._auth_call(LOGIN_PATH, body, customer=None)

    async def _refresh(self, refresh_token: str) -> Tokens:
        return await self._auth_call(
            REFRESH_PATH, {"refresh_token": refresh_token}, customer=self._default_customer
        )

    async def _auth_call(self, path: str, body: dict[str, str], customer: str | None) -> Tokens:
        response = await self.request(
            "POST",
            path,
            customer=customer,
            json_body=body,
            authenticated=False,
            retry=self._auth_retry,
            timeout=self._auth_timeout,
        )
        return structure(decode_json(response), Tokens, what=f"POST {path} response")

    async def request(
        self,
        method: str,
        path: str,
        *,
        customer: str | None,
        retry: RetryPolicy,
        timeout: Timeout,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        authenticated: bool = True,
        url: str | None = None,
    ) -> Response:
        """Send with retries; return the 2xx response or raise the mapped error.

        `path` is shown in logs and errors; `url` overrides the address (a `next`
        link already checked to be on our origin).
        """
        rt = self.runtime
        if url is None:
            url = self.base_url + path
            if params:
                query = urlencode({k: v for k, v in params.items() if v is not None})
                if query:
                    url += "?" + query
                    path += "?" + query
        body = None if json_body is None else _encode(json_body, method, path)
        request_id = os.urandom(16).hex()  # as unique as a uuid4, a tenth of the cost
        headers = dict(self._base_headers)
        headers["X-Request-Id"] = request_id
        if customer is not None:
            headers["X-Customer-Code"] = customer
        if body is not None:
            headers["Content-Type"] = "application/json"
        started = rt.clock()
        retries = 0
        reauthenticated = False
        while True:
            token = None
            if authenticated:
                token = await self.auth.token()
                headers["Authorization"] = f"Bearer {token}"
            attempt_timeout = _within_deadline(timeout, retry, rt.clock() - started)
            try:
                async with self.gate:
                    sent_at = rt.clock()
                    response = await self.transport.send(
                        method,
                        url,
                        path=path,
                        headers=headers,
                        body=body,
                        timeout=attempt_timeout,
                        request_id=request_id,
                    )
            except APIConnectionError as exc:
                log.debug(
                    "%s %s -> %s (attempt %d, request %s)",
                    method,
                    path,
                    exc,
                    retries + 1,
                    request_id,
                )
                decision = decide_retry(
                    retry,
                    method=method,
                    retries_done=retries,
                    elapsed=rt.clock() - started,
                    request_sent=exc.request_sent,
                    rand=rt.random,
                )
                if not decision.retry:
                    log.debug("%s %s not retried: %s", method, path, decision.reason)
                    raise
            else:
                log.debug(
                    "%s %s -> %d in %.1f ms (attempt %d, request %s)",
                    method,
                    path,
                    response.status,
                    (rt.clock() - sent_at) * 1000,
                    retries + 1,
                    request_id,
                )
                if 200 <= response.status < 300:
                    return response
                if response.status == 401 and token is not None and not reauthenticated:
                    reauthenticated = True
                    log.debug("%s %s got 401; renewing the token once", method, path)
                    await self.auth.invalidate(token)
                    continue
                decision = self._decide_on_status(response, retry, retries, rt.clock() - started)
                if decision.retry and (
                    response.status == 429 or _retry_after(response, rt) is not None
                ):
                    # The server is throttling this client, not this task: hold every task.
                    await self.gate.pause(decision.delay)
                if not decision.retry:
                    log.debug("%s %s not retried: %s", method, path, decision.reason)
                    raise error_from_response(response, retry_after=_retry_after(response, rt))
            log.debug("%s %s retry in %.2fs (%s)", method, path, decision.delay, decision.reason)
            retries += 1
            # A shared pause (ours or another task's) counts towards this backoff.
            own_wait = decision.delay - self.gate.paused_for
            if own_wait > 0:
                await rt.sleep(own_wait)

    def _decide_on_status(
        self, response: Response, retry: RetryPolicy, retries: int, elapsed: float
    ) -> RetryDecision:
        retry_after = _retry_after(response, self.runtime)
        return decide_retry(
            retry,
            method=response.method,
            retries_done=retries,
            elapsed=elapsed,
            status=response.status,
            retry_after=retry_after,
            rand=self.runtime.random,
        )

    def spawn(self, coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Run `coro` as a task owned by this client (page prefetches): `aclose()`
        cancels what is still running, so nothing outlives the session."""
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._forget)
        return task

    def _forget(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled():
            # Its owner may have gone (a listing abandoned mid-way): never leave an
            # exception unretrieved, the owner re-raises it when it awaits the task.
            task.exception()

    async def aclose(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        await self.transport.aclose()


def _encode(json_body: Any, method: str, path: str) -> bytes:
    try:
        return _json.dumps(json_body)
    except (TypeError, ValueError) as exc:  # e.g. a lone surrogate in a string
        # The value is never echoed: it may hold a secret.
        raise InvalidArgumentError(
            f"{method} {path}: the body cannot be written as JSON ({type(exc).__name__})"
        ) from None


def _retry_after(response: Response, rt: Runtime) -> float | None:
    return parse_retry_after(response.headers.get("Retry-After"), now=rt.wall_clock())


def _within_deadline(timeout: Timeout, retry: RetryPolicy, elapsed: float) -> Timeout:
    """Shorten an attempt's total timeout so it cannot outlive the call's deadline."""
    if retry.deadline is None:
        return timeout
    remaining = max(retry.deadline - elapsed, 0.001)
    if timeout.total is not None and timeout.total <= remaining:
        return timeout
    return attrs.evolve(timeout, total=remaining)
