"""Shared pieces for tests that mock the API with aioresponses: a documented webhook
and the auth answers (the `mock` and `api` fixtures are in conftest)."""

from __future__ import annotations

import json
from typing import Any

from aioresponses import aioresponses
from yarl import URL

BASE = "https://api.test"

HOOK = {
    "id": "6caeff6d-cd72-4fde-9d02-0704514ad917",
    "url": "https://example.com/h",
    "group": "order",
    "action": "shipped",
    "customer": "be62c27e-2aac-4ac1-902e-f770d64f8dce",
}
HOOK_URL = f"{BASE}/webhooks/{HOOK['id']}/"
LOGIN = f"{BASE}/wms/auth/login/"
REFRESH = f"{BASE}/wms/auth/refresh/"


def tokens(n: int = 1, lifetime: int = 3600) -> dict[str, Any]:
    return {
        "token": f"tok{n}",
        "iat": 1_700_000_000,
        "exp": 1_700_000_000 + lifetime,
        "refresh_token": f"ref{n}",
    }


def calls(mock: aioresponses, method: str, url: str) -> list[Any]:
    return mock.requests.get((method, URL(url)), [])


def sent_json(call: Any) -> Any:
    return json.loads(call.kwargs["data"])
