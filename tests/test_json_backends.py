"""Both JSON backends (orjson when installed, the standard library otherwise) read and
write API bodies alike, and their failures map to the same errors of ours."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from ewh_webhooks import EWHClient, InvalidArgumentError, ResponseValidationError, _json
from ewh_webhooks.sansio import Response, decode_json
from ewh_webhooks.testing import EWHEmulator

orjson = pytest.importorskip("orjson")

Loads = Callable[[bytes], Any]
Dumps = Callable[[Any], bytes]
BACKENDS: list[tuple[Loads, Dumps]] = [
    (_json.stdlib_loads, _json.stdlib_dumps),
    (orjson.loads, orjson.dumps),
]
IDS = ["json", "orjson"]

BODIES = [
    b'{"count": 2, "next": null, "previous": null, "results": []}',
    b'{"token": "a.b.c", "iat": 1764324000, "exp": 1764327600, "refresh_token": "r"}',
    '{"url": "https://b\u00fccher.example/h\u00e9", "group": "order"}'.encode(),
    b'{"errors": {"url": ["bad"], "0": "global"}}',
    b"[]",
]
BAD = [b"", b"<html>502</html>", b'{"a": ', b"\xff\xfe\x00", b"{'single': 'quotes'}"]


def test_the_backend_in_use_is_orjson_when_installed() -> None:
    assert _json.BACKEND == "orjson"
    assert _json.loads is orjson.loads


@pytest.mark.parametrize("body", BODIES)
def test_both_backends_read_api_bodies_alike(body: bytes) -> None:
    assert orjson.loads(body) == _json.stdlib_loads(body) == json.loads(body)


@pytest.mark.parametrize(("loads", "dumps"), BACKENDS, ids=IDS)
@pytest.mark.parametrize("body", BODIES)
def test_writing_then_reading_gives_the_body_back(loads: Loads, dumps: Dumps, body: bytes) -> None:
    value = json.loads(body)
    written = dumps(value)
    assert isinstance(written, bytes)
    assert json.loads(written) == value
    assert loads(written) == value


@pytest.mark.parametrize(("loads", "dumps"), BACKENDS, ids=IDS)
@pytest.mark.parametrize("body", BAD)
def test_bad_bodies_are_a_response_validation_error_with_either_backend(
    monkeypatch: pytest.MonkeyPatch, loads: Loads, dumps: Dumps, body: bytes
) -> None:
    monkeypatch.setattr(_json, "loads", loads)
    response = Response(
        status=200,
        headers=CIMultiDictProxy(CIMultiDict()),
        body=body,
        method="GET",
        path="/webhooks/",
        request_id="r",
    )
    with pytest.raises(ResponseValidationError, match="not JSON"):
        decode_json(response)


@pytest.mark.parametrize(("loads", "dumps"), BACKENDS, ids=IDS)
async def test_a_body_that_cannot_be_written_is_our_error_and_never_sent(
    monkeypatch: pytest.MonkeyPatch,
    client: EWHClient,
    emulator: EWHEmulator,
    loads: Loads,
    dumps: Dumps,
) -> None:
    monkeypatch.setattr(_json, "dumps", dumps)
    secret = "s3cret-\ud800"  # a lone surrogate cannot be UTF-8
    with pytest.raises(InvalidArgumentError, match="cannot be written as JSON") as caught:
        await client.webhooks.create(
            url="https://example.com/h", group="order", action="shipped", hash_secret=secret
        )
    assert "s3cret" not in str(caught.value)
    assert emulator.state.count_requests("POST", "/webhooks/") == 0
