"""Typed models of the API's JSON (attrs, frozen, slotted, keyword-only).

Group and action are plain strings so that a topic the vendor adds later parses
fine; `topic` is derived from them (`topics.topic_of`), never taken from the
server, whose topic format is not documented. Secrets (`hash_secret`, tokens) are
kept out of `repr`, and URLs are shown with credentials redacted. JSON shapes live
in `converter.py`, not here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from .errors import InvalidArgumentError
from .redaction import redact_url
from .topics import topic_of

__all__ = ["Page", "RawPage", "Tokens", "Webhook", "WebhookCreate", "WebhookSpec", "WebhookUpdate"]


def _derived_topic(self: Any) -> str:
    return topic_of(self.group, self.action)


def _text(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    # A spec is written by hand or loaded from a file: a number or a list where a
    # string belongs is refused now (and never shown raw in a repr).
    if not isinstance(value, str):
        raise InvalidArgumentError(
            f"WebhookSpec.{attribute.name} must be a string, got {type(value).__name__}"
        )


def _url_repr(url: str | None) -> str:
    return repr(url if url is None else redact_url(url))


@attrs.frozen(slots=True, kw_only=True)
class Webhook:
    """A webhook as the API returns it.

    `topic` is `group.action`. `raw` holds the full JSON object, unknown fields and
    the server's own `topic` included (secrets too, so it is excluded from repr and
    equality).
    """

    id: str
    url: str = attrs.field(repr=_url_repr)
    group: str
    action: str
    customer: str | None = None
    hash_secret: str | None = attrs.field(default=None, repr=False)
    created_at: datetime | None = None
    modified_at: datetime | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)
    topic: str = attrs.field(init=False, default=attrs.Factory(_derived_topic, takes_self=True))


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

    url: str = attrs.field(repr=_url_repr)
    group: str
    action: str
    hash_secret: str = attrs.field(repr=False)


@attrs.frozen(slots=True, kw_only=True)
class WebhookUpdate:
    """Body of `PATCH /webhooks/{id}/`: fields left as None are not sent."""

    url: str | None = attrs.field(default=None, repr=_url_repr)
    group: str | None = None
    action: str | None = None
    hash_secret: str | None = attrs.field(default=None, repr=False)

    def is_empty(self) -> bool:
        """True when no field is set: such a PATCH would change nothing."""
        return (
            self.url is None
            and self.group is None
            and self.action is None
            and (self.hash_secret is None)
        )


@attrs.frozen(slots=True, kw_only=True)
class WebhookSpec:
    """A desired webhook for `sync`: identified by group + action + url."""

    url: str = attrs.field(repr=_url_repr, validator=_text)
    group: str = attrs.field(validator=_text)
    action: str = attrs.field(validator=_text)
    hash_secret: str = attrs.field(repr=False, validator=_text)

    @property
    def topic(self) -> str:
        """`group.action`."""
        return topic_of(self.group, self.action)

    def as_create(self) -> WebhookCreate:
        """The create body for this spec."""
        return WebhookCreate(
            url=self.url, group=self.group, action=self.action, hash_secret=self.hash_secret
        )
