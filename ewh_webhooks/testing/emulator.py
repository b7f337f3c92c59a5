"""`EWHEmulator`: an in-process stand-in for the eWarehousing Webhooks API on loopback.

async with EWHEmulator() as emu:
    async with emu.client() as client:
        hook = await client.webhooks.create(url=..., group="order", action="shipped",
                                            hash_secret="s3cret")
    await emu.deliver("order", "shipped", {"id": 1})
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

import aiohttp
from aiohttp import web

from ..client import EWHClient
from ..signature import sign
from .app import build_app
from .faults import FaultPlan, server_rate_limit
from .state import DeliveryAttempt, EmulatorState, RecordedRequest, StoredWebhook

__all__ = ["EWHEmulator"]


class EWHEmulator:
    """An aiohttp.web server on 127.0.0.1 behaving like the API (see `testing.app`).

    Settings: `customers` (codes), `token_lifetime` (seconds), `default_limit` and
    `max_limit` (page sizes), `latency` (seconds from a request's arrival to its
    answer, the handler's own work included: the state changes at arrival),
    `faults` (a `FaultPlan`), `rate_limit` (`(max_requests, period)` answered with
    429 and `Retry-After` beyond; `rate_limit_window="sliding"`, the default, counts
    over any window of `period` seconds, the strictest common rule; "bucket" is a
    lenient leaky bucket that lets a burst through on top of the rate), `next_style`
    ("absolute", "relative" or "none": no next key).
    `advance(seconds)` moves the emulator's clock (token expiry) without sleeping.
    """

    def __init__(
        self,
        *,
        username: str = "emulator-user",
        password: str = "emulator-password",
        wms_code: str = "EMU",
        customers: Sequence[str] = ("CUSTOMER1", "CUSTOMER2", "CUSTOMER3"),
        token_lifetime: float = 3600.0,
        default_limit: int = 50,
        max_limit: int = 100,
        latency: float = 0.0,
        faults: FaultPlan | None = None,
        rate_limit: tuple[int, float] | None = None,
        rate_limit_window: str = "sliding",
        next_style: str = "absolute",
        delivery_attempts: int = 3,
        delivery_retry_delay: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if not customers:
            raise ValueError("the emulator needs at least one customer")
        if next_style not in ("absolute", "relative", "none"):
            raise ValueError("next_style must be 'absolute', 'relative' or 'none'")
        self.username = username
        self.password = password
        self.wms_code = wms_code
        self.customer_codes = tuple(customers)
        self.token_lifetime = token_lifetime
        self.default_limit = default_limit
        self.max_limit = max_limit
        self.latency = latency
        self.faults = faults
        self.next_style = next_style
        self.delivery_attempts = delivery_attempts
        self.delivery_retry_delay = delivery_retry_delay
        self._offset = 0.0
        self.state = EmulatorState(
            customers={code: str(uuid.uuid5(uuid.NAMESPACE_URL, code)) for code in customers},
            clock=self.clock,
        )
        self.rate_limiter = server_rate_limit(rate_limit, rate_limit_window, time.monotonic)
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.base_url = ""

    # --- lifecycle -------------------------------------------------------------

    async def start(self) -> None:
        self._runner = web.AppRunner(build_app(self), access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> EWHEmulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # --- clock and convenience -------------------------------------------------------

    def clock(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the emulator's clock forward (expires tokens without waiting)."""
        self._offset += seconds

    @property
    def customer_code(self) -> str:
        """The first customer: the one `client()` and `credentials` use."""
        return self.customer_codes[0]

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received, in order (Authorization headers are not kept)."""
        return self.state.requests

    @property
    def deliveries(self) -> list[DeliveryAttempt]:
        """Every delivery attempt made by `deliver()`, in order."""
        return self.state.deliveries

    @property
    def credentials(self) -> dict[str, str]:
        return {
            "username": self.username,
            "password": self.password,
            "wms_code": self.wms_code,
            "customer_code": self.customer_code,
            "base_url": self.base_url,
        }

    def client(self, **overrides: Any) -> EWHClient:
        """An `EWHClient` logged in to this emulator (keyword arguments win)."""
        if not self.base_url:
            raise RuntimeError("start the emulator first (async with EWHEmulator() as emu)")
        kwargs: dict[str, Any] = dict(self.credentials)
        kwargs.update(overrides)
        return EWHClient(**kwargs)

    def webhooks(self, customer_code: str | None = None) -> list[dict[str, Any]]:
        """The stored webhooks of a customer as JSON objects (secrets included)."""
        hooks = self.state.webhooks[customer_code or self.customer_code]
        return [hook.to_json(with_secret=True) for hook in hooks.values()]

    # --- deliveries ------------------------------------------------------------

    async def deliver(
        self,
        group: str,
        action: str,
        body: Mapping[str, Any],
        *,
        customer_code: str | None = None,
        entity: str | None = None,
        entity_id: str | None = None,
        delivery_id: str | None = None,
        raw_body: bytes | None = None,
    ) -> list[DeliveryAttempt]:
        """POST a signed event to every webhook of the topic (of one customer, or all).

        Non-2xx answers and failures are retried up to `delivery_attempts` times.
        `raw_body` replaces the envelope's bytes (to test a malformed delivery).
        """
        if self._session is None:
            self._session = aiohttp.ClientSession()
        targets = [
            (code, hook)
            for code, hook in self.state.all_webhooks()
            if hook.group == group
            and hook.action == action
            and (customer_code is None or code == customer_code)
        ]
        envelope = {"body": dict(body), "group": group, "action": action, "entity": entity or group}
        if entity_id is None:
            entity_id = str(body.get("id", ""))
        attempts = await asyncio.gather(
            *(
                self._deliver_one(hook, code, envelope, entity_id, delivery_id, raw_body)
                for code, hook in targets
            )
        )
        return [attempt for per_hook in attempts for attempt in per_hook]

    async def _deliver_one(
        self,
        hook: StoredWebhook,
        code: str,
        envelope: Mapping[str, Any],
        entity_id: str,
        delivery_id: str | None,
        raw_body: bytes | None,
    ) -> list[DeliveryAttempt]:
        assert self._session is not None
        envelope = {**envelope, "customer": self.state.customers[code], "entityId": entity_id}
        payload = raw_body if raw_body is not None else json.dumps(envelope).encode()
        event_id = delivery_id or str(uuid.uuid4())
        headers = {
            "Content-Type": "application/json",
            "X-Hmac-Sha256": sign(payload, hook.hash_secret),
            "X-Webhook-Id": event_id,
        }
        results = []
        for attempt in range(1, self.delivery_attempts + 1):
            record = DeliveryAttempt(
                webhook_id=hook.id,
                url=hook.url,
                topic=hook.topic,
                delivery_id=event_id,
                attempt=attempt,
            )
            try:
                async with self._session.post(
                    hook.url,
                    data=payload,
                    headers=headers,
                    allow_redirects=False,
                    timeout=aiohttp.ClientTimeout(total=10),  # the sender's documented limit
                ) as resp:
                    await resp.read()
                    record.status = resp.status
            except (aiohttp.ClientError, TimeoutError) as exc:
                record.error = f"{type(exc).__name__}: {exc}"
            self.state.deliveries.append(record)
            results.append(record)
            if record.ok:
                break
            if self.delivery_retry_delay:
                await asyncio.sleep(self.delivery_retry_delay)
        return results
