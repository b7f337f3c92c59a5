"""The emulator's HTTP side: an aiohttp.web app answering like the real API.

Where the document is silent, the emulator's choices are listed in the README
("where the emulator differs"): a path without its trailing slash gets a 301 to the
slashed path; error bodies come in one style per run (`responses.py`); faults are
injected here, before the handlers (`faults.py`).
"""

from __future__ import annotations

import asyncio
import contextvars
import email.utils
import re
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from multidict import CIMultiDict

from .auth_api import AuthApi, Scope
from .responses import message
from .settings import ServerSettings
from .state import RecordedRequest
from .webhooks_api import WebhooksApi

__all__ = ["build_app"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Scoped = Callable[[web.Request, "Scope"], Awaitable[web.StreamResponse]]
# The record of the request being handled, so handlers can annotate it.
_RECORD: contextvars.ContextVar[RecordedRequest] = contextvars.ContextVar("ewh_emulator_record")


_HOOK_PATH = re.compile(r"^/webhooks/([^/]+)/$")
_KNOWN_PATHS = ("/wms/auth/login/", "/wms/auth/refresh/", "/webhooks/")
_HTML_502 = (
    "<html><head><title>502 Bad Gateway</title></head>"
    "<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
)


class _Api:
    def __init__(self, emulator: ServerSettings) -> None:
        self.emu = emulator
        self.state = emulator.state
        self.auth = AuthApi(emulator)
        self.webhooks = WebhooksApi(emulator)

    # --- middleware: record, faults, rate limit, latency, headers -----------------

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        state = self.state
        headers = CIMultiDict(request.headers)
        headers.popall("Authorization", None)  # tokens are never recorded
        record = RecordedRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query) if request.query_string else {},
            headers=headers,
            customer=request.headers.get("X-Customer-Code"),
            received_at=time.monotonic(),
        )
        state.requests.append(record)
        _RECORD.set(record)
        state.in_flight += 1
        state.max_in_flight = max(state.max_in_flight, state.in_flight)
        try:
            response = await self._answer(request, handler, record)
            record.status = response.status
            await self._hold(record)
            return response
        finally:
            state.in_flight -= 1

    async def _answer(
        self, request: web.Request, handler: Handler, record: RecordedRequest
    ) -> web.StreamResponse:
        emu = self.emu
        if emu.rate_limiter is not None:
            wait = emu.rate_limiter.try_acquire()
            if wait > 0:
                record.fault = "rate_limit"
                return self._too_many(max(1, round(wait + 0.5)))
        fault = emu.faults.pick(request.method, request.path) if emu.faults else None
        record.fault = fault
        try:
            return await self._apply_fault(request, handler, fault)
        except ConnectionResetError:
            # The client went away mid-request (cancelled, timed out): nobody reads this.
            record.fault = record.fault or "client_disconnected"
            return web.Response(status=499)

    async def _hold(self, record: RecordedRequest) -> None:
        """Latency counts from the request's arrival, the handler's own work included:
        a server with 20 ms latency answers 20 ms after the request came in."""
        if self.emu.latency:
            delay = record.received_at + self.emu.latency - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)

    def _too_many(self, seconds: float) -> web.Response:
        return self._error(429, "Too Many Requests", headers=self._retry_after(seconds))

    def _retry_after(self, seconds: float) -> dict[str, str]:
        plan = self.emu.faults
        if plan is not None and plan.retry_after_date:
            when = self.emu.clock() + seconds
            value = email.utils.formatdate(when, usegmt=True)
        else:
            value = str(int(seconds)) if float(seconds).is_integer() else str(seconds)
        return {"Retry-After": value}

    def _error(self, status: int, text: str, headers: dict[str, str] | None = None) -> web.Response:
        return message(status, text, style=self.emu.error_style, headers=headers)

    async def _apply_fault(
        self, request: web.Request, handler: Handler, fault: str | None
    ) -> web.StreamResponse:
        if fault is None:
            return await handler(request)
        if fault == "429":
            assert self.emu.faults is not None
            return self._too_many(self.emu.faults.retry_after)
        if fault == "500":
            return self._error(500, "Internal Server Error")
        if fault == "503":
            assert self.emu.faults is not None
            plan = self.emu.faults
            headers = self._retry_after(plan.retry_after) if plan.retry_after_503 else None
            return self._error(503, "Service Unavailable", headers=headers)
        if fault == "502":
            return web.Response(status=502, text=_HTML_502, content_type="text/html")
        if fault == "slow":
            assert self.emu.faults is not None
            await asyncio.sleep(self.emu.faults.slow_seconds)
            return await handler(request)
        if fault == "drop_after":
            await handler(request)
        await self._hold(_RECORD.get())
        _drop(request)
        raise web.HTTPServiceUnavailable()  # never written: the socket is gone

    # --- dispatch ------------------------------------------------------------------

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if not path.endswith("/"):
            slashed = path + "/"
            if slashed in _KNOWN_PATHS or _HOOK_PATH.match(slashed):
                location = slashed + (f"?{request.query_string}" if request.query_string else "")
                return web.Response(status=301, headers={"Location": location})
            return self._error(404, "Not Found")
        refused = self.auth.check_wms(request)
        if refused is not None:
            return refused
        if path == "/wms/auth/login/":
            return await self._only(request, "POST", self.auth.login)
        if path == "/wms/auth/refresh/":
            return await self._only(request, "POST", self.auth.refresh)
        if path == "/webhooks/":
            if request.method == "GET":
                return await self._authorized(request, self.webhooks.list_webhooks)
            if request.method == "POST":
                return await self._authorized(request, self.webhooks.create)
            return self._error(405, "Method Not Allowed")
        match = _HOOK_PATH.match(path)
        if match:
            handlers = {
                "GET": self.webhooks.get,
                "PATCH": self.webhooks.patch,
                "PUT": self.webhooks.put,
                "DELETE": self.webhooks.delete,
            }
            found = handlers.get(request.method)
            if found is None:
                return self._error(405, "Method Not Allowed")
            return await self._authorized(request, found, match.group(1))
        return self._error(404, "Not Found")

    async def _only(
        self, request: web.Request, method: str, handler: Handler
    ) -> web.StreamResponse:
        if request.method != method:
            return self._error(405, "Method Not Allowed")
        return await handler(request)

    async def _authorized(
        self, request: web.Request, handler: Scoped, webhook_id: str = ""
    ) -> web.StreamResponse:
        scope = self.auth.authorize(request, webhook_id)
        if isinstance(scope, web.Response):
            return scope
        _RECORD.get().authenticated = True
        return await handler(request, scope)


def _drop(request: web.Request) -> None:
    transport = request.transport
    if transport is not None:
        transport.abort()


def build_app(emulator: ServerSettings) -> web.Application:
    api = _Api(emulator)
    app = web.Application(middlewares=[api.middleware], client_max_size=1024 * 1024)
    app.router.add_route("*", "/{tail:.*}", api.dispatch)
    return app
