"""An aiohttp.web receiver for delivered events: read the raw body (size-limited),
verify `X-Hmac-Sha256`, deduplicate on `X-Webhook-Id`, answer fast, dispatch.

    router = Router()

    @router.on("order.shipped")
    async def shipped(event: WebhookEvent) -> None: ...

    receiver = WebhookReceiver(secret=os.environ["EWH_HASH_SECRET"], router=router)
    receiver.setup(app, "/hooks")      # or web.run_app(receiver.app("/hooks"))

Answers: 200 accepted (or a duplicate), 401 bad signature, 413 body over
`max_body_size`, 400 malformed body.

What happens to an event whose callback fails: with the default
`mode="background"` the sender already has its 200 (the sender waits at most 10 s,
so slow handlers run after the answer). The failure is logged at ERROR with the
topic and delivery id, passed to `on_error`, and the event is kept in
`receiver.failed` (the most recent `max_failed`) for inspection or `replay()`.
With `mode="inline"` callbacks run before the answer; a failure (or running past
`inline_timeout`) answers 500 and forgets the delivery id, so the sender's retry
is handled again.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from aiohttp import web

from .dedup import DedupState, DedupStore, MemoryDedupStore
from .errors import InvalidArgumentError, InvalidEventError, InvalidSignatureError
from .events import DELIVERY_ID_HEADER, WebhookEvent, parse_event
from .routing import Router

__all__ = ["DEFAULT_MAX_BODY_SIZE", "WebhookReceiver"]

log = logging.getLogger("ewh_webhooks.receiver")

# Events are small JSON envelopes; 1 MiB leaves room for large orders and still
# stops a flood from filling memory.
DEFAULT_MAX_BODY_SIZE = 1024 * 1024
# The sender gives up after 10 s; inline handling must answer well before that.
DEFAULT_INLINE_TIMEOUT = 8.0

ErrorHook = Callable[[WebhookEvent, BaseException], Awaitable[None] | None]


class _TooLarge(Exception):
    pass


class WebhookReceiver:
    def __init__(
        self,
        *,
        secret: str | bytes | Sequence[str | bytes],
        router: Router,
        dedup: DedupStore | None = None,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        mode: str = "background",
        inline_timeout: float = DEFAULT_INLINE_TIMEOUT,
        on_error: ErrorHook | None = None,
        max_failed: int = 1000,
    ) -> None:
        if mode not in ("background", "inline"):
            raise InvalidArgumentError(f"mode must be 'background' or 'inline', got {mode!r}")
        if not secret:
            raise InvalidArgumentError("a webhook secret is required")
        self._secret = secret
        self.router = router
        self.dedup: DedupStore = dedup if dedup is not None else MemoryDedupStore()
        self.max_body_size = max_body_size
        self.mode = mode
        self.inline_timeout = inline_timeout
        self._on_error = on_error
        self.failed: deque[tuple[WebhookEvent, BaseException]] = deque(maxlen=max_failed)
        self._tasks: set[asyncio.Task[None]] = set()

    def __repr__(self) -> str:
        return f"WebhookReceiver(mode={self.mode!r}, pending={len(self._tasks)})"

    async def handle(self, request: web.Request) -> web.Response:
        """The aiohttp handler: mount it on a POST route of your app."""
        try:
            body = await self._read_body(request)
        except _TooLarge:
            return _answer(413, f"body larger than {self.max_body_size} bytes")
        try:
            event = parse_event(body, request.headers, self._secret)
        except InvalidSignatureError as exc:
            log.warning("rejected a delivery: %s", exc)
            return _answer(401, str(exc))
        except InvalidEventError as exc:
            log.warning("rejected a malformed delivery: %s", exc)
            return _answer(400, str(exc))
        delivery_id = event.delivery_id
        if delivery_id is None:
            log.warning(
                "delivery of %s without %s: not deduplicated", event.topic, DELIVERY_ID_HEADER
            )
        elif await self.dedup.claim(delivery_id) is not DedupState.NEW:
            log.debug("duplicate delivery %s of %s ignored", delivery_id, event.topic)
            return _answer(200, "duplicate")
        if self.mode == "inline":
            return await self._handle_inline(event)
        if delivery_id is not None:
            await self.dedup.complete(delivery_id)
        task = asyncio.create_task(self._run(event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return _answer(200, "accepted")

    async def _read_body(self, request: web.Request) -> bytes:
        if request.content_length is not None and request.content_length > self.max_body_size:
            raise _TooLarge
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.content.iter_chunked(64 * 1024):
            size += len(chunk)
            if size > self.max_body_size:
                raise _TooLarge
            chunks.append(chunk)
        return b"".join(chunks)

    async def _handle_inline(self, event: WebhookEvent) -> web.Response:
        try:
            async with asyncio.timeout(self.inline_timeout):
                failures = await self.router.dispatch(event)
        except TimeoutError:
            failures = [TimeoutError(f"callbacks ran past {self.inline_timeout}s")]
        if not failures:
            if event.delivery_id is not None:
                await self.dedup.complete(event.delivery_id)
            return _answer(200, "handled")
        if event.delivery_id is not None:
            await self.dedup.release(event.delivery_id)  # let the sender's retry through
        await self._report(event, failures)
        return _answer(500, "handler failed; please retry")

    async def _run(self, event: WebhookEvent) -> None:
        failures = await self.router.dispatch(event)
        if failures:
            await self._report(event, failures)

    async def _report(self, event: WebhookEvent, failures: list[BaseException]) -> None:
        for exc in failures:
            self.failed.append((event, exc))
            if self._on_error is not None:
                try:
                    result = self._on_error(event, exc)
                    if result is not None:
                        await result
                except Exception:
                    log.exception("on_error hook failed for delivery %s", event.delivery_id)

    async def replay(self) -> int:
        """Dispatch the failed events again (oldest first); return how many succeeded."""
        pending = list(self.failed)
        self.failed.clear()
        succeeded = 0
        replayed: set[int] = set()
        for event, _ in pending:
            if id(event) in replayed:  # one entry per failed callback: dispatch once
                continue
            replayed.add(id(event))
            failures = await self.router.dispatch(event)
            if failures:
                await self._report(event, failures)
            else:
                succeeded += 1
        return succeeded

    async def drain(self) -> None:
        """Wait until every event accepted so far has been handled."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def setup(self, app: web.Application, path: str = "/") -> None:
        """Mount the receiver on POST `path` of your app, and drain pending events
        when the app shuts down.

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
        yield
        await self.drain()


def _answer(status: int, message: str) -> web.Response:
    return web.json_response({"status": message}, status=status)
