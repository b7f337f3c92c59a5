"""`ewh-webhooks inbox stats|dead|replay|purge`: what the inbox holds, and recovery."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from ..errors import InvalidArgumentError
from ..inbox.protocol import DeadLetter, Inbox
from ..inbox.sqlite import SQLiteInbox
from .output import say

__all__ = ["inspect_inbox"]


async def inspect_inbox(
    args: argparse.Namespace, inbox: Inbox, check: Callable[[Inbox], Awaitable[None]]
) -> int:
    """Run `inbox stats|dead|replay|purge` on `inbox` (closed afterwards)."""
    if isinstance(inbox, SQLiteInbox) and not inbox.path.is_file():
        raise InvalidArgumentError(f"no inbox database at {inbox.path}")
    try:
        await check(inbox)
        action = args.inbox_action
        if action == "stats":
            stats = await inbox.stats()
            counts = {"ready": stats.ready, "leased": stats.leased, "handled": stats.handled}
            counts |= {"dead": stats.dead, "total": stats.total}
            print(
                json.dumps(counts)
                if args.json
                else "  ".join(f"{k} {v}" for k, v in counts.items())
            )
        elif action == "dead":
            letters = await inbox.dead_letters(limit=args.limit)
            if args.json:
                print(json.dumps([_dead_json(d) for d in letters], indent=2))
                return 0
            for letter in letters:
                when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(letter.failed_at))
                delivery_id = letter.delivery.delivery_id
                # The id and the error quote what a sender sent: escaped, never raw.
                say(f"{delivery_id}  {when}  attempts {letter.attempts}  {letter.error}")
        elif action == "replay":
            count = await inbox.replay_dead(args.ids or None)
            print(
                json.dumps({"replayed": count}) if args.json else f"replayed {count} dead letters"
            )
        else:
            count = await inbox.purge(older_than=args.older_than)
            print(
                json.dumps({"purged": count}) if args.json else f"purged {count} handled deliveries"
            )
    finally:
        await inbox.aclose()
    return 0


def _dead_json(letter: DeadLetter) -> dict[str, Any]:
    return {
        "delivery_id": letter.delivery.delivery_id,
        "attempts": letter.attempts,
        "error": letter.error,
        "failed_at": letter.failed_at,
        "received_at": letter.delivery.received_at,
    }
