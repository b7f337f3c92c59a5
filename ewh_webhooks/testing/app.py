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
import json
import re
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import attrs
from aiohttp import web
from multidict import CIMultiDict

from ..errors import InvalidArgumentError
from ..topics import KNOWN_TOPICS
from ..validation import check_webhook_url
from .state import RecordedRequest, StoredWebhook, now_iso

if TYPE_CHECKING:
    from .emulator import EWHEmulator

__all__ = ["build_app"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Scoped = Callable[[web.Request, "_Scope"], Awaitable[web.StreamResponse]]
# The record of the request being handled, so handlers can annotate it.
_RECORD: contextvars.ContextVar[RecordedRequest] = contextvars.ContextVar("ewh_emulator_record")


@attrs.frozen(slots=True)
class _Scope:
    """What authentication established for a request: its customer, the webhook id."""

    customer: str
    webhook_id: str = ""


_HOOK_PATH = re.compile(r"^/webhooks/([^/]+)/$")
_KNOWN_PATHS = ("/wms/auth/login/", "/wms/auth/refresh/", "/webhooks/")
_SORT_FIELDS = frozenset({"id", "url", "group", "action", "topic", "created_at", "modified_at"})
_WRITABLE = ("url", "group", "action", "hash_secret")
_HTML_502 = (
    "<html><head><title>502 Bad Gateway</title></head>"
    "<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
)


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(body, status=status, headers=headers)


def _message(status: int, message: str) -> web.Response:
    return _json({"code": status, "message": message}, status)


def _field_errors(errors: dict[str, Any]) -> web.Response:
    return _json({"errors": errors}, 400)


class _Api:
    def __init__(self, emulator: EWHEmulator) -> None:
        self.emu = emulator
        self.state = emulator.state

    # --- middleware: record, faults, rate limit, latency, headers -----------------

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        emu, state = self.emu, self.state
        headers = CIMultiDict(request.headers)
        headers.popall("Authorization", None)  # tokens are never recorded
        record = RecordedRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers=headers,
            customer=request.headers.get("X-Customer-Code"),
            received_at=time.monotonic(),
        )
        state.requests.append(record)
        _RECORD.set(record)
        state.in_flight += 1
        state.max_in_flight = max(state.max_in_flight, state.in_flight)
        try:
            if emu.latency:
                await asyncio.sleep(emu.latency)
            if emu.bucket is not None:
                wait = emu.bucket.try_acquire()
                if wait > 0:
                    record.status, record.fault = 429, "rate_limit"
                    return self._too_many(max(1, round(wait + 0.5)))
            fault = emu.faults.pick(request.method, request.path) if emu.faults else None
            record.fault = fault
            try:
                response = await self._apply_fault(request, handler, fault)
            except ConnectionResetError:
                # The client went away mid-request (cancelled, timed out): nobody reads this.
                record.fault = record.fault or "client_disconnected"
                return web.Response(status=499)
            record.status = response.status
            return response
        finally:
            state.in_flight -= 1

    def _too_many(self, seconds: float) -> web.Response:
        plan = self.emu.faults
        if plan is not None and plan.retry_after_date:
            when = self.emu.clock() + seconds
            value = email.utils.formatdate(when, usegmt=True)
        else:
            value = str(int(seconds)) if float(seconds).is_integer() else str(seconds)
        return _json(
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
            return _message(
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
            return _message(404, "Not Found")
        wms = request.headers.get("X-Wms-Code")
        if not wms:
            return _field_errors({"0": "Missing X-Wms-Code header"})
        if wms != self.emu.wms_code:
            return _field_errors({"0": f"Unknown WMS code {wms!r}"})
        if path == "/wms/auth/login/":
            return await self._only(request, "POST", self.login)
        if path == "/wms/auth/refresh/":
            return await self._only(request, "POST", self.refresh)
        if path == "/webhooks/":
            if request.method == "GET":
                return await self._authorized(request, self.list_webhooks)
            if request.method == "POST":
                return await self._authorized(request, self.create)
            return _message(405, "Method Not Allowed")
        match = _HOOK_PATH.match(path)
        if match:
            handlers = {
                "GET": self.get,
                "PATCH": self.patch,
                "PUT": self.put,
                "DELETE": self.delete,
            }
            found = handlers.get(request.method)
            if found is None:
                return _message(405, "Method Not Allowed")
            return await self._authorized(request, found, match.group(1))
        return _message(404, "Not Found")

    async def _only(
        self, request: web.Request, method: str, handler: Handler
    ) -> web.StreamResponse:
        if request.method != method:
            return _message(405, "Method Not Allowed")
        return await handler(request)

    async def _authorized(
        self, request: web.Request, handler: Scoped, webhook_id: str = ""
    ) -> web.StreamResponse:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return _message(401, "JWT Token not found")
        grant = self.state.tokens.get(header[len("Bearer ") :])
        if grant is None:
            return _message(401, "Invalid JWT Token")
        if self.emu.clock() >= grant.exp:
            return _message(401, "Expired JWT Token")
        customer = request.headers.get("X-Customer-Code")
        if not customer:
            return _field_errors({"0": "Missing X-Customer-Code header"})
        if customer not in grant.customer_codes or customer not in self.state.customers:
            return _message(403, "Access denied for this customer")
        _RECORD.get().authenticated = True
        return await handler(request, _Scope(customer, webhook_id))

    async def _body(self, request: web.Request) -> dict[str, Any] | web.Response:
        try:
            body = json.loads(await request.read() or b"null")
        except ValueError:
            return _field_errors({"0": "Invalid JSON body"})
        if not isinstance(body, dict):
            return _field_errors({"0": "The body must be a JSON object"})
        return body

    # --- auth ----------------------------------------------------------------------

    async def login(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        if isinstance(body, web.Response):
            return body
        if body.get("username") != self.emu.username or body.get("password") != self.emu.password:
            return _message(401, "Invalid credentials.")
        return _json(self.state.issue_tokens(self.emu.username, self.emu.token_lifetime))

    async def refresh(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        if isinstance(body, web.Response):
            return body
        entry = self.state.refresh_tokens.get(str(body.get("refresh_token")))
        if entry is None or entry[1]:
            # Single use, as the real API: a second use is rejected.
            return _message(401, "Invalid JWT Refresh Token")
        entry[1] = True
        return _json(self.state.issue_tokens(entry[0], self.emu.token_lifetime))

    # --- webhooks ------------------------------------------------------------------

    def _hooks(self, scope: _Scope) -> dict[str, StoredWebhook]:
        return self.state.webhooks[scope.customer]

    async def list_webhooks(self, request: web.Request, scope: _Scope) -> web.Response:
        query = request.query
        try:
            page = int(query.get("page", "1"))
            limit = int(query.get("limit", str(self.emu.default_limit)))
        except ValueError:
            return _field_errors({"0": "page and limit must be integers"})
        if page < 1 or limit < 1:
            return _field_errors({"0": "page and limit must be positive"})
        limit = min(limit, self.emu.max_limit)
        hooks = list(self._hooks(scope).values())
        sort, direction = query.get("sort"), query.get("direction", "asc")
        if direction not in ("asc", "desc"):
            return _field_errors({"direction": ["Must be asc or desc."]})
        if sort is not None:
            if sort not in _SORT_FIELDS:
                return _field_errors({"sort": [f"Unknown sort field {sort!r}."]})
            hooks.sort(key=lambda h: str(h.to_json()[sort]), reverse=direction == "desc")
        elif direction == "desc":
            hooks.reverse()
        start = (page - 1) * limit
        if start >= len(hooks) and page > 1:
            return _json({"detail": "Invalid page."}, 404)
        body: dict[str, Any] = {
            "count": len(hooks),
            "results": [h.to_json() for h in hooks[start : start + limit]],
        }
        style = self.emu.next_style
        if style != "none":
            body["next"] = self._link(request, page + 1) if start + limit < len(hooks) else None
            body["previous"] = self._link(request, page - 1) if page > 1 else None
        return _json(body)

    def _link(self, request: web.Request, page: int) -> str:
        query = dict(request.query)
        query["page"] = str(page)
        url = request.url.with_query(query)
        return str(url) if self.emu.next_style == "absolute" else str(url.relative())

    async def get(self, request: web.Request, scope: _Scope) -> web.Response:
        hook = self._hooks(scope).get(scope.webhook_id)
        if hook is None:
            return _message(404, "Not Found")
        return _json(hook.to_json())

    def _validate(self, body: dict[str, Any], *, required: tuple[str, ...]) -> dict[str, list[str]]:
        errors: dict[str, list[str]] = {}
        for field in _WRITABLE:
            value = body.get(field)
            if field not in body:
                if field in required:
                    errors[field] = ["This value should not be blank."]
            elif not isinstance(value, str) or not value:
                errors[field] = ["This value should not be blank."]
        url = body.get("url")
        if "url" not in errors and isinstance(url, str):
            try:
                check_webhook_url(url, allow_loopback_http=True)
            except InvalidArgumentError:
                errors["url"] = ["This value is not a valid https URL."]
        return errors

    def _check_topic(self, group: str, action: str, errors: dict[str, list[str]]) -> None:
        if (
            "group" not in errors
            and "action" not in errors
            and f"{group}.{action}" not in KNOWN_TOPICS
        ):
            errors["0"] = [f"Unknown topic {group}.{action}."]

    async def create(self, request: web.Request, scope: _Scope) -> web.Response:
        body = await self._body(request)
        if isinstance(body, web.Response):
            return body
        errors = self._validate(body, required=_WRITABLE)
        self._check_topic(body.get("group", ""), body.get("action", ""), errors)
        if errors:
            return _field_errors({k: v if k != "0" else v[0] for k, v in errors.items()})
        hook = self.state.add_webhook(
            scope.customer,
            url=body["url"],
            group=body["group"],
            action=body["action"],
            hash_secret=body["hash_secret"],
        )
        return _json(hook.to_json(with_secret=True), 201)

    async def _update(
        self, request: web.Request, scope: _Scope, *, required: tuple[str, ...]
    ) -> web.Response:
        hook = self._hooks(scope).get(scope.webhook_id)
        if hook is None:
            return _message(404, "Not Found")
        body = await self._body(request)
        if isinstance(body, web.Response):
            return body
        errors = self._validate(body, required=required)
        self._check_topic(body.get("group", hook.group), body.get("action", hook.action), errors)
        if errors:
            return _field_errors({k: v if k != "0" else v[0] for k, v in errors.items()})
        for field in _WRITABLE:
            if field in body:
                setattr(hook, field, body[field])
        hook.modified_at = now_iso(self.emu.clock())
        return _json(hook.to_json())

    async def patch(self, request: web.Request, scope: _Scope) -> web.Response:
        return await self._update(request, scope, required=())

    async def put(self, request: web.Request, scope: _Scope) -> web.Response:
        return await self._update(request, scope, required=("url", "group", "action"))

    async def delete(self, request: web.Request, scope: _Scope) -> web.Response:
        if self._hooks(scope).pop(scope.webhook_id, None) is None:
            return _message(404, "Not Found")
        return web.Response(status=204)


def _drop(request: web.Request) -> None:
    transport = request.transport
    if transport is not None:
        transport.abort()


def build_app(emulator: EWHEmulator) -> web.Application:
    api = _Api(emulator)
    app = web.Application(middlewares=[api.middleware], client_max_size=1024 * 1024)
    app.router.add_route("*", "/{tail:.*}", api.dispatch)
    return app
