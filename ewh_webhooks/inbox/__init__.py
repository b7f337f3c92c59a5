"""Durable receiving: the inbox protocol, its records, and the backends
(`inbox.sqlite.SQLiteInbox`, `ewh_webhooks.redis.RedisInbox`), the worker
(`inbox.worker.InboxWorker`) and its retry schedule (`Backoff`)."""

from .backoff import Backoff
from .protocol import ClaimedDelivery, DeadLetter, Delivery, Inbox, InboxStats

__all__ = ["Backoff", "ClaimedDelivery", "DeadLetter", "Delivery", "Inbox", "InboxStats"]
