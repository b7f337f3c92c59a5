"""JSON for API bodies: orjson when it is installed (`ewh-webhooks[speedups]`), else
the standard library. Both write compact JSON, raise `ValueError` on what they cannot
read and `TypeError` or `ValueError` on what they cannot write.

Only request and response bodies of the API go through here: their schema is known,
and the strict converters reject a number orjson read differently (it reads integers
beyond 64 bits as floats; the standard library keeps them exact). Delivered events,
whose bodies are the sender's business, are always read by the standard library.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

__all__ = ["BACKEND", "dumps", "loads", "stdlib_dumps", "stdlib_loads"]


def stdlib_loads(data: bytes) -> Any:
    return json.loads(data)


def stdlib_dumps(obj: Any) -> bytes:
    # UTF-8 as orjson writes it: a lone surrogate fails here (UnicodeEncodeError) and is
    # never sent, where an ASCII escape would store a string no UTF-8 reader accepts.
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


loads: Callable[[bytes], Any]
dumps: Callable[[Any], bytes]
try:
    import orjson
except ImportError:
    loads, dumps, BACKEND = stdlib_loads, stdlib_dumps, "json"
else:
    loads, dumps, BACKEND = orjson.loads, orjson.dumps, "orjson"
