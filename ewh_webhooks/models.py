"""Typed models of the API's JSON (attrs, frozen, slotted, keyword-only).

Group and action are plain strings so that a topic the vendor adds later parses
fine. Secrets (`hash_secret`, tokens) are kept out of `repr`. JSON shapes live in
`converter.py`, not here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

__all__ = ["Page", "RawPage", "Tokens", "Webhook", "WebhookCreate", "WebhookSpec", "WebhookUpdate"]


def _topic_default(self: Any) -> str:
    return f"{self.group}.{self.action}"


@attrs.frozen(slots=True, kw_only=True)
class Webhook:
    """A webhook as the API returns it.

    `raw` holds the full JSON object, unknown fields included (secrets too, so it is
    excluded from repr and equality).
    """

    id: str
    url: str
    group: str
    action: str
    topic: str = attrs.field(default=attrs.Factory(_topic_default, takes_self=True))
    customer: str | None = None
    hash_secret: str | None = attrs.field(default=None, repr=False)
    created_at: datetime | None = None
    modified_at: datetime | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


@attrs.frozen(slots=True, kw_only=True)
class Page:
    """One page of `GET /webhooks/`: `count` is the total across pages when given."""

    results: tuple[Webhook, ...]
    count: int | None = None
    next: str | None = None
    previous: str | None = None


@attrs.frozen(slots=True, kw_only=True)
class RawPage:
    """A page whose envelope is checked but whose items are still JSON.

    Streaming decides where the next page is (and requests it) from this, then
    structures the items while the server works on the next page.
    """

    items: list[Any] = attrs.field(repr=False)
    count: int | None = None
    next: str | None = None
    previous: str | None = None
    # Whether the body had a "next" key at all: without one, pagination goes on by number.
    has_next_key: bool = attrs.field(default=True, repr=False)


@attrs.frozen(slots=True, kw_only=True)
class Tokens:
    """The answer of login and refresh. `exp` and `iat` are absolute Unix seconds."""

    token: str = attrs.field(repr=False)
    refresh_token: str | None = attrs.field(default=None, repr=False)
    exp: float | None = None
    iat: float | None = None


@attrs.frozen(slots=True, kw_only=True)
class WebhookCreate:
    """Body of `POST /webhooks/`: every field is required by the API."""

    url: str
    group: str
    action: str
    hash_secret: str = attrs.field(repr=False)


@attrs.frozen(slots=True, kw_only=True)
class WebhookUpdate:
    """Body of `PATCH /webhooks/{id}/`: fields left as None are not sent."""

    url: str | None = None
    group: str | None = None
    action: str | None = None
    hash_secret: str | None = attrs.field(default=None, repr=False)

    def is_empty(self) -> bool:
        return (
            self.url is None
            and self.group is None
            and self.action is None
            and (self.hash_secret is None)
        )


@attrs.frozen(slots=True, kw_only=True)
class WebhookSpec:
    """A desired webhook for `sync`: identified by topic + url."""

    url: str
    group: str
    action: str
    hash_secret: str = attrs.field(repr=False)

    @property
    def topic(self) -> str:
        return f"{self.group}.{self.action}"
