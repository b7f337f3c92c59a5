"""The emulator's HTTP side: an aiohttp.web app answering like the real API.

Fidelity notes (also in the README): paths without the trailing slash get a 301 to
the slashed path, as the vendor's Django stack does; a page past the end is a 404
`{"detail": "Invalid page."}` as Django REST framework answers; `limit` above
`max_limit` is capped quietly.
"""

from __future__ import annotations

import asyncio
import contextvars
import email.utils
import re
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web
from multidict import CIMultiDict

from .responses import Scope, field_errors, json_answer, message, read_body
from .state import RecordedRequest
from .webhooks_api import WebhooksApi

if TYPE_CHECKING:
    from .emulator import EWHEmulator

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
    def __init__(self, emulator: EWHEmulator) -> None:
        self.emu = emulator
        self.state = emulator.state
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
        plan = self.emu.faults
        if plan is not None and plan.retry_after_date:
            when = self.emu.clock() + seconds
            value = email.utils.formatdate(when, usegmt=True)
        else:
            value = str(int(seconds)) if float(seconds).is_integer() else str(seconds)
        return json_answer(
            {"code": 429, "message": "Too Many Requests"}, 429, headers={"Retry-After": value}
        )

    async def _apply_fault(
        self, request: web.Request, handler: Handler, fault: str | None
    ) -> web.StreamResponse:
        if fault is None:
            return await handler(request)
        if fault == "429":
            assert self.emu.faults is not None
            return self._too_many(self.emu.faults.retry_after)
        if fault in ("500", "503"):
            return message(
                int(fault), "Internal Server Error" if fault == "500" else "Service Unavailable"
            )
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
            return message(404, "Not Found")
        wms = request.headers.get("X-Wms-Code")
        if not wms:
            return field_errors({"0": "Missing X-Wms-Code header"})
        if wms != self.emu.wms_code:
            return field_errors({"0": f"Unknown WMS code {wms!r}"})
        if path == "/wms/auth/login/":
            return await self._only(request, "POST", self.login)
        if path == "/wms/auth/refresh/":
            return await self._only(request, "POST", self.refresh)
        if path == "/webhooks/":
            if request.method == "GET":
                return await self._authorized(request, self.webhooks.list_webhooks)
            if request.method == "POST":
                return await self._authorized(request, self.webhooks.create)
            return message(405, "Method Not Allowed")
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
                return message(405, "Method Not Allowed")
            return await self._authorized(request, found, match.group(1))
        return message(404, "Not Found")

    async def _only(
        self, request: web.Request, method: str, handler: Handler
    ) -> web.StreamResponse:
        if request.method != method:
            return message(405, "Method Not Allowed")
        return await handler(request)

    async def _authorized(
        self, request: web.Request, handler: Scoped, webhook_id: str = ""
    ) -> web.StreamResponse:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return message(401, "JWT Token not found")
        grant = self.state.tokens.get(header[len("Bearer ") :])
        if grant is None:
            return message(401, "Invalid JWT Token")
        if self.emu.clock() >= grant.exp:
            return message(401, "Expired JWT Token")
        customer = request.headers.get("X-Customer-Code")
        if not customer:
            return field_errors({"0": "Missing X-Customer-Code header"})
        if customer not in grant.customer_codes or customer not in self.state.customers:
            return message(403, "Access denied for this customer")
        _RECORD.get().authenticated = True
        return await handler(request, Scope(customer, webhook_id))

    # --- auth ----------------------------------------------------------------------

    async def login(self, request: web.Request) -> web.Response:
        body = await read_body(request)
        if isinstance(body, web.Response):
            return body
        if body.get("username") != self.emu.username or body.get("password") != self.emu.password:
            return message(401, "Invalid credentials.")
        return json_answer(self.state.issue_tokens(self.emu.username, self.emu.token_lifetime))

    async def refresh(self, request: web.Request) -> web.Response:
        body = await read_body(request)
        if isinstance(body, web.Response):
            return body
        entry = self.state.refresh_tokens.get(str(body.get("refresh_token")))
        if entry is None or entry[1]:
            # Single use, as the real API: a second use is rejected.
            return message(401, "Invalid JWT Refresh Token")
        entry[1] = True
        return json_answer(self.state.issue_tokens(entry[0], self.emu.token_lifetime))


def _drop(request: web.Request) -> None:
    transport = request.transport
    if transport is not None:
        transport.abort()


def build_app(emulator: EWHEmulator) -> web.Application:
    api = _Api(emulator)
    app = web.Application(middlewares=[api.middleware], client_max_size=1024 * 1024)
    app.router.add_route("*", "/{tail:.*}", api.dispatch)
    return app
