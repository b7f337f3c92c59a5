"""Raw HTTP against the emulator, without the SDK: what the server itself answers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import attrs

from ewh_webhooks.testing import EWHEmulator

URL = "https://e.test/h"


@attrs.frozen
class Answer:
    status: int
    headers: dict[str, str]
    body: Any


class Wire:
    """A logged-in raw client: every header can be left out or replaced."""

    def __init__(self, emu: EWHEmulator, session: aiohttp.ClientSession) -> None:
        self.emu = emu
        self.session = session
        self.token = ""
        self.refresh_token = ""

    async def login(self) -> None:
        answer = await self.call(
            "POST",
            "/wms/auth/login/",
            json={"username": self.emu.username, "password": self.emu.password},
            auth=False,
            customer=None,
        )
        assert answer.status == 200, answer
        self.token = answer.body["token"]
        self.refresh_token = answer.body["refresh_token"]

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        auth: bool = True,
        customer: str | None = "",
        wms: str | None = "",
        headers: dict[str, str] | None = None,
    ) -> Answer:
        sent: dict[str, str] = {"Accept": "application/json"}
        if wms is not None:
            sent["X-Wms-Code"] = wms or self.emu.wms_code
        if customer is not None:
            sent["X-Customer-Code"] = customer or self.emu.customer_code
        if auth:
            sent["Authorization"] = f"Bearer {self.token}"
        sent.update(headers or {})
        async with self.session.request(
            method, self.emu.base_url + path, json=json, headers=sent, allow_redirects=False
        ) as resp:
            raw = await resp.read()
            return Answer(resp.status, dict(resp.headers), _decode(raw))

    async def create(self, **fields: Any) -> dict[str, Any]:
        body = {"url": URL, "group": "order", "action": "shipped", "hash_secret": "s3cret"}
        answer = await self.call("POST", "/webhooks/", json={**body, **fields})
        assert answer.status == 201, answer
        return dict(answer.body)


def _decode(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw.decode()


@asynccontextmanager
async def wire(**settings: Any) -> AsyncIterator[Wire]:
    async with EWHEmulator(**settings) as emu, aiohttp.ClientSession() as session:
        w = Wire(emu, session)
        await w.login()
        yield w
