"""A standalone aiohttp app receiving eWarehousing webhook events.

EWH_HASH_SECRET=... python examples/receiver_app.py   # listens on :8080/hooks
"""

from __future__ import annotations

import logging
import os

from aiohttp import web

from ewh_webhooks import Router, WebhookEvent, WebhookReceiver

router = Router()


@router.on("order.shipped")
async def order_shipped(event: WebhookEvent) -> None:
    logging.info("order %s shipped (delivery %s)", event.entity_id, event.delivery_id)


@router.on("stock.*")
async def stock_changed(event: WebhookEvent) -> None:
    logging.info("stock %s for %s %s", event.action, event.entity, event.entity_id)


def build_app() -> web.Application:
    receiver = WebhookReceiver(secret=os.environ["EWH_HASH_SECRET"], router=router)
    app = web.Application()
    receiver.setup(app, "/hooks")  # the webhook URL: https://your.host/hooks
    return app


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    web.run_app(build_app(), port=8080)
