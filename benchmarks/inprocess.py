"""In-process CPU benchmarks: signature checks, and the JSON backends on API bodies."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from multidict import CIMultiDict, CIMultiDictProxy

from ewh_webhooks import _json, sign, verify_signature
from ewh_webhooks.converter import structure_page, structure_webhook, unstructure
from ewh_webhooks.models import WebhookCreate
from ewh_webhooks.sansio import Response, decode_json


def _paired(
    runs: int, baseline: Callable[[], None], candidate: Callable[[], None]
) -> tuple[float, float]:
    """Median seconds of baseline and candidate, alternating so drift hits both alike."""
    base, cand = [], []
    for _ in range(runs):
        for fn, into in ((baseline, base), (candidate, cand)):
            started = time.process_time()
            fn()
            into.append(time.process_time() - started)
    return statistics.median(base), statistics.median(cand)


# --- 6. signature verification --------------------------------------------------------------


def bench_signatures(runs: int, n: int) -> dict[str, Any]:
    body = os.urandom(1024)
    secret = "whsec-benchmark"
    header = sign(body, secret)
    key = secret.encode()

    def raw() -> None:
        for _ in range(n):
            expected = base64.b64decode(header)
            hmac.compare_digest(hmac.digest(key, body, hashlib.sha256), expected)

    def ours() -> None:
        for _ in range(n):
            verify_signature(body, header, secret)

    t_raw, t_sdk = _paired(runs, raw, ours)
    return {"raw_per_s": n / t_raw, "sdk_per_s": n / t_sdk, "ratio": t_raw / t_sdk}


# --- 7. JSON backends -----------------------------------------------------------------------

_HOOK = {
    "id": "3f1e9a52-8d4c-4c7e-9a1b-2a5b6c7d8e9f",
    "url": "https://bench.test/hooks/1",
    "group": "order",
    "action": "created",
    "topic": "order.created",
    "customer": "5b1d2c3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e",
    "created_at": "2026-11-28T10:00:00.123456Z",
    "modified_at": "2026-11-28T10:00:00.123456Z",
}


def _response(body: bytes) -> Response:
    headers = CIMultiDictProxy(CIMultiDict({"Content-Type": "application/json"}))
    return Response(
        status=200, headers=headers, body=body, method="GET", path="/webhooks/", request_id="b"
    )


def bench_json(runs: int, n: int) -> dict[str, Any]:
    """The JSON work of a create (write the body, read and structure the answer) and of
    a listed webhook (read and structure a 100-item page), standard library vs orjson."""
    try:
        import orjson
    except ImportError:
        return {"available": False}
    create = WebhookCreate(
        url="https://bench.test/hooks/1", group="order", action="created", hash_secret="s"
    )
    answer = _response(json.dumps({**_HOOK, "hash_secret": "s"}).encode())
    page = _response(
        json.dumps(
            {"count": 100, "next": None, "previous": None, "results": [_HOOK] * 100}
        ).encode()
    )

    def creates() -> None:
        for _ in range(n):
            _json.dumps(unstructure(create))
            structure_webhook(decode_json(answer), what="bench")

    def pages() -> None:
        for _ in range(n // 100):
            structure_page(decode_json(page), what="bench")

    def backend(
        loads: Callable[[bytes], Any], dumps: Callable[[Any], bytes], fn: Callable[[], None]
    ) -> Callable[[], None]:
        def run() -> None:
            _json.loads, _json.dumps = loads, dumps
            fn()

        return run

    saved = _json.loads, _json.dumps
    try:
        std_c, orj_c = _paired(
            runs,
            backend(_json.stdlib_loads, _json.stdlib_dumps, creates),
            backend(orjson.loads, orjson.dumps, creates),
        )
        std_p, orj_p = _paired(
            runs,
            backend(_json.stdlib_loads, _json.stdlib_dumps, pages),
            backend(orjson.loads, orjson.dumps, pages),
        )
    finally:
        _json.loads, _json.dumps = saved
    return {
        "available": True,
        "create_us": {"json": std_c / n * 1e6, "orjson": orj_c / n * 1e6},
        "item_us": {"json": std_p / n * 1e6, "orjson": orj_p / n * 1e6},
        "create_ratio": orj_c / std_c,
        "item_ratio": orj_p / std_p,
    }
