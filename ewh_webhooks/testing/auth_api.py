"""The emulator's authentication: login, single-use refresh, and what a request's
token and headers entitle it to (a `Scope`)."""

from __future__ import annotations

import attrs
from aiohttp import web

from .responses import json_answer, message, read_body
from .settings import ServerSettings

__all__ = ["AuthApi", "Scope"]


@attrs.frozen(slots=True)
class Scope:
    """What authentication established for a request: its customer, the webhook id."""

    customer: str
    webhook_id: str = ""


class AuthApi:
    def __init__(self, emulator: ServerSettings) -> None:
        self.emu = emulator
        self.state = emulator.state

    def _error(self, status: int, text: str) -> web.Response:
        return message(status, text, style=self.emu.error_style)

    def check_wms(self, request: web.Request) -> web.Response | None:
        """`X-Wms-Code` on every request, auth included, in the vendor's own words.

        The status (400 for both) and the body shape are not documented: guesses.
        """
        wms = request.headers.get("X-Wms-Code")
        if not wms:
            return self._error(400, "Missing 'X-Wms-Code' header")
        if wms != self.emu.wms_code:
            return self._error(400, "Invalid WMS")
        return None

    def authorize(self, request: web.Request, webhook_id: str = "") -> Scope | web.Response:
        """The request's `Scope`, or the answer refusing it (401, 403, or 400 without a
        customer: the document does not say what a server answers then)."""
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return self._error(401, "JWT Token not found")
        grant = self.state.tokens.get(header[len("Bearer ") :])
        if grant is None:
            return self._error(401, "Invalid JWT Token")
        if self.emu.clock() >= grant.exp:
            return self._error(401, "Expired JWT Token")
        customer = request.headers.get("X-Customer-Code")
        if not customer:
            return self._error(400, "Missing 'X-Customer-Code' header")
        if customer not in grant.customer_codes or customer not in self.state.customers:
            return self._error(403, "Access denied for this customer")
        return Scope(customer, webhook_id)

    async def login(self, request: web.Request) -> web.Response:
        body = await read_body(request)
        if isinstance(body, web.Response):
            return body
        if body.get("username") != self.emu.username or body.get("password") != self.emu.password:
            return self._error(401, "Invalid credentials.")
        return json_answer(self.state.issue_tokens(self.emu.username, self.emu.token_lifetime))

    async def refresh(self, request: web.Request) -> web.Response:
        body = await read_body(request)
        if isinstance(body, web.Response):
            return body
        entry = self.state.refresh_tokens.get(str(body.get("refresh_token")))
        if entry is None or entry[1]:
            # Single use, as the real API: a second use is rejected.
            return self._error(401, "Invalid JWT Refresh Token")
        entry[1] = True
        return json_answer(self.state.issue_tokens(entry[0], self.emu.token_lifetime))
