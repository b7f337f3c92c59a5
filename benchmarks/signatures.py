"""Signature verification of 1 KiB bodies, in CPU time on one core."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from ewh_webhooks import sign, verify_signature


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
