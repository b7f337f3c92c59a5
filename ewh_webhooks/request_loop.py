"""The request loop shared by every client of one login: headers, auth, flow
control, retries, hooks and logging around one `AiohttpTransport.send` per attempt.

`RequestContext` (context.py) is how the rest of the SDK reaches it: a frozen value
holding this loop plus the customer, retry policy and timeout of a call.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
from collections.abc import Coroutine, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit

import aiohttp

from ._json import encode_body
from .auth import TokenManager
from .config import Timeout, is_loopback_host
from .error_bodies import error_from_response
from .errors import (
    APIConnectionError,
    ClientClosedError,
)
from .limits import RateLimiter, RequestGate
from .login import Credentials, LoginCalls
from .observe import Hook, Hooks, RateLimitPause, RequestAttempt, attempt_event
from .redaction import secret_values
from .retry import (
    RetryDecision,
    RetryPolicy,
    attempt_timeout_within,
    backoff_wait,
    decide_retry,
    parse_retry_after,
    throttle_pause,
)
from .runtime import Runtime
from .sansio import Response, build_url, request_headers, user_agent
from .tasks import OwnedTasks
from .transport import AiohttpTransport

__all__ = ["RequestLoop"]

log = logging.getLogger("ewh_webhooks")

T = TypeVar("T")


class RequestLoop:
    """One session, one login, one gate, shared by every view of one `EWHClient`."""

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
        max_response_size: int,
        hooks: Sequence[Hook] = (),
        trace_configs: Sequence[aiohttp.TraceConfig] = (),
    ) -> None:
        self.base_url = base_url
        # Plain-http webhook URLs are allowed on loopback only when we talk to loopback.
        self.loopback = is_loopback_host(urlsplit(base_url).hostname)
        self.runtime = runtime
        self.credentials = credentials
        self.hooks = Hooks(hooks)
        self.transport = AiohttpTransport(
            session,
            max_connections=max_in_flight,
            max_response_size=max_response_size,
            trace_configs=trace_configs,
        )
        self.gate = RequestGate(
            max_in_flight=max_in_flight,
            rate_limit=rate_limit,
            clock=runtime.clock,
            sleep=runtime.sleep,
        )
        calls = LoginCalls(
            self.request,
            credentials=credentials,
            default_customer=default_customer,
            retry=auth_retry,
            timeout=auth_timeout,
        )
        self.auth = TokenManager(
            login=calls.login,
            refresh=calls.refresh,
            clock=runtime.clock,
            wall_clock=runtime.wall_clock,
            on_renewal=self.hooks.renewal if self.hooks else None,
        )
        # Request ids: 64 random bits per client, then a counter. As unique as a uuid4
        # across clients, and cheaper per request than asking the OS for randomness.
        self._id_prefix = os.urandom(8).hex()
        self._id_counter = itertools.count()
        self._tasks = OwnedTasks()
        self._base_headers = {
            "Accept": "application/json",
            "User-Agent": user_agent(),
            "X-Wms-Code": credentials.wms_code,
        }

    @property
    def closed(self) -> bool:
        return self.transport.closed

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
        route: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Response:
        """Send with retries; return the 2xx response or raise the mapped error.

        `path` is shown in logs and errors; `url` overrides the address (a `next`
        link already checked to be on our origin); `route` is the path template
        hooks see (`/webhooks/{id}/`).
        """
        if self.transport.closed:
            raise ClientClosedError("this client has been closed; create a new EWHClient")
        rt = self.runtime
        if url is None:
            url, path = build_url(self.base_url, path, params)
        route = route or path.partition("?")[0]
        body = None if json_body is None else encode_body(json_body, f"{method} {path}")
        request_id = f"{self._id_prefix}{next(self._id_counter):016x}"
        started = rt.clock()
        retries = 0
        reauthenticated = False
        # Whether an earlier attempt may have been carried out by the server.
        maybe_applied = False
        hooks = self.hooks

        def attempt(
            status: int | None, decision: RetryDecision | None, error: str | None = None
        ) -> RequestAttempt:
            elapsed = rt.clock() - sent_at
            return attempt_event(
                method, route, customer, retries + 1, status, elapsed, request_id, decision, error
            )

        while True:
            token = None
            renewed = False
            if authenticated:
                # The valid token without awaiting a coroutine: the usual case, cheaper.
                # A renewal is awaited outside the gate: its login needs a slot too.
                token = self.auth.valid_token()
                if token is None:
                    token = await self.auth.token()
                    renewed = True
            try:
                async with self.gate.slot():
                    # Decided once the slot is ours: a wait in the gate (a pause, the
                    # rate limit) may have used part of the deadline, or the token. A
                    # token just renewed goes as it is (at worst the server answers
                    # 401, renewed once more): checking it again could renew forever.
                    if token is not None and not renewed and self.auth.valid_token() != token:
                        token = self.auth.valid_token()
                        if token is None:
                            continue  # it expired while we waited: renew outside the gate
                    headers = request_headers(
                        self._base_headers,
                        request_id=request_id,
                        customer=customer,
                        token=token,
                        has_body=body is not None,
                        extra=extra_headers,
                    )
                    attempt_timeout = attempt_timeout_within(timeout, retry, rt.clock() - started)
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
                maybe_applied = maybe_applied or exc.request_sent
                if hooks:
                    hooks.emit(attempt(None, decision, type(exc).__name__))
                if not decision.retry:
                    log.debug("%s %s not retried: %s", method, path, decision.reason)
                    raise
            else:
                status = response.status
                if log.isEnabledFor(logging.DEBUG):  # its arguments cost more than this check
                    log.debug(
                        "%s %s -> %d in %.1f ms (attempt %d, request %s)",
                        method,
                        path,
                        status,
                        (rt.clock() - sent_at) * 1000,
                        retries + 1,
                        request_id,
                    )
                if 200 <= status < 300 or (status == 404 and method == "DELETE" and maybe_applied):
                    # A DELETE that may have been applied by an earlier attempt: 404 now
                    # means it was, not that it failed.
                    if hooks:
                        hooks.emit(attempt(status, None))
                    return response
                if status == 401 and token is not None and not reauthenticated:
                    reauthenticated = True
                    log.debug("%s %s got 401; renewing the token once", method, path)
                    if hooks:
                        hooks.emit(
                            attempt(status, RetryDecision(True, 0.0, "401: renewing the token"))
                        )
                    await self.auth.invalidate(token)
                    continue
                retry_after = parse_retry_after(
                    response.headers.get("Retry-After"), now=rt.wall_clock()
                )
                decision = decide_retry(
                    retry,
                    method=method,
                    retries_done=retries,
                    elapsed=rt.clock() - started,
                    status=status,
                    retry_after=retry_after,
                    rand=rt.random,
                )
                maybe_applied = maybe_applied or status >= 500 or status == 408
                if hooks:
                    hooks.emit(attempt(status, decision))
                pause = throttle_pause(
                    retry,
                    status=status,
                    retry_after=retry_after,
                    decision=decision,
                    retries_done=retries,
                    rand=rt.random,
                )
                if pause > 0:
                    # The server is throttling this login, not this task: hold every
                    # task (every process, with a shared limiter), retried or not.
                    await self.gate.pause(pause)
                    if hooks:
                        hooks.emit(RateLimitPause(seconds=pause, status=status, route=route))
                if not decision.retry:
                    log.debug("%s %s not retried: %s", method, path, decision.reason)
                    # What we sent that a server might echo back: never in an error.
                    sent = secret_values(json_body, token)
                    raise error_from_response(response, retry_after=retry_after, secrets=sent)
            log.debug("%s %s retry in %.2fs (%s)", method, path, decision.delay, decision.reason)
            retries += 1
            wait = backoff_wait(decision.delay, self.gate.paused_for)
            if wait > 0:
                await rt.sleep(wait)

    def spawn(self, coro: Coroutine[Any, Any, T], *, name: str | None = None) -> asyncio.Task[T]:
        """Run `coro` as a task owned by this client (page prefetches): `aclose()`
        cancels what is still running, so nothing outlives the session."""
        return self._tasks.spawn(coro, name=name)

    async def aclose(self) -> None:
        await self._tasks.cancel_all()
        await self.auth.aclose()
        await self.transport.aclose()
        await self.gate.aclose()
        await self.hooks.aclose()
