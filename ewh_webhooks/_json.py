"""JSON for the API's request and response bodies, in one place.

The standard library, on purpose: orjson, measured as a drop-in, wins a tight loop
but made each request slower end to end on an Intel Xeon and about 2 % faster on an
AMD EPYC (BENCHMARKS.md, row 7): not worth a dependency more. Bodies are written
compact and as UTF-8, so a string that is not valid Unicode (a lone surrogate) fails
before sending instead of being stored as an escape no UTF-8 reader accepts.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import InvalidArgumentError

__all__ = ["dumps", "encode_body", "loads"]


def loads(data: bytes | str) -> Any:
    """Parse JSON; every failure is a `ValueError` (deep nesting included, which the
    standard library reports as RecursionError)."""
    try:
        # Decoded here: JSON on the wire is UTF-8 (RFC 8259), so the standard library's
        # guessing of UTF-16 and UTF-32 is work for nothing on every response.
        return json.loads(data.decode("utf-8") if isinstance(data, bytes) else data)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def encode_body(obj: Any, what: str) -> bytes:
    """A request body, or `InvalidArgumentError` naming the call `what` (never the
    value: it may hold a secret) when it cannot be written, e.g. a lone surrogate."""
    try:
        return dumps(obj)
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError(
            f"{what}: the body cannot be written as JSON ({type(exc).__name__})"
        ) from None
