"""`client.webhooks`: build each request, check arguments first, structure the answer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

from ..converter import (
    structure_items,
    structure_page,
    structure_raw_page,
    structure_webhook,
    unstructure,
)
from ..errors import InvalidArgumentError
from ..models import Page, RawPage, Webhook, WebhookCreate, WebhookSpec, WebhookUpdate
from ..pagination import PageRef, iterate_pages, page_url
from ..sansio import decode_json
from ..topics import KNOWN_TOPICS, check_topic
from ..validation import check_page_args, check_secret, check_webhook_url, webhook_path

if TYPE_CHECKING:
    from ..client import EWHClient
    from ..sync import SyncProgress, SyncResult

__all__ = ["Webhooks"]

LIST_PATH = "/webhooks/"


class Webhooks:
    """CRUD, pagination and sync for the customer of the client it belongs to."""

    def __init__(self, client: EWHClient) -> None:
        self._client = client

    @property
    def customer_code(self) -> str:
        return self._client.customer_code

    async def list_page(
        self,
        *,
        page: int = 1,
        limit: int = 50,
        sort: str | None = None,
        direction: str | None = None,
    ) -> Page:
        """One page of webhooks (`page` is 1-based).

        >>> page = await client.webhooks.list_page(page=2, limit=100)
        >>> page.count, len(page.results), page.next
        """
        check_page_args(page=page, limit=limit, sort=sort, direction=direction)
        params = _list_params(page, limit, sort, direction)
        response = await self._client._request("GET", LIST_PATH, params=params)
        return structure_page(decode_json(response), what=f"GET {LIST_PATH} page {page}")

    async def list(
        self,
        *,
        limit: int = 50,
        sort: str | None = None,
        direction: str | None = None,
        prefetch: bool = True,
        concurrency: int = 1,
    ) -> AsyncIterator[Webhook]:
        """Every webhook, streamed page by page, in order.

        The next page is fetched while you work on this one (`prefetch`). With
        `concurrency` > 1 the pages after the first are fetched that many at a time
        once the total is known. Memory holds a few pages, whatever the total.

        >>> async for hook in client.webhooks.list(limit=100, concurrency=8):
        ...     print(hook.topic, hook.url)
        """
        check_page_args(limit=limit, sort=sort, direction=direction)
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise InvalidArgumentError(f"concurrency must be an integer >= 1, got {concurrency!r}")
        client = self._client
        base_url = client.base_url

        def by_number(number: int) -> str:
            return page_url(base_url, LIST_PATH, _list_params(number, limit, sort, direction))

        async def fetch(ref: PageRef) -> RawPage:
            path = ref.url[len(base_url) :] if ref.url.startswith(base_url) else ref.url
            response = await client._request("GET", path, url=ref.url)
            return structure_raw_page(decode_json(response), what=f"GET {path}")

        pages = iterate_pages(
            fetch,
            first=PageRef(1, by_number(1)),
            base_url=base_url,
            by_number=by_number,
            spawn=client._spawn,
            prefetch=prefetch,
            concurrency=concurrency,
        )
        async with aclosing(pages):
            async for page in pages:
                for hook in structure_items(page.items, what=f"GET {LIST_PATH} results"):
                    yield hook

    async def get(self, webhook_id: str) -> Webhook:
        path = webhook_path(webhook_id)
        response = await self._client._request("GET", path)
        return structure_webhook(decode_json(response), what=f"GET {path} response")

    async def create(
        self,
        *,
        url: str,
        group: str,
        action: str,
        hash_secret: str,
        validate_topic: bool = True,
    ) -> Webhook:
        """Create a webhook; the answer echoes `hash_secret` (kept out of repr).

        >>> hook = await client.webhooks.create(
        ...     url="https://example.com/hooks", group="order", action="shipped",
        ...     hash_secret=secret)
        """
        body = WebhookCreate(
            url=check_webhook_url(url, allow_loopback_http=self._client._loopback),
            group=group,
            action=action,
            hash_secret=check_secret(hash_secret),
        )
        if validate_topic:
            check_topic(group, action)
        else:
            _check_strings(group=group, action=action)
        return await self._post(body)

    async def _post(self, body: WebhookCreate) -> Webhook:
        """POST a body whose fields are already checked (by `create` or `check_specs`)."""
        response = await self._client._request("POST", LIST_PATH, json_body=unstructure(body))
        return structure_webhook(decode_json(response), what=f"POST {LIST_PATH} response")

    async def update(
        self,
        webhook_id: str,
        *,
        url: str | None = None,
        group: str | None = None,
        action: str | None = None,
        hash_secret: str | None = None,
        validate_topic: bool = True,
    ) -> Webhook:
        """PATCH only the fields given.

        >>> hook = await client.webhooks.update(hook.id, url="https://example.com/v2")
        """
        path = webhook_path(webhook_id)
        if url is not None:
            check_webhook_url(url, allow_loopback_http=self._client._loopback)
        if hash_secret is not None:
            check_secret(hash_secret)
        _check_strings(group=group, action=action)
        if validate_topic:
            _check_partial_topic(group, action)
        body = WebhookUpdate(url=url, group=group, action=action, hash_secret=hash_secret)
        if body.is_empty():
            raise InvalidArgumentError(
                "update() needs at least one of url, group, action, hash_secret"
            )
        return await self._patch(path, body)

    async def _patch(self, path: str, body: WebhookUpdate) -> Webhook:
        """PATCH a non-empty body whose fields are already checked."""
        response = await self._client._request("PATCH", path, json_body=unstructure(body))
        return structure_webhook(decode_json(response), what=f"PATCH {path} response")

    async def delete(self, webhook_id: str) -> None:
        """Delete a webhook (the API answers 204 No Content)."""
        await self._client._request("DELETE", webhook_path(webhook_id))

    async def sync(
        self,
        specs: Iterable[WebhookSpec],
        *,
        prune: bool = False,
        dry_run: bool = False,
        concurrency: int = 8,
        resend_secrets: bool = False,
        validate_topic: bool = True,
        on_progress: SyncProgress | None = None,
    ) -> SyncResult:
        """Make this customer's webhooks match `specs` with the fewest requests.

        See `ewh_webhooks.sync` for the rules.
        """
        from ..sync import sync_webhooks

        return await sync_webhooks(
            self,
            list(specs),
            prune=prune,
            dry_run=dry_run,
            concurrency=concurrency,
            resend_secrets=resend_secrets,
            validate_topic=validate_topic,
            on_progress=on_progress,
            allow_loopback_http=self._client._loopback,
        )


def _list_params(page: int, limit: int, sort: str | None, direction: str | None) -> dict[str, Any]:
    return {"page": page, "limit": limit, "sort": sort, "direction": direction}


def _check_strings(**values: object) -> None:
    for name, value in values.items():
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise InvalidArgumentError(f"{name} must be a non-empty string, got {value!r}")


_KNOWN_GROUPS = frozenset(t.split(".")[0] for t in KNOWN_TOPICS)
_KNOWN_ACTIONS = frozenset(t.split(".")[1] for t in KNOWN_TOPICS)


def _check_partial_topic(group: str | None, action: str | None) -> None:
    """For a PATCH that changes only one half of the topic, check that half alone."""
    if group is not None and action is not None:
        check_topic(group, action)
    elif group is not None and group not in _KNOWN_GROUPS:
        raise InvalidArgumentError(
            f"unknown webhook group {group!r} (known groups: {', '.join(sorted(_KNOWN_GROUPS))}); "
            "pass validate_topic=False if the API has added it"
        )
    elif action is not None and action not in _KNOWN_ACTIONS:
        raise InvalidArgumentError(
            f"unknown webhook action {action!r}; pass validate_topic=False if the API has added it"
        )
