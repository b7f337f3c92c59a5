"""A standalone aiohttp app receiving eWarehousing webhook events durably.

EWH_HASH_SECRET=... python examples/receiver_app.py   # listens on :8080/hooks

Each verified delivery is committed to `events.sqlite3` before the 200; a worker in
the same app hands it to the callbacks below, retries failures with backoff and
keeps dead letters (`ewh-webhooks inbox dead --inbox sqlite:///events.sqlite3`).
The same callbacks from the command line, with no app of your own:

    ewh-webhooks receive --handler examples.receiver_app:router --inbox sqlite:///events.sqlite3
"""

from __future__ import annotations

import logging
import os

from aiohttp import web

from ewh_webhooks import Router, SQLiteInbox, WebhookEvent, WebhookReceiver

router = Router()


@router.on("order.shipped")
async def order_shipped(event: WebhookEvent) -> None:
    # At least once: a retry or a worker restart may deliver the same event again.
    logging.info(
        "order %s shipped (delivery %s, attempt %d)",
        event.entity_id,
        event.delivery_id,
        event.attempt,
    )


@router.on("stock.*")
async def stock_changed(event: WebhookEvent) -> None:
    logging.info("stock %s for %s %s", event.action, event.entity, event.entity_id)


def build_app() -> web.Application:
    receiver = WebhookReceiver(
        secret=os.environ["EWH_HASH_SECRET"],
        router=router,
        inbox=SQLiteInbox("events.sqlite3"),  # stored before the 200: survives a crash
    )
    app = web.Application()
    receiver.setup(app, "/hooks")  # the webhook URL: https://your.host/hooks
    return app


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    web.run_app(build_app(), port=8080)
