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
from .app import build_app
from .deliveries import Delivery, Sleep, envelope, no_wait, retry_delays, send_with_retries
from .faults import FaultPlan, server_rate_limit
from .settings import check_seconds, check_settings
from .state import DeliveryAttempt, EmulatorState, RecordedRequest

__all__ = ["EWHEmulator"]


class EWHEmulator:
    """An aiohttp.web server on 127.0.0.1 behaving like the API (see `testing.app`).

    Settings:
    - `customers` (codes; one login serves them all), `username`, `password`,
      `wms_code`, `token_lifetime` (seconds);
    - `latency` (seconds from a request's arrival to its answer, the handler's own work
      included: the state changes at arrival), `faults` (a `FaultPlan`), `rate_limit`
      (`(max_requests, period)`, answered with 429 and `Retry-After` beyond), counted
      by `rate_limit_window`: "bucket" (default: a lenient leaky bucket that lets a
      burst through on top of the rate) or "sliding" (over any window of `period`
      seconds, the strictest common rule);
    - deliveries: `delivery_retry_delays` (seconds before each retry of a non-2xx;
      default `DEFAULT_RETRY_DELAYS`, a guess: 5 s, 5 min, 30 min, 2 h) and
      `delivery_sleep` (default: record the delays, wait for none of them; pass
      `asyncio.sleep` to wait for real); the older `delivery_attempts` and
      `delivery_retry_delay` still work.

    Where the vendor's document is silent, each plausible server is one setting away
    (the defaults follow the document's examples where they show anything):
    - `topic_style`: the read-only `topic` key of webhook objects: "none" (no key, as
      every example; default), "dot" (`order.shipped`), "slash", "underscore";
    - `list_items`: "full" (default), "topic_only" (list items carry `topic` but no
      `group`/`action`; needs a `topic_style`) or "topic_null" (the same with
      `group` and `action` present as `null`);
    - `default_limit` (50, documented), `max_limit` (100, a guess; larger limits are
      capped quietly; None: no cap);
    - `count_shortfall`: `count` reports this many fewer than the real total while
      `next` still links every page;
    - `next_style`: "absolute" (default), "relative", or "none" (no next/previous keys);
    - `past_last_page`: "404" (default, Django REST framework's "Invalid page.") or
      "empty" (200 with no results);
    - `error_style`: "message" (`{"code", "message"}`, the documented 401 shape;
      default) or "detail" (`{"detail"}`), for every error but a 400 about fields;
    - `strict_query`: 400 for an unknown `sort`, a `direction` other than asc/desc,
      an unreadable page or limit (default False: ignored or defaulted, as the
      document mentions no such 400);
    - `reject_unknown_topics`: 400 for a group/action pair outside the document's
      topic list (default True: the list reads as closed, though no 400 is documented);
    - `patch_hash_secret`: what an update does with `hash_secret`, which the document's
      update example does not send: "apply" (default; the vendor's Go SDK sends it),
      "ignore" (dropped silently) or "reject" (400);
    - `timestamps`: add `created_at`/`modified_at` to webhook objects (default False:
      the document's examples have none).

    Every setting is also a plain attribute, read on each request: a test may change
    one mid-run (e.g. `emu.topic_style = "slash"`). `advance(seconds)` moves the
    emulator's clock (token expiry) without sleeping.
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
        max_limit: int | None = 100,
        latency: float = 0.0,
        faults: FaultPlan | None = None,
        rate_limit: tuple[int, float] | None = None,
        rate_limit_window: str = "bucket",
        next_style: str = "absolute",
        topic_style: str = "none",
        list_items: str = "full",
        count_shortfall: int = 0,
        past_last_page: str = "404",
        error_style: str = "message",
        strict_query: bool = False,
        reject_unknown_topics: bool = True,
        patch_hash_secret: str = "apply",
        timestamps: bool = False,
        delivery_retry_delays: Sequence[float] | None = None,
        delivery_sleep: Sleep = no_wait,
        delivery_attempts: int | None = None,
        delivery_retry_delay: float | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if not customers:
            raise ValueError("the emulator needs at least one customer")
        check_settings(
            {
                "next_style": next_style,
                "topic_style": topic_style,
                "list_items": list_items,
                "past_last_page": past_last_page,
                "error_style": error_style,
                "patch_hash_secret": patch_hash_secret,
            },
            default_limit=default_limit,
            max_limit=max_limit,
            count_shortfall=count_shortfall,
        )
        check_seconds("token_lifetime", token_lifetime, zero_ok=False)
        check_seconds("latency", latency, zero_ok=True)
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
        self.topic_style = topic_style
        self.list_items = list_items
        self.count_shortfall = count_shortfall
        self.past_last_page = past_last_page
        self.error_style = error_style
        self.strict_query = strict_query
        self.reject_unknown_topics = reject_unknown_topics
        self.patch_hash_secret = patch_hash_secret
        self.timestamps = timestamps
        self.delivery_retry_delays = retry_delays(
            delivery_retry_delays, delivery_attempts, delivery_retry_delay
        )
        self.delivery_sleep = delivery_sleep
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
        """Listen on loopback (a free port unless one was given) and set `base_url`;
        `async with EWHEmulator()` calls it for you."""
        self._runner = web.AppRunner(build_app(self), access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"

    async def close(self) -> None:
        """Stop the server and close the delivery session (`async with` does it too)."""
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
        """The emulator's Unix time: real time plus every `advance()` so far (token
        `iat`/`exp` and expiry use it)."""
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
        """The keyword arguments of an `EWHClient` for this emulator:
        `EWHClient(**emu.credentials)`."""
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

    @property
    def delivery_attempts(self) -> int:
        """Attempts per delivery at most: the first one and one per retry delay."""
        return len(self.delivery_retry_delays) + 1

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

        `entity` defaults to the vendor's entity for the group (stock events carry
        "variant"); `entity_id` to `body["id"]`. A non-2xx answer or a failure is
        retried after each of `delivery_retry_delays`, sleeping with `delivery_sleep`.
        `raw_body` replaces the envelope's bytes (to test a malformed delivery).
        Returns every attempt, in order per webhook.
        """
        targets = [
            (code, hook)
            for code, hook in self.state.all_webhooks()
            if hook.group == group
            and hook.action == action
            and (customer_code is None or code == customer_code)
        ]
        deliveries = []
        for code, hook in targets:
            payload = raw_body
            if payload is None:
                event = envelope(
                    group,
                    action,
                    body,
                    customer=self.state.customers[code],
                    entity=entity,
                    entity_id=entity_id,
                )
                payload = json.dumps(event).encode()
            deliveries.append(Delivery(hook, payload, delivery_id))
        if not deliveries:
            return []
        if self._session is None:
            self._session = aiohttp.ClientSession()
        session = self._session
        per_hook = await asyncio.gather(
            *(
                send_with_retries(
                    delivery,
                    session,
                    self.delivery_retry_delays,
                    self.delivery_sleep,
                    self.state.deliveries.append,
                )
                for delivery in deliveries
            )
        )
        return [attempt for attempts in per_hook for attempt in attempts]
