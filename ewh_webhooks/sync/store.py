"""`WebhookStore`: what sync needs from a customer's webhooks, and nothing more.

`client.webhooks` (`resources.webhooks.Webhooks`) implements it; sync depends only
on this protocol, never on the client or the resources, so it can be driven by
any store (a fake in tests, another transport).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from ..models import Webhook, WebhookCreate, WebhookUpdate

__all__ = ["WebhookStore"]


class WebhookStore(Protocol):
    """The customer's webhooks as sync sees them: list, checked writes, delete."""

    @property
    def customer_code(self) -> str:
        """The customer whose webhooks these are (named in results and errors)."""
        ...

    @property
    def allows_loopback_http(self) -> bool:
        """Whether plain-http webhook URLs on loopback are accepted (the emulator)."""
        ...

    @property
    def max_in_flight(self) -> int:
        """The cap on requests in flight that writes share."""
        ...

    def list(self) -> AsyncIterator[Webhook]:
        """Every webhook of the customer; raises if the listing cannot be completed."""
        ...

    async def create_checked(self, body: WebhookCreate) -> Webhook:
        """POST a body whose fields were already checked."""
        ...

    async def update_checked(self, webhook_id: str, body: WebhookUpdate) -> Webhook:
        """PATCH a non-empty body whose fields were already checked."""
        ...

    async def delete(self, webhook_id: str) -> None:
        """Delete one webhook; `NotFoundError` if it is gone (sync counts that as done)."""
        ...

    def for_customer(self, customer_code: str) -> WebhookStore:
        """The same store for another customer of the same login."""
        ...
