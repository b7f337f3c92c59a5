"""An aiohttp.web receiver for delivered events: read the raw body (size-limited),
verify `X-Hmac-Sha256`, then store it durably or handle it.

    router = Router()

    @router.on("order.shipped")
    async def shipped(event: WebhookEvent) -> None: ...

    receiver = WebhookReceiver(
        secret=os.environ["EWH_HASH_SECRET"], router=router, inbox=SQLiteInbox("events.sqlite3")
    )
    receiver.setup(app, "/hooks")      # or web.run_app(receiver.app("/hooks"))

With an inbox (the production setting): the verified delivery is committed to the
inbox, deduplicated on `X-Webhook-Id` in the same write, before the answer; the app
runs `workers` `InboxWorker`s that hand it to the router, retry failures with
backoff and keep dead letters. Nothing acknowledged is lost if the process dies.

Without an inbox, callbacks run in this process and the events live only in memory:
an event acknowledged with 200 is LOST if the process dies before its callback
finished. `mode="background"` (default) answers first and runs callbacks after,
at most `max_pending` at a time (503 beyond, so the sender retries); failures are
logged, passed to `on_error` and kept in `receiver.failed` for `replay()`.
`mode="inline"` runs callbacks before answering: success answers 200; a failure
(or running past `inline_timeout`) answers 500 so the sender retries; a redelivery
arriving while the first attempt still runs gets 503 (it is not a duplicate yet).

Answers: 200 accepted / duplicate / handled, 400 malformed body (or one that does not
decode as its Content-Encoding), 401 bad signature, 413 body over `max_body_size`,
503 (with Retry-After) when the sender should retry: the store failed, too many
pending events, or the same delivery is being handled.
"""

from .app import DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_PENDING, WebhookReceiver

__all__ = ["DEFAULT_MAX_BODY_SIZE", "DEFAULT_MAX_PENDING", "WebhookReceiver"]
