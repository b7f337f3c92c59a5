"""The emulator's inspectable state: customers, webhooks, tokens, request log, deliveries."""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import attrs

from .table import WebhookTable

__all__ = [
    "DeliveryAttempt",
    "EmulatorState",
    "RecordedRequest",
    "StoredWebhook",
    "TokenGrant",
]


@attrs.define(slots=True, kw_only=True)
class StoredWebhook:
    """A webhook as the emulator keeps it, secret included (never in `repr`)."""

    id: str
    url: str
    group: str
    action: str
    customer: str  # the customer's UUID, as the API returns it
    hash_secret: str = attrs.field(repr=False)
    created_at: str
    modified_at: str

    @property
    def topic(self) -> str:
        """`group.action`: the emulator's own name for it (what the server shows in the
        `topic` field depends on `EWHEmulator(topic_style=)`)."""
        return f"{self.group}.{self.action}"

    def to_json(self, *, with_secret: bool = False) -> dict[str, Any]:
        """Everything stored, for inspection (not what the API answers: see `webhooks_api`)."""
        body: dict[str, Any] = {
            "id": self.id,
            "url": self.url,
            "group": self.group,
            "action": self.action,
            "topic": self.topic,
            "customer": self.customer,
            "created_at": self.created_at,
            "modified_at": self.modified_at,
        }
        if with_secret:
            body["hash_secret"] = self.hash_secret
        return body


@attrs.define(slots=True, kw_only=True)
class RecordedRequest:
    """One request the emulator received (Authorization is never recorded)."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str] = attrs.field(repr=False)
    customer: str | None
    authenticated: bool = False
    status: int | None = None
    fault: str | None = None
    received_at: float = 0.0  # time.monotonic() on arrival


@attrs.define(slots=True, kw_only=True)
class DeliveryAttempt:
    """One attempt of `EWHEmulator.deliver()` to one webhook: its status, or the
    error when no answer came."""

    webhook_id: str
    url: str
    topic: str
    delivery_id: str
    attempt: int
    delay: float = 0.0  # seconds waited after the previous attempt, per the retry schedule
    status: int | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the receiver answered 2xx (the sender then stops retrying)."""
        return self.status is not None and 200 <= self.status < 300


@attrs.define(slots=True, kw_only=True)
class TokenGrant:
    username: str
    exp: float
    customer_codes: tuple[str, ...]


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def now_iso(wall: float) -> str:
    return datetime.fromtimestamp(wall, UTC).isoformat().replace("+00:00", "Z")


@attrs.define(slots=True)
class EmulatorState:
    """Everything the emulator knows; tests read it (and may seed it) directly."""

    customers: dict[str, str]  # customer code -> customer UUID
    clock: Callable[[], float] = attrs.field(repr=False)
    webhooks: dict[str, WebhookTable[StoredWebhook]] = attrs.field(factory=dict)
    requests: list[RecordedRequest] = attrs.field(factory=list, repr=False)
    deliveries: list[DeliveryAttempt] = attrs.field(factory=list, repr=False)
    tokens: dict[str, TokenGrant] = attrs.field(factory=dict, repr=False)
    # refresh token -> (username, used?)
    refresh_tokens: dict[str, list[Any]] = attrs.field(factory=dict, repr=False)
    in_flight: int = 0
    max_in_flight: int = 0

    def __attrs_post_init__(self) -> None:
        for code in self.customers:
            self.webhooks.setdefault(code, WebhookTable())

    def issue_tokens(self, username: str, lifetime: float) -> dict[str, Any]:
        """A login's answer: a JWT-shaped token for every customer, valid `lifetime`
        seconds, and a fresh single-use refresh token."""
        iat = int(self.clock())
        exp = iat + int(lifetime)
        codes = tuple(self.customers)
        payload = {
            "iat": iat,
            "exp": exp,
            "username": username,
            "customer_ids": [self.customers[c] for c in codes],
            "jti": uuid.uuid4().hex,
        }
        token = ".".join(
            [_b64({"typ": "JWT", "alg": "HS256"}), _b64(payload), secrets.token_urlsafe(16)]
        )
        refresh = secrets.token_hex(32)
        self.tokens[token] = TokenGrant(username=username, exp=exp, customer_codes=codes)
        self.refresh_tokens[refresh] = [username, False]
        return {"token": token, "iat": iat, "exp": exp, "refresh_token": refresh}

    def add_webhook(
        self, customer_code: str, *, url: str, group: str, action: str, hash_secret: str
    ) -> StoredWebhook:
        """Seed a webhook directly, without a request (no checks, no fault)."""
        stamp = now_iso(self.clock())
        hook = StoredWebhook(
            id=str(uuid.uuid4()),
            url=url,
            group=group,
            action=action,
            customer=self.customers[customer_code],
            hash_secret=hash_secret,
            created_at=stamp,
            modified_at=stamp,
        )
        self.webhooks[customer_code][hook.id] = hook
        return hook

    def all_webhooks(self) -> list[tuple[str, StoredWebhook]]:
        """(customer code, webhook) for every customer's webhooks."""
        return [(code, hook) for code, hooks in self.webhooks.items() for hook in hooks.values()]

    def count_requests(self, method: str | None = None, path_prefix: str = "") -> int:
        """How many requests were received, of `method` (any if None) under `path_prefix`."""
        return sum(
            1
            for r in self.requests
            if (method is None or r.method == method) and r.path.startswith(path_prefix)
        )
