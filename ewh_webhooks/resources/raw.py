"""`client.webhooks.with_raw_response`: the same calls, answering the typed result
together with the response's status, headers and request id (after openai-python's
`with_raw_response`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Generic, TypeVar

from ..config import Timeout
from ..models import Page, Webhook
from ..sansio import Response
from .calls import CallOptions, WebhookCalls, create_body, update_body

__all__ = ["APIResponse", "RawWebhooks"]

T = TypeVar("T")


class APIResponse(Generic[T]):
    """A typed result (`parsed`) with what the HTTP response said about it."""

    __slots__ = ("headers", "parsed", "request_id", "status")

    def __init__(self, parsed: T, response: Response) -> None:
        self.parsed = parsed
        self.status = response.status
        self.headers: Mapping[str, str] = response.headers
        # The X-Request-Id this client sent: quote it when asking the vendor about a call.
        self.request_id = response.request_id

    def __repr__(self) -> str:
        return f"APIResponse(status={self.status}, request_id={self.request_id!r})"


def _wrap(pair: tuple[Response, T]) -> APIResponse[T]:
    return APIResponse(pair[1], pair[0])


class RawWebhooks:
    """`client.webhooks.with_raw_response`: each method takes the arguments of its
    namesake on `Webhooks` and answers an `APIResponse` around the same result."""

    __slots__ = ("_calls", "_loopback")

    def __init__(self, calls: WebhookCalls) -> None:
        self._calls = calls
        self._loopback = calls.context.allows_loopback_http

    async def list_page(
        self,
        *,
        page: int = 1,
        limit: int = 50,
        sort: str | None = None,
        direction: str | None = None,
        timeout: float | Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> APIResponse[Page]:
        """`Webhooks.list_page`, with the response: `.parsed` is the `Page`."""
        options = CallOptions(timeout, extra_headers)
        return _wrap(await self._calls.list_page(page, limit, sort, direction, options))

    async def get(
        self,
        webhook_id: str,
        *,
        timeout: float | Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> APIResponse[Webhook]:
        """`Webhooks.get`, with the response: `.parsed` is the `Webhook`."""
        return _wrap(await self._calls.get(webhook_id, CallOptions(timeout, extra_headers)))

    async def create(
        self,
        *,
        url: str,
        group: str,
        action: str,
        hash_secret: str,
        validate_topic: bool = True,
        allow_credentials: bool = False,
        timeout: float | Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> APIResponse[Webhook]:
        """`Webhooks.create`, with the response: `.parsed` is the created `Webhook`
        (the status tells 201 from 200)."""
        body = create_body(
            url=url,
            group=group,
            action=action,
            hash_secret=hash_secret,
            validate_topic=validate_topic,
            allow_loopback_http=self._loopback,
            allow_credentials=allow_credentials,
        )
        return _wrap(await self._calls.post(body, CallOptions(timeout, extra_headers)))

    async def update(
        self,
        webhook_id: str,
        *,
        url: str | None = None,
        group: str | None = None,
        action: str | None = None,
        hash_secret: str | None = None,
        validate_topic: bool = True,
        allow_credentials: bool = False,
        timeout: float | Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> APIResponse[Webhook]:
        """`Webhooks.update`, with the response: `.parsed` is the updated `Webhook`."""
        body = update_body(
            url=url,
            group=group,
            action=action,
            hash_secret=hash_secret,
            validate_topic=validate_topic,
            allow_loopback_http=self._loopback,
            allow_credentials=allow_credentials,
        )
        options = CallOptions(timeout, extra_headers)
        return _wrap(await self._calls.patch(webhook_id, body, options))

    async def delete(
        self,
        webhook_id: str,
        *,
        timeout: float | Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> APIResponse[None]:
        """`Webhooks.delete`, with the response: `.parsed` is None (204 No Content)."""
        return _wrap(await self._calls.delete(webhook_id, CallOptions(timeout, extra_headers)))
