"""Helpers for the receiver tests: a receiver served on loopback, signed envelopes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
from aiohttp import web

from ewh_webhooks import WebhookReceiver, sign

SECRET = "whsec-😀-test"


def envelope(**overrides: object) -> bytes:
    data: dict[str, object] = {
        "body": {"id": 5},
        "group": "order",
        "action": "shipped",
        "entity": "order",
        "customer": "c",
        "entityId": "5",
    }
    data.update(overrides)
    return json.dumps(data).encode()


def signed(body: bytes, delivery_id: str | None = "evt-1", secret: str = SECRET) -> dict[str, str]:
    headers = {"X-Hmac-Sha256": sign(body, secret), "Content-Type": "application/json"}
    if delivery_id is not None:
        headers["X-Webhook-Id"] = delivery_id
    return headers


class Served:
    """A receiver's app on a free loopback port, and a session to post to it."""

    def __init__(self, receiver: WebhookReceiver, url: str, session: aiohttp.ClientSession) -> None:
        self.receiver, self.url, self.session = receiver, url, session

    async def post(
        self, body: bytes, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str]]:
        async with self.session.post(
            self.url, data=body, headers=signed(body) if headers is None else headers
        ) as resp:
            answer = await resp.json()
            if "Retry-After" in resp.headers:
                answer["retry_after"] = resp.headers["Retry-After"]
            return resp.status, answer

    async def deliver(self, delivery_id: str | None, **fields: object) -> int:
        body = envelope(**fields)
        status, _ = await self.post(body, signed(body, delivery_id))
        return status


@asynccontextmanager
async def serve(receiver: WebhookReceiver, path: str = "/hooks") -> AsyncIterator[Served]:
    runner = web.AppRunner(receiver.app(path), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        url = f"http://127.0.0.1:{runner.addresses[0][1]}{path}"
        async with aiohttp.ClientSession() as session:
            yield Served(receiver, url, session)
    finally:
        await runner.cleanup()
