"""The webhook endpoints as calls: check the arguments, send through the request
context, structure the answer. Each call returns the response with its typed
result; `Webhooks` hands out the result, `RawWebhooks` both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..config import Timeout
from ..context import RequestContext
from ..converter import structure_page, structure_raw_page, structure_webhook, unstructure
from ..errors import InvalidArgumentError
from ..models import Page, RawPage, Webhook, WebhookCreate, WebhookUpdate
from ..sansio import Response, build_url, decode_json
from ..topics import check_partial_topic, check_topic
from ..validation import (
    check_extra_headers,
    check_non_empty_str,
    check_optional_str,
    check_page_args,
    check_secret,
    check_webhook_url,
    webhook_path,
)

__all__ = ["HOOK_ROUTE", "LIST_PATH", "CallOptions", "WebhookCalls", "create_body", "update_body"]

LIST_PATH = "/webhooks/"
HOOK_ROUTE = "/webhooks/{id}/"


class CallOptions:
    """Per-call settings, checked once: `timeout` and `extra_headers`."""

    __slots__ = ("extra_headers", "timeout")

    def __init__(
        self, timeout: float | Timeout | None = None, extra_headers: Mapping[str, str] | None = None
    ) -> None:
        self.timeout = None if timeout is None else Timeout.coerce(timeout)
        self.extra_headers = check_extra_headers(extra_headers) if extra_headers else None


NO_OPTIONS = CallOptions()


def list_params(page: int, limit: int, sort: str | None, direction: str | None) -> dict[str, Any]:
    return {"page": page, "limit": limit, "sort": sort, "direction": direction}


def create_body(
    *,
    url: str,
    group: str,
    action: str,
    hash_secret: str,
    validate_topic: bool,
    allow_loopback_http: bool,
    allow_credentials: bool,
) -> WebhookCreate:
    """The checked body of a create, or `InvalidArgumentError` before any request."""
    if validate_topic:
        check_topic(group, action)
    else:  # only the known-topic check is skipped
        check_non_empty_str(group, "group")
        check_non_empty_str(action, "action")
    return WebhookCreate(
        url=check_webhook_url(
            url, allow_loopback_http=allow_loopback_http, allow_credentials=allow_credentials
        ),
        group=group,
        action=action,
        hash_secret=check_secret(hash_secret),
    )


def update_body(
    *,
    url: str | None,
    group: str | None,
    action: str | None,
    hash_secret: str | None,
    validate_topic: bool,
    allow_loopback_http: bool,
    allow_credentials: bool,
) -> WebhookUpdate:
    """The checked, non-empty body of a PATCH, or `InvalidArgumentError`."""
    if url is not None:
        check_webhook_url(
            url, allow_loopback_http=allow_loopback_http, allow_credentials=allow_credentials
        )
    if hash_secret is not None:
        check_secret(hash_secret)
    check_optional_str(group, "group")
    check_optional_str(action, "action")
    if validate_topic:
        check_partial_topic(group, action)
    body = WebhookUpdate(url=url, group=group, action=action, hash_secret=hash_secret)
    if body.is_empty():
        raise InvalidArgumentError("update() needs at least one of url, group, action, hash_secret")
    return body


class WebhookCalls:
    """One method per endpoint, answering `(response, typed result)`."""

    __slots__ = ("context",)

    def __init__(self, context: RequestContext) -> None:
        self.context = context

    async def _send(
        self,
        method: str,
        path: str,
        route: str,
        options: CallOptions,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        url: str | None = None,
    ) -> Response:
        return await self.context.request(
            method,
            path,
            params=params,
            json_body=json_body,
            url=url,
            route=route,
            timeout=options.timeout,
            extra_headers=options.extra_headers,
        )

    async def list_page(
        self, page: int, limit: int, sort: str | None, direction: str | None, options: CallOptions
    ) -> tuple[Response, Page]:
        check_page_args(page=page, limit=limit, sort=sort, direction=direction)
        response = await self._send(
            "GET", LIST_PATH, LIST_PATH, options, params=list_params(page, limit, sort, direction)
        )
        return response, structure_page(decode_json(response), what=f"GET {LIST_PATH} page {page}")

    def page_url(self, number: int, limit: int, sort: str | None, direction: str | None) -> str:
        return build_url(
            self.context.base_url, LIST_PATH, list_params(number, limit, sort, direction)
        )[0]

    async def fetch_page(self, url: str, options: CallOptions) -> RawPage:
        """A page by its absolute URL (on our origin), its items still JSON."""
        base_url = self.context.base_url
        path = url[len(base_url) :] if url.startswith(base_url) else url
        response = await self._send("GET", path, LIST_PATH, options, url=url)
        return structure_raw_page(decode_json(response), what=f"GET {path}")

    async def get(self, webhook_id: str, options: CallOptions) -> tuple[Response, Webhook]:
        path = webhook_path(webhook_id)
        response = await self._send("GET", path, HOOK_ROUTE, options)
        return response, structure_webhook(decode_json(response), what=f"GET {path} response")

    async def post(self, body: WebhookCreate, options: CallOptions) -> tuple[Response, Webhook]:
        response = await self._send(
            "POST", LIST_PATH, LIST_PATH, options, json_body=unstructure(body)
        )
        return response, structure_webhook(decode_json(response), what=f"POST {LIST_PATH} response")

    async def patch(
        self, webhook_id: str, body: WebhookUpdate, options: CallOptions
    ) -> tuple[Response, Webhook]:
        path = webhook_path(webhook_id)
        response = await self._send("PATCH", path, HOOK_ROUTE, options, json_body=unstructure(body))
        return response, structure_webhook(decode_json(response), what=f"PATCH {path} response")

    async def delete(self, webhook_id: str, options: CallOptions) -> tuple[Response, None]:
        response = await self._send("DELETE", webhook_path(webhook_id), HOOK_ROUTE, options)
        return response, None
