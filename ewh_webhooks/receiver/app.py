"""`WebhookReceiver`: the aiohttp handler that reads, verifies and then either stores
the delivery durably (with an inbox) or hands it to the router in this process."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from aiohttp import web

from ..dedup import (
    DEFAULT_PENDING_TTL,
    DedupState,
    DedupStore,
    MemoryDedupStore,
    as_dedup_store,
)
from ..errors import InvalidArgumentError, InvalidEventError, InvalidSignatureError
from ..events import DELIVERY_ID_HEADER, WebhookEvent, get_header, parse_event
from ..inbox.protocol import Delivery, Inbox, probe_inbox
from ..routing import Router
from ..signature import SIGNATURE_HEADER, webhook_secrets
from ..validation import check_count, check_positive_int, check_seconds, conforms
from .background import BackgroundHandling, ErrorHook
from .http import RETRY_AFTER, BodyTooLarge, BodyUnreadable, answer, read_body

__all__ = ["DEFAULT_MAX_BODY_SIZE", "DEFAULT_MAX_PENDING", "WebhookReceiver"]

log = logging.getLogger("ewh_webhooks.receiver")

# Events are small JSON envelopes; 1 MiB leaves room for large orders and still
# stops a flood from filling memory.
DEFAULT_MAX_BODY_SIZE = 1024 * 1024
# The sender gives up after 10 s; inline handling must answer well before that.
DEFAULT_INLINE_TIMEOUT = 8.0
# Background mode without an inbox: events held in memory at most, then 503.
DEFAULT_MAX_PENDING = 1000
# What a stored delivery keeps of the request: enough to verify and parse it again.
STORED_HEADERS = (SIGNATURE_HEADER, "Content-Type")
# An inline handler's pending mark outlives `inline_timeout` by this much, so that a
# redelivery is never taken for new while the first attempt may still be running.
PENDING_MARGIN = 30.0


class WebhookReceiver:
    """Receives delivered events on an aiohttp route. See the package docstring."""

    def __init__(
        self,
        *,
        secret: str | bytes | Sequence[str | bytes],
        router: Router,
        inbox: Inbox | None = None,
        dedup: DedupStore | None = None,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        mode: str = "background",
        inline_timeout: float = DEFAULT_INLINE_TIMEOUT,
        on_error: ErrorHook | None = None,
        max_failed: int = 1000,
        max_pending: int = DEFAULT_MAX_PENDING,
        workers: int = 1,
        worker_options: Mapping[str, Any] | None = None,
        shutdown_timeout: float = 10.0,
    ) -> None:
        # Kept as checked: an iterator (a generator) would be empty at the first delivery.
        self._secret = webhook_secrets(secret)
        if not isinstance(router, Router):
            raise InvalidArgumentError("router must be a Router")
        if mode not in ("background", "inline"):
            raise InvalidArgumentError(f"mode must be 'background' or 'inline', got {mode!r}")
        if inbox is not None:
            if not conforms(inbox, Inbox):
                raise InvalidArgumentError("inbox must implement the Inbox protocol")
            if mode == "inline":
                raise InvalidArgumentError(
                    "with an inbox, handlers run in InboxWorker: mode='inline' does not apply"
                )
            if dedup is not None:
                raise InvalidArgumentError(
                    "an inbox deduplicates in the same write that stores: drop dedup="
                )
        self.router = router
        self.inbox = inbox
        self.dedup: DedupStore = MemoryDedupStore() if dedup is None else as_dedup_store(dedup)
        self.max_body_size = check_positive_int(max_body_size, "max_body_size")
        self.mode = mode
        self.inline_timeout = check_seconds(inline_timeout, "inline_timeout")
        # How long a claimed delivery id stays pending when nothing reports back.
        self.pending_ttl = max(DEFAULT_PENDING_TTL, self.inline_timeout + PENDING_MARGIN)
        self.workers = check_count(workers, "workers")
        self.worker_options = dict(worker_options or {})
        self.shutdown_timeout = check_seconds(shutdown_timeout, "shutdown_timeout", allow_zero=True)
        self._on_error = on_error
        self._background = BackgroundHandling(
            router,
            max_pending=check_positive_int(max_pending, "max_pending"),
            max_failed=check_count(max_failed, "max_failed"),
            on_error=on_error,
        )

    def __repr__(self) -> str:
        where = f"inbox={self.inbox!r}" if self.inbox is not None else f"mode={self.mode!r}"
        return f"WebhookReceiver({where}, pending={self._background.pending})"

    @property
    def failed(self) -> deque[tuple[WebhookEvent, BaseException]]:
        """Recent (event, exception) failures of background or inline callbacks."""
        return self._background.failed

    @property
    def pending(self) -> int:
        """Background callbacks not finished yet (always 0 with an inbox)."""
        return self._background.pending

    async def handle(self, request: web.Request) -> web.Response:
        """The aiohttp handler: mount it on a POST route of your app, or better use
        `setup`, which with an inbox also runs the workers (mounted alone, `handle` only
        stores: run `InboxWorker`s yourself)."""
        try:
            body = await read_body(request, self.max_body_size)
        except BodyTooLarge:
            # The rest of the body is left unread: the connection cannot carry another
            # request (aiohttp 3.10 would wait on it for the next one, forever).
            return answer(413, f"body larger than {self.max_body_size} bytes", close=True)
        except BodyUnreadable as exc:
            log.warning("rejected a delivery: %s", exc)
            return answer(400, str(exc), close=True)
        try:
            event = parse_event(body, request.headers, self._secret)
        except InvalidSignatureError as exc:
            log.warning("rejected a delivery: %s", exc)
            return answer(401, str(exc))
        except InvalidEventError as exc:
            log.warning("rejected a malformed delivery: %s", exc)
            return answer(400, str(exc))
        if event.delivery_id is None:
            log.warning(
                "delivery of %s without %s: not deduplicated", event.topic, DELIVERY_ID_HEADER
            )
        if self.inbox is not None:
            return await self._store(self.inbox, body, request, event)
        return await self._dispatch(event)

    # -- with an inbox: store, then answer -------------------------------------------

    async def _store(
        self, inbox: Inbox, body: bytes, request: web.Request, event: WebhookEvent
    ) -> web.Response:
        headers = {
            name: value
            for name in STORED_HEADERS
            if (value := get_header(request.headers, name)) is not None
        }
        if event.delivery_id is not None:  # as parsed: what the worker parses again
            headers[DELIVERY_ID_HEADER] = event.delivery_id
        delivery = Delivery(
            delivery_id=event.delivery_id or f"no-id-{uuid.uuid4()}",
            body=body,
            headers=headers,
            received_at=time.time(),
        )
        try:
            stored = await inbox.put(delivery)
        except Exception as exc:  # whatever the backend raises: not stored, so not acknowledged
            log.error("storing delivery %s failed: %s", delivery.delivery_id, exc, exc_info=True)
            return answer(503, "could not store the delivery; retry later", retry_after=RETRY_AFTER)
        if not stored:
            log.debug("duplicate delivery %s of %s ignored", delivery.delivery_id, event.topic)
            return answer(200, "duplicate")
        return answer(200, "accepted")

    # -- without an inbox: handle in this process --------------------------------------

    async def _dispatch(self, event: WebhookEvent) -> web.Response:
        delivery_id = event.delivery_id
        if delivery_id is not None:
            try:
                state = await self.dedup.claim(delivery_id, pending_ttl=self.pending_ttl)
            except Exception as exc:
                log.error("dedup store failed for %s: %s", delivery_id, exc, exc_info=True)
                return answer(503, "dedup store unavailable; retry later", retry_after=RETRY_AFTER)
            if state is DedupState.DONE:
                log.debug("duplicate delivery %s of %s ignored", delivery_id, event.topic)
                return answer(200, "duplicate")
            if state is DedupState.PENDING:
                # Not a duplicate yet: the first attempt may still fail. Have the sender
                # retry until it has finished.
                return answer(
                    503, "this delivery is being handled; retry later", retry_after=RETRY_AFTER
                )
        if self.mode == "inline":
            return await self._handle_inline(event)
        if self._background.full:
            await self._forget(delivery_id)
            log.warning("%d events pending: refusing %s with 503", self.pending, delivery_id)
            return answer(503, "too many events pending; retry later", retry_after=RETRY_AFTER)
        if delivery_id is not None:
            await self._complete(delivery_id)
        self._background.start(event)
        return answer(200, "accepted")

    async def _handle_inline(self, event: WebhookEvent) -> web.Response:
        try:
            async with asyncio.timeout(self.inline_timeout):
                failures = await self.router.dispatch(event)
        except TimeoutError:
            failures = [TimeoutError(f"callbacks ran past {self.inline_timeout}s")]
        except asyncio.CancelledError:
            await self._forget(event.delivery_id)
            raise
        if not failures:
            if event.delivery_id is not None:
                await self._complete(event.delivery_id)
            return answer(200, "handled")
        await self._forget(event.delivery_id)  # let the sender's retry through
        await self._background.report(event, failures)
        return answer(500, "handler failed; please retry")

    async def _complete(self, delivery_id: str) -> None:
        try:
            await self.dedup.complete(delivery_id)
        except Exception as exc:  # handled anyway; a redelivery may run it again
            log.error("dedup store failed to mark %s done: %s", delivery_id, exc)

    async def _forget(self, delivery_id: str | None) -> None:
        if delivery_id is None:
            return
        try:
            await asyncio.shield(self.dedup.release(delivery_id))
        except Exception as exc:  # its pending mark expires after pending_ttl
            log.error("dedup store failed to release %s: %s", delivery_id, exc)

    async def replay(self) -> int:
        """Dispatch the failed events again (oldest first); return how many succeeded."""
        return await self._background.replay()

    async def drain(self, timeout: float | None = None) -> bool:
        """Wait until every event accepted so far has been handled (background mode);
        False if `timeout` seconds passed first."""
        if timeout is not None:
            timeout = check_seconds(timeout, "timeout", allow_zero=True)
        return await self._background.drain(timeout)

    # -- the app's lifetime ------------------------------------------------------------

    def setup(self, app: web.Application, path: str = "/") -> None:
        """Mount the receiver on POST `path` of your app. With an inbox, the app also runs
        `workers` InboxWorker(s) over it; on shutdown they stop gracefully. Without
        one, pending callbacks get `shutdown_timeout` seconds to finish.

        >>> receiver.setup(app, "/hooks")   # the webhook URL is https://your.host/hooks
        """
        app.router.add_post(path, self.handle)
        app.cleanup_ctx.append(self._lifespan)

    def app(self, path: str = "/") -> web.Application:
        """A standalone aiohttp app receiving on POST `path` (for `web.run_app`)."""
        app = web.Application()
        self.setup(app, path)
        return app

    async def _lifespan(self, _: web.Application) -> AsyncIterator[None]:
        inbox = self.inbox
        if inbox is None:
            yield
            if not await self.drain(self.shutdown_timeout):
                lost = await self._background.cancel_pending()
                log.error(
                    "%d acknowledged events were still being handled after %gs and are "
                    "lost (use an inbox to keep them)",
                    lost,
                    self.shutdown_timeout,
                )
            await self.dedup.aclose()
            return
        await probe_inbox(inbox)  # fail at startup, not at the first delivery
        from ..inbox.worker import InboxWorker

        options: dict[str, Any] = {
            "on_error": self._on_error,
            "shutdown_timeout": self.shutdown_timeout,
            "close_inbox": False,  # shared by the workers: this app closes it below
        }
        options.update(self.worker_options)
        tasks = [
            asyncio.create_task(InboxWorker(inbox, self.router, **options).run())
            for _ in range(self.workers)
        ]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()  # a graceful stop: in-flight handlers finish first
            for result in await asyncio.gather(*tasks, return_exceptions=True):
                if isinstance(result, Exception):
                    log.error("an inbox worker failed: %r", result)
            await inbox.aclose()
