"""The emulator's webhook endpoints: list (paginated), get, create, update, delete.

What a webhook object looks like follows the emulator's settings where the document
is silent: the `topic` key (`topic_style`), list items without `group`/`action`
(`list_items="topic_only"`), timestamps (`timestamps`). Checks are the emulator's own
(`vendor.py`), never the SDK's.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .auth_api import Scope
from .listing import PageNotFound, QueryRejected, read_query, window
from .responses import field_errors, json_answer, message, read_body
from .settings import ServerSettings
from .state import StoredWebhook, now_iso
from .table import WebhookTable
from .vendor import format_topic, is_known_topic, url_problem

__all__ = ["WebhooksApi"]

_WRITABLE = ("url", "group", "action", "hash_secret")
_BLANK = "This value should not be blank."


class WebhooksApi:
    """Handlers called once the request is authenticated for a customer (`Scope`)."""

    def __init__(self, emulator: ServerSettings) -> None:
        self.emu = emulator
        self.state = emulator.state

    def _hooks(self, scope: Scope) -> WebhookTable[StoredWebhook]:
        return self.state.webhooks[scope.customer]

    def _error(self, status: int, text: str) -> web.Response:
        return message(status, text, style=self.emu.error_style)

    def render(
        self, hook: StoredWebhook, *, in_list: bool = False, with_secret: bool = False
    ) -> dict[str, Any]:
        """The JSON object this server shows for `hook`."""
        emu = self.emu
        body: dict[str, Any] = {"id": hook.id, "url": hook.url}
        if not (in_list and emu.list_items != "full"):
            body["group"] = hook.group
            body["action"] = hook.action
        elif emu.list_items == "topic_null":
            body["group"] = body["action"] = None
        topic = format_topic(hook.group, hook.action, emu.topic_style)
        if topic is not None:
            body["topic"] = topic
        body["customer"] = hook.customer
        if emu.timestamps:
            body["created_at"] = hook.created_at
            body["modified_at"] = hook.modified_at
        if with_secret:
            body["hash_secret"] = hook.hash_secret
        return body

    # --- list ------------------------------------------------------------------------

    async def list_webhooks(self, request: web.Request, scope: Scope) -> web.Response:
        emu = self.emu
        try:
            query = read_query(
                request.query,
                default_limit=emu.default_limit,
                max_limit=emu.max_limit,
                strict=emu.strict_query,
            )
            table = self._hooks(scope)
            total = len(table)
            start, stop = window(
                total, query.page, query.limit, past_end_404=emu.past_last_page == "404"
            )
        except QueryRejected as exc:
            return field_errors(dict(exc.errors))
        except PageNotFound:
            return self._error(404, "Invalid page.")
        if query.sort is None:
            hooks = table.window(start, stop, reverse=query.descending)
        else:
            # A sorted listing sorts every time: simple, and no benchmark uses it.
            field = query.sort
            ordered = sorted(
                table.values(), key=lambda h: str(getattr(h, field)), reverse=query.descending
            )
            hooks = ordered[start:stop]
        body: dict[str, Any] = {
            "count": max(0, total - emu.count_shortfall),
            "results": [self.render(h, in_list=True) for h in hooks],
        }
        if emu.next_style != "none":
            body["next"] = self._link(request, query.page + 1) if stop < total else None
            body["previous"] = self._link(request, query.page - 1) if query.page > 1 else None
        return json_answer(body)

    def _link(self, request: web.Request, page: int) -> str:
        query = dict(request.query)
        query["page"] = str(page)
        url = request.url.with_query(query)
        return str(url) if self.emu.next_style == "absolute" else str(url.relative())

    # --- one webhook -----------------------------------------------------------------

    async def get(self, request: web.Request, scope: Scope) -> web.Response:
        hook = self._hooks(scope).get(scope.webhook_id)
        if hook is None:
            return self._error(404, "Not Found")
        return json_answer(self.render(hook))

    def _check(self, body: dict[str, Any], *, required: tuple[str, ...]) -> dict[str, Any]:
        """Field errors of a create or update body (`"0"` holds the global one)."""
        errors: dict[str, Any] = {}
        for field in _WRITABLE:
            if field not in body:
                if field in required:
                    errors[field] = [_BLANK]
            elif not isinstance(body[field], str) or not body[field]:
                errors[field] = [_BLANK]
        if "url" in body and "url" not in errors:
            problem = url_problem(body["url"])
            if problem is not None:
                errors["url"] = [problem]
        return errors

    def _check_topic(self, group: Any, action: Any, errors: dict[str, Any]) -> None:
        """Unless `reject_unknown_topics` is off: the document lists the available
        topics but never says what a server answers to another pair."""
        if (
            self.emu.reject_unknown_topics
            and "group" not in errors
            and "action" not in errors
            and not is_known_topic(group, action)
        ):
            errors["0"] = f"Unknown topic {group}.{action}."

    async def create(self, request: web.Request, scope: Scope) -> web.Response:
        body = await read_body(request)
        if isinstance(body, web.Response):
            return body
        errors = self._check(body, required=_WRITABLE)
        self._check_topic(body.get("group"), body.get("action"), errors)
        if errors:
            return field_errors(errors)
        hook = self.state.add_webhook(
            scope.customer,
            url=body["url"],
            group=body["group"],
            action=body["action"],
            hash_secret=body["hash_secret"],
        )
        return json_answer(self.render(hook, with_secret=True), 201)

    async def _update(
        self, request: web.Request, scope: Scope, *, required: tuple[str, ...]
    ) -> web.Response:
        hook = self._hooks(scope).get(scope.webhook_id)
        if hook is None:
            return self._error(404, "Not Found")
        body = await read_body(request)
        if isinstance(body, web.Response):
            return body
        errors = self._check(body, required=required)
        self._check_topic(body.get("group", hook.group), body.get("action", hook.action), errors)
        if "hash_secret" in body and self.emu.patch_hash_secret == "reject":
            errors["hash_secret"] = ["This field cannot be updated."]
        if errors:
            return field_errors(errors)
        for field in _WRITABLE:
            if field in body and (field != "hash_secret" or self.emu.patch_hash_secret == "apply"):
                setattr(hook, field, body[field])
        hook.modified_at = now_iso(self.emu.clock())
        return json_answer(self.render(hook))

    async def patch(self, request: web.Request, scope: Scope) -> web.Response:
        return await self._update(request, scope, required=())

    async def put(self, request: web.Request, scope: Scope) -> web.Response:
        """The document's update example sends PUT with url, group and action."""
        return await self._update(request, scope, required=("url", "group", "action"))

    async def delete(self, request: web.Request, scope: Scope) -> web.Response:
        if self._hooks(scope).pop(scope.webhook_id, None) is None:
            return self._error(404, "Not Found")
        return web.Response(status=204)
