"""The emulator's webhook endpoints: list (paginated), get, create, update, delete."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ..errors import InvalidArgumentError
from ..topics import KNOWN_TOPICS
from ..validation import check_webhook_url
from .responses import Scope, field_errors, json_answer, message, read_body
from .state import StoredWebhook, now_iso

if TYPE_CHECKING:
    from .emulator import EWHEmulator

__all__ = ["WebhooksApi"]

_SORT_FIELDS = frozenset({"id", "url", "group", "action", "topic", "created_at", "modified_at"})
_WRITABLE = ("url", "group", "action", "hash_secret")


class WebhooksApi:
    """Handlers called once the request is authenticated for a customer (`Scope`)."""

    def __init__(self, emulator: EWHEmulator) -> None:
        self.emu = emulator
        self.state = emulator.state

    def _hooks(self, scope: Scope) -> dict[str, StoredWebhook]:
        return self.state.webhooks[scope.customer]

    async def list_webhooks(self, request: web.Request, scope: Scope) -> web.Response:
        query = request.query
        try:
            page = int(query.get("page", "1"))
            limit = int(query.get("limit", str(self.emu.default_limit)))
        except ValueError:
            return field_errors({"0": "page and limit must be integers"})
        if page < 1 or limit < 1:
            return field_errors({"0": "page and limit must be positive"})
        limit = min(limit, self.emu.max_limit)
        stored = self._hooks(scope)
        total = len(stored)
        sort, direction = query.get("sort"), query.get("direction", "asc")
        if direction not in ("asc", "desc"):
            return field_errors({"direction": ["Must be asc or desc."]})
        if sort is not None and sort not in _SORT_FIELDS:
            return field_errors({"sort": [f"Unknown sort field {sort!r}."]})
        start = (page - 1) * limit
        if start >= total and page > 1:
            return json_answer({"detail": "Invalid page."}, 404)
        if sort is None and direction == "asc":
            # Insertion order, sliced without copying every webhook for every page.
            window = list(itertools.islice(stored.values(), start, start + limit))
        else:
            hooks = list(stored.values())
            if sort is not None:
                hooks.sort(key=lambda h: str(h.to_json()[sort]), reverse=direction == "desc")
            else:
                hooks.reverse()
            window = hooks[start : start + limit]
        body: dict[str, Any] = {"count": total, "results": [h.to_json() for h in window]}
        style = self.emu.next_style
        if style != "none":
            body["next"] = self._link(request, page + 1) if start + limit < total else None
            body["previous"] = self._link(request, page - 1) if page > 1 else None
        return json_answer(body)

    def _link(self, request: web.Request, page: int) -> str:
        query = dict(request.query)
        query["page"] = str(page)
        url = request.url.with_query(query)
        return str(url) if self.emu.next_style == "absolute" else str(url.relative())

    async def get(self, request: web.Request, scope: Scope) -> web.Response:
        hook = self._hooks(scope).get(scope.webhook_id)
        if hook is None:
            return message(404, "Not Found")
        return json_answer(hook.to_json())

    def _validate(self, body: dict[str, Any], *, required: tuple[str, ...]) -> dict[str, list[str]]:
        errors: dict[str, list[str]] = {}
        for field in _WRITABLE:
            value = body.get(field)
            if field not in body:
                if field in required:
                    errors[field] = ["This value should not be blank."]
            elif not isinstance(value, str) or not value:
                errors[field] = ["This value should not be blank."]
        url = body.get("url")
        if "url" not in errors and isinstance(url, str):
            try:
                check_webhook_url(url, allow_loopback_http=True)
            except InvalidArgumentError:
                errors["url"] = ["This value is not a valid https URL."]
        return errors

    def _check_topic(self, group: str, action: str, errors: dict[str, list[str]]) -> None:
        if (
            "group" not in errors
            and "action" not in errors
            and f"{group}.{action}" not in KNOWN_TOPICS
        ):
            errors["0"] = [f"Unknown topic {group}.{action}."]

    async def create(self, request: web.Request, scope: Scope) -> web.Response:
        body = await read_body(request)
        if isinstance(body, web.Response):
            return body
        errors = self._validate(body, required=_WRITABLE)
        self._check_topic(body.get("group", ""), body.get("action", ""), errors)
        if errors:
            return field_errors({k: v if k != "0" else v[0] for k, v in errors.items()})
        hook = self.state.add_webhook(
            scope.customer,
            url=body["url"],
            group=body["group"],
            action=body["action"],
            hash_secret=body["hash_secret"],
        )
        return json_answer(hook.to_json(with_secret=True), 201)

    async def _update(
        self, request: web.Request, scope: Scope, *, required: tuple[str, ...]
    ) -> web.Response:
        hook = self._hooks(scope).get(scope.webhook_id)
        if hook is None:
            return message(404, "Not Found")
        body = await read_body(request)
        if isinstance(body, web.Response):
            return body
        errors = self._validate(body, required=required)
        self._check_topic(body.get("group", hook.group), body.get("action", hook.action), errors)
        if errors:
            return field_errors({k: v if k != "0" else v[0] for k, v in errors.items()})
        for field in _WRITABLE:
            if field in body:
                setattr(hook, field, body[field])
        hook.modified_at = now_iso(self.emu.clock())
        return json_answer(hook.to_json())

    async def patch(self, request: web.Request, scope: Scope) -> web.Response:
        return await self._update(request, scope, required=())

    async def put(self, request: web.Request, scope: Scope) -> web.Response:
        return await self._update(request, scope, required=("url", "group", "action"))

    async def delete(self, request: web.Request, scope: Scope) -> web.Response:
        if self._hooks(scope).pop(scope.webhook_id, None) is None:
            return message(404, "Not Found")
        return web.Response(status=204)
