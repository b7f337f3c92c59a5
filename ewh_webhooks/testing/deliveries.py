"""Signed deliveries from the emulator to the webhooks' URLs, retried on a schedule.

What the vendor documents: a POST of `{"body", "group", "action", "entity",
"customer", "entityId"}` signed with `X-Hmac-Sha256`, a unique `X-Webhook-Id`, a 2xx
expected within 10 s, non-2xx retried, no redirects followed. What it does not: when
it retries and how often. `DEFAULT_RETRY_DELAYS` is a guess, modelled on common
webhook senders (growing delays over a few hours); pass `delivery_retry_delays=` to
the emulator for another schedule.

By default the emulator does not wait the delays (`no_wait`): every attempt records
the delay it stands for (`DeliveryAttempt.delay`) and a test sees the whole schedule
at once. Pass `delivery_sleep=asyncio.sleep` to wait for real, or a fake clock's sleep.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import aiohttp

from ..signature import sign
from .settings import check_seconds, is_seconds
from .state import DeliveryAttempt, StoredWebhook
from .vendor import ENTITY_BY_GROUP

__all__ = [
    "DEFAULT_RETRY_DELAYS",
    "Delivery",
    "envelope",
    "no_wait",
    "retry_delays",
    "send_with_retries",
]

# Seconds to wait before each retry: 5 s, 5 min, 30 min, 2 h (five attempts in all).
# A GUESS: the vendor documents that it retries, not when.
DEFAULT_RETRY_DELAYS: tuple[float, ...] = (5.0, 300.0, 1800.0, 7200.0)

# The sender's documented limit for an answer.
SEND_TIMEOUT = aiohttp.ClientTimeout(total=10)

Sleep = Callable[[float], Awaitable[None]]


async def no_wait(seconds: float) -> None:
    """The default delivery sleep: yield to the event loop, wait for nothing."""
    await asyncio.sleep(0)


def retry_delays(
    delays: Sequence[float] | None, attempts: int | None, delay: float | None
) -> tuple[float, ...]:
    """The schedule from the emulator's settings: `delays`, or the older pair
    (`attempts` in all, `delay` between them), or the default."""
    if delays is not None and (attempts is not None or delay is not None):
        raise ValueError(
            "pass delivery_retry_delays, or delivery_attempts/delivery_retry_delay, not both"
        )
    if delays is None and attempts is None and delay is None:
        return DEFAULT_RETRY_DELAYS
    if delays is None:
        count = 3 if attempts is None else attempts
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"delivery_attempts must be an integer, at least 1, got {count!r}")
        if delay is not None:
            check_seconds("delivery_retry_delay", delay, zero_ok=True)
        return (0.0 if delay is None else float(delay),) * (count - 1)
    if isinstance(delays, str | bytes) or not isinstance(delays, Sequence):
        raise ValueError(f"delivery_retry_delays must be a sequence of seconds, got {delays!r}")
    if not all(is_seconds(seconds, zero_ok=True) for seconds in delays):
        raise ValueError(
            f"delivery_retry_delays must be >= 0 seconds, finite, got {list(delays)!r}"
        )
    return tuple(float(d) for d in delays)


def envelope(
    group: str,
    action: str,
    body: Mapping[str, Any],
    *,
    customer: str,
    entity: str | None,
    entity_id: str | None,
) -> dict[str, Any]:
    """The delivered JSON: `entity` from the table of entities per group unless given."""
    if entity is None:
        entity = ENTITY_BY_GROUP.get(group)
        if entity is None:
            raise ValueError(f"no entity known for group {group!r}: pass entity=")
    return {
        "body": dict(body),
        "group": group,
        "action": action,
        "entity": entity,
        "customer": customer,
        "entityId": str(body.get("id", "")) if entity_id is None else entity_id,
    }


class Delivery:
    """One event to one webhook: the same bytes, signature and id on every attempt."""

    def __init__(self, hook: StoredWebhook, payload: bytes, delivery_id: str | None) -> None:
        self.hook = hook
        self.payload = payload
        self.delivery_id = delivery_id or str(uuid.uuid4())
        self.headers = {
            "Content-Type": "application/json",
            "X-Hmac-Sha256": sign(payload, hook.hash_secret),
            "X-Webhook-Id": self.delivery_id,
        }

    async def attempt(
        self, session: aiohttp.ClientSession, number: int, delay: float
    ) -> DeliveryAttempt:
        record = DeliveryAttempt(
            webhook_id=self.hook.id,
            url=self.hook.url,
            topic=self.hook.topic,
            delivery_id=self.delivery_id,
            attempt=number,
            delay=delay,
        )
        try:
            async with session.post(
                self.hook.url,
                data=self.payload,
                headers=self.headers,
                allow_redirects=False,
                timeout=SEND_TIMEOUT,
            ) as resp:
                await resp.read()
                record.status = resp.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            record.error = f"{type(exc).__name__}: {exc}"
        return record


async def send_with_retries(
    delivery: Delivery,
    session: aiohttp.ClientSession,
    delays: Sequence[float],
    sleep: Sleep,
    record: Callable[[DeliveryAttempt], None],
) -> list[DeliveryAttempt]:
    """Attempt once, then again after each delay until a 2xx; every attempt is recorded."""
    attempts = [await delivery.attempt(session, 1, 0.0)]
    record(attempts[-1])
    for number, delay in enumerate(delays, start=2):
        if attempts[-1].ok:
            break
        await sleep(delay)
        attempts.append(await delivery.attempt(session, number, delay))
        record(attempts[-1])
    return attempts
