"""The SQLite inbox's table and the statements on it: each function takes a
connection already inside a transaction (the writer's batch) and does one thing.

One row per delivery, keyed by its `delivery_id` (UNIQUE: the dedup key lives and
dies with the row). `state` is one of:
- `ready`: due at `due_at` (new, or waiting for a retry);
- `leased`: claimed by `consumer` with `token` until `due_at`; once that time has
  passed it is due again like a ready row (its worker died);
- `handled`: acknowledged at `finished_at`, kept until purged;
- `dead`: failed `attempts` times, at `finished_at`, with `error`.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Sequence
from typing import Any

from ..errors import EWHError
from .protocol import ClaimedDelivery, DeadLetter, Delivery, InboxStats

__all__ = [
    "PURGE_CHUNK",
    "SCHEMA_VERSION",
    "ack",
    "claim",
    "create_schema",
    "dead_letters",
    "extend",
    "fail",
    "purge",
    "put",
    "release",
    "replay_dead",
    "retry",
    "stats",
]

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS ewh_inbox (
    id          INTEGER PRIMARY KEY,
    delivery_id TEXT    NOT NULL UNIQUE,
    body        BLOB    NOT NULL,
    headers     TEXT    NOT NULL,
    received_at REAL    NOT NULL,
    state       TEXT    NOT NULL DEFAULT 'ready',
    due_at      REAL    NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    token       TEXT,
    consumer    TEXT,
    error       TEXT,
    finished_at REAL
);
-- What claim reads: due rows in the order they became due.
CREATE INDEX IF NOT EXISTS ewh_inbox_due ON ewh_inbox (due_at, id)
    WHERE state IN ('ready', 'leased');
-- What purge and dead_letters read.
CREATE INDEX IF NOT EXISTS ewh_inbox_finished ON ewh_inbox (state, finished_at, id)
    WHERE state IN ('handled', 'dead');
"""

# SQLite's default limit on host parameters in one statement is 999 (before 3.32).
_CHUNK = 500
# Rows one purge statement deletes: a few milliseconds of the writer's time.
PURGE_CHUNK = 1000
_DELIVERY_COLUMNS = "delivery_id, body, headers, received_at"


def create_schema(connection: sqlite3.Connection) -> None:
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise EWHError(
            f"this inbox database has schema version {version}, newer than this "
            f"ewh-webhooks understands ({SCHEMA_VERSION}): upgrade ewh-webhooks"
        )
    connection.executescript(f"BEGIN IMMEDIATE; {_SCHEMA} COMMIT;")
    if version < SCHEMA_VERSION:
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _delivery(row: Sequence[Any]) -> Delivery:
    delivery_id, body, headers, received_at = row[:4]
    return Delivery(
        delivery_id=delivery_id,
        body=bytes(body),
        headers=json.loads(headers),
        received_at=float(received_at),
    )


def put(connection: sqlite3.Connection, delivery: Delivery, now: float) -> bool:
    cursor = connection.execute(
        "INSERT INTO ewh_inbox (delivery_id, body, headers, received_at, due_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (delivery_id) DO NOTHING",
        (
            delivery.delivery_id,
            bytes(delivery.body),
            json.dumps(dict(delivery.headers), separators=(",", ":")),
            delivery.received_at,
            now,
        ),
    )
    return cursor.rowcount == 1


def claim(
    connection: sqlite3.Connection, consumer: str, limit: int, now: float, lease: float
) -> list[ClaimedDelivery]:
    rows = connection.execute(
        f"SELECT {_DELIVERY_COLUMNS}, id, attempts FROM ewh_inbox"
        " WHERE state IN ('ready', 'leased') AND due_at <= ? ORDER BY due_at, id LIMIT ?",
        (now, limit),
    ).fetchall()
    claimed = [
        ClaimedDelivery(delivery=_delivery(row), attempt=row[5] + 1, token=secrets.token_hex(8))
        for row in rows
    ]
    connection.executemany(
        "UPDATE ewh_inbox SET state = 'leased', due_at = ?, attempts = attempts + 1,"
        " token = ?, consumer = ? WHERE id = ?",
        [(now + lease, c.token, consumer, row[4]) for c, row in zip(claimed, rows, strict=True)],
    )
    return claimed


# Every outcome names the lease by its token: a worker whose lease ran out and was
# taken over by another changes nothing (the new holder decides).
_HELD = "WHERE delivery_id = ? AND token = ? AND state = 'leased'"


def ack(connection: sqlite3.Connection, claimed: ClaimedDelivery, now: float) -> bool:
    # A handled row keeps its id (the dedup key) and times, not its body: the file grows
    # by a few dozen bytes per delivery until `purge()`, not by every event received.
    cursor = connection.execute(
        "UPDATE ewh_inbox SET state = 'handled', finished_at = ?, token = NULL, "
        f"body = X'', headers = '{{}}' {_HELD}",
        (now, claimed.delivery.delivery_id, claimed.token),
    )
    return cursor.rowcount == 1


def retry(
    connection: sqlite3.Connection, claimed: ClaimedDelivery, now: float, delay: float, error: str
) -> bool:
    cursor = connection.execute(
        f"UPDATE ewh_inbox SET state = 'ready', due_at = ?, error = ?, token = NULL {_HELD}",
        (now + max(0.0, delay), error, claimed.delivery.delivery_id, claimed.token),
    )
    return cursor.rowcount == 1


def fail(connection: sqlite3.Connection, claimed: ClaimedDelivery, now: float, error: str) -> bool:
    cursor = connection.execute(
        f"UPDATE ewh_inbox SET state = 'dead', finished_at = ?, error = ?, token = NULL {_HELD}",
        (now, error, claimed.delivery.delivery_id, claimed.token),
    )
    return cursor.rowcount == 1


def release(connection: sqlite3.Connection, claimed: ClaimedDelivery, now: float) -> bool:
    cursor = connection.execute(
        "UPDATE ewh_inbox SET state = 'ready', due_at = ?, attempts = attempts - 1,"
        f" token = NULL {_HELD}",
        (now, claimed.delivery.delivery_id, claimed.token),
    )
    return cursor.rowcount == 1


def extend(
    connection: sqlite3.Connection, claimed: ClaimedDelivery, now: float, lease: float
) -> bool:
    cursor = connection.execute(
        f"UPDATE ewh_inbox SET due_at = ? {_HELD}",
        (now + lease, claimed.delivery.delivery_id, claimed.token),
    )
    return cursor.rowcount == 1


def stats(connection: sqlite3.Connection, now: float) -> InboxStats:
    counts = {"ready": 0, "leased": 0, "handled": 0, "dead": 0}
    rows = connection.execute(
        "SELECT CASE WHEN state = 'leased' AND due_at <= ? THEN 'ready' ELSE state END,"
        " COUNT(*) FROM ewh_inbox GROUP BY 1",
        (now,),
    )
    for state, count in rows:
        counts[state] = count
    return InboxStats(**counts)


def dead_letters(connection: sqlite3.Connection, limit: int) -> list[DeadLetter]:
    rows = connection.execute(
        f"SELECT {_DELIVERY_COLUMNS}, attempts, error, finished_at FROM ewh_inbox"
        " WHERE state = 'dead' ORDER BY finished_at, id LIMIT ?",
        (limit,),
    ).fetchall()
    return [
        DeadLetter(delivery=_delivery(row), attempts=row[4], error=row[5] or "", failed_at=row[6])
        for row in rows
    ]


_REPLAY = (
    "UPDATE ewh_inbox SET state = 'ready', due_at = ?, attempts = 0, error = NULL,"
    " finished_at = NULL WHERE state = 'dead'"
)


def replay_dead(
    connection: sqlite3.Connection, delivery_ids: Sequence[str] | None, now: float
) -> int:
    if delivery_ids is None:
        return connection.execute(_REPLAY, (now,)).rowcount
    replayed = 0
    for start in range(0, len(delivery_ids), _CHUNK):
        chunk = delivery_ids[start : start + _CHUNK]
        marks = ", ".join("?" * len(chunk))
        cursor = connection.execute(f"{_REPLAY} AND delivery_id IN ({marks})", (now, *chunk))
        replayed += cursor.rowcount
    return replayed


def purge(connection: sqlite3.Connection, before: float, limit: int) -> int:
    """Delete up to `limit` rows handled before `before` (oldest first)."""
    cursor = connection.execute(
        "DELETE FROM ewh_inbox WHERE id IN (SELECT id FROM ewh_inbox"
        " WHERE state = 'handled' AND finished_at < ? ORDER BY finished_at, id LIMIT ?)",
        (before, limit),
    )
    return cursor.rowcount
