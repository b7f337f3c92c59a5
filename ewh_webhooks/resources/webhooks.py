"""`client.webhooks`: the typed API over the webhook endpoints.

`Webhooks` implements `sync.WebhookStore`, the seam sync depends on. Every method
takes `timeout=` (seconds or a `Timeout`) and `extra_headers=` for that call alone;
`with_raw_response` gives the status, headers and request id as well.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import aclosing
from typing import TYPE_CHECKING

import attrs

from ..config import Timeout
from ..context import RequestContext
from ..converter import structure_items
from ..models import Page, RawPage, Webhook, WebhookCreate, WebhookSpec, WebhookUpdate
from ..pagination import PageRef, iterate_pages
from ..validation import check_page_args, check_positive_int
from .calls import LIST_PATH, NO_OPTIONS, CallOptions, WebhookCalls
from .raw import RawWebhooks

if TYPE_CHECKING:
    from ..sync import SyncProgress, SyncResult

__all__ = ["DEFAULT_LIST_CONCURRENCY", "Webhooks"]

# Pages in flight ahead of the one being read, once `count` is known: enough to hide
# the latency of a slow server, few enough to leave the client's other slots free.
DEFAULT_LIST_CONCURRENCY = 4


class Webhooks:
    """CRUD, pagination and sync for the customer of the client it belongs to."""

    __slots__ = ("calls", "context", "with_raw_response")

    def __init__(self, context: RequestContext) -> None:
        self.context = context
        self.calls = WebhookCalls(context)
        # The same calls, answering `APIResponse` (`.parsed`, `.status`, `.headers`,
        # `.request_id`): `await client.webhooks.with_raw_response.get(hook_id)`.
        self.with_raw_response = RawWebhooks(self.calls)

    @property
    def customer_code(self) -> str:
        """The customer these calls are for (`X-Customer-Code`)."""
        return self.context.customer

    @property
    def allows_loopback_http(self) -> bool:
        """Whether plain-http webhook URLs on loopback pass the URL check: only when this
        client itself talks to loopback (the emulator, with a local receiver)."""
        return self.context.allows_loopback_http

    @property
    def max_in_flight(self) -> int:
        """The client's cap on requests in flight (sync's concurrency never exceeds it)."""
        return self.context.max_in_flight

    def for_customer(self, customer_code: str) -> Webhooks:
        """The same calls for another customer of the same login."""
        return Webhooks(attrs.evolve(self.context, customer=customer_code))

    async def list_page(
        self,
        *,
        page: int = 1,
        limit: int = 50,
        sort: str | None = None,
        direction: str | None = None,
        timeout: float | Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Page:
        """One page of webhooks (`page` is 1-based).

        >>> page = await client.webhooks.list_page(page=2, limit=100)
        >>> page.count, len(page.results), page.next
        """
        raw = self.with_raw_response
        listed = await raw.list_page(
            page=page,
            limit=limit,
            sort=sort,
            direction=direction,
            timeout=timeout,
            extra_headers=extra_headers,
        )
        return listed.parsed

    async def list(
        self,
        *,
        limit: int = 50,
        sort: str | None = None,
        direction: str | None = None,
        prefetch: bool = True,
        concurrency: int | None = None,
        timeout: float | Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> AsyncIterator[Webhook]:
        """Every webhook, streamed page by page, in order.

        Once page 1 gives the total, the pages it implies are fetched by number,
        `concurrency` at a time (default 4, at most the client's `max_in_flight`;
        1 for one request at a time), then the server's `next` says whether more
        follow. With `prefetch` the next page is requested while you work on this
        one. Memory holds a few pages, whatever the total. Pages are read at
        slightly different times: a webhook created or deleted meanwhile may be
        missed or seen twice, as with any page-number pagination (sync lists
        everything first and ignores repeats).

        >>> async for hook in client.webhooks.list(limit=100):
        ...     print(hook.topic, hook.url)
        """
        check_page_args(limit=limit, sort=sort, direction=direction)
        if concurrency is None:
            concurrency = min(DEFAULT_LIST_CONCURRENCY, self.max_in_flight)
        check_positive_int(concurrency, "concurrency")
        options = CallOptions(timeout, extra_headers)
        calls = self.calls

        def by_number(number: int) -> str:
            return calls.page_url(number, limit, sort, direction)

        async def fetch(ref: PageRef) -> RawPage:
            return await calls.fetch_page(ref.url, options)

        pages = iterate_pages(
            fetch,
            first=PageRef(1, by_number(1)),
            base_url=self.context.base_url,
            by_number=by_number,
            spawn=self.context.spawn,
            prefetch=prefetch,
            concurrency=concurrency,
        )
        async with aclosing(pages):
            async for page in pages:
                for hook in structure_items(page.items, what=f"GET {LIST_PATH} results"):
                    yield hook

    async def get(
        self,
        webhook_id: str,
        *,
        timeout: float | Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Webhook:
        """One webhook by id.

        >>> hook = await client.webhooks.get("6caeff6d-cd72-4fde-9d02-0704514ad917")
        """
        # Straight to the call, without the `APIResponse` wrapper `with_raw_response`
        # builds: `get()` is the per-request path the overhead benchmark measures.
        if timeout is None and extra_headers is None:
            options = NO_OPTIONS
        else:
            options = CallOptions(timeout, extra_headers)
        return (await self.calls.get(webhook_id, options))[1]

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
    ) -> Webhook:
        """Create a webhook; the answer echoes `hash_secret` (kept out of repr).

        Checked first: an https URL without credentials (`allow_credentials=True`
        to send `user:password@` anyway), a non-empty secret, a documented topic
        (`validate_topic=False` for one the vendor added later).

        >>> hook = await client.webhooks.create(
        ...     url="https://example.com/hooks", group="order", action="shipped",
        ...     hash_secret=secret)
        """
        created = await self.with_raw_response.create(
            url=url,
            group=group,
            action=action,
            hash_secret=hash_secret,
            validate_topic=validate_topic,
            allow_credentials=allow_credentials,
            timeout=timeout,
            extra_headers=extra_headers,
        )
        return created.parsed

    async def create_checked(self, body: WebhookCreate) -> Webhook:
        """POST a body whose fields are already checked (by `create_body` or sync)."""
        return (await self.calls.post(body, NO_OPTIONS))[1]

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
    ) -> Webhook:
        """PATCH only the fields given. Sending `hash_secret` rotates the secret: the
        vendor's update example does not show it, but its Go SDK sends it.

        >>> hook = await client.webhooks.update(hook.id, url="https://example.com/v2")
        """
        updated = await self.with_raw_response.update(
            webhook_id,
            url=url,
            group=group,
            action=action,
            hash_secret=hash_secret,
            validate_topic=validate_topic,
            allow_credentials=allow_credentials,
            timeout=timeout,
            extra_headers=extra_headers,
        )
        return updated.parsed

    async def update_checked(self, webhook_id: str, body: WebhookUpdate) -> Webhook:
        """PATCH a non-empty body whose fields are already checked (sync's repurposing)."""
        return (await self.calls.patch(webhook_id, body, NO_OPTIONS))[1]

    async def delete(
        self,
        webhook_id: str,
        *,
        timeout: float | Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        """Delete a webhook (the API answers 204 No Content). A retry that finds it
        gone, after an attempt that may have deleted it, counts as success."""
        await self.with_raw_response.delete(
            webhook_id, timeout=timeout, extra_headers=extra_headers
        )

    async def sync(
        self,
        specs: Iterable[WebhookSpec],
        *,
        prune: bool = False,
        dry_run: bool = False,
        concurrency: int = 8,
        resend_secrets: bool = False,
        validate_topic: bool = True,
        allow_credentials: bool = False,
        on_progress: SyncProgress | None = None,
        timeout: float | Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> SyncResult:
        """Make this customer's webhooks match `specs` with the fewest requests;
        `timeout` and `extra_headers` apply to each of its requests.

        See `ewh_webhooks.sync` for the rules.
        """
        from ..sync import SyncOptions, sync_webhooks

        options = SyncOptions(
            prune=prune,
            dry_run=dry_run,
            concurrency=concurrency,
            resend_secrets=resend_secrets,
            validate_topic=validate_topic,
            allow_credentials=allow_credentials,
            on_progress=on_progress,
        )
        call = CallOptions(timeout, extra_headers)
        store = self
        if call.timeout is not None or call.extra_headers is not None:
            store = Webhooks(self.context.with_call_options(call.timeout, call.extra_headers))
        return await sync_webhooks(store, specs, options)
