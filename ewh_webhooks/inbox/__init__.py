"""Durable receiving: the inbox protocol, its records, and the backends."""

from .protocol import ClaimedDelivery, DeadLetter, Delivery, Inbox, InboxStats

__all__ = ["ClaimedDelivery", "DeadLetter", "Delivery", "Inbox", "InboxStats"]
