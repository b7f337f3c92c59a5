"""API bodies are read and written in one place (`ewh_webhooks._json`): compact UTF-8
out, and failures either way become errors of ours."""

from __future__ import annotations

import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from ewh_webhooks import EWHClient, InvalidArgumentError, ResponseValidationError, _json
from ewh_webhooks.sansio import Response, decode_json
from ewh_webhooks.testing import EWHEmulator

BODIES = [
    {"count": 2, "next": None, "previous": None, "results": []},
    {"token": "a.b.c", "iat": 1764324000, "exp": 1764327600, "refresh_token": "r"},
    {"url": "https://b\u00fccher.example/h\u00e9", "group": "order"},
    {"errors": {"url": ["bad"], "0": "global"}},
    [],
]
BAD = [b"", b"<html>502</html>", b'{"a": ', b"\xff\xfe\x00", b"{'single': 'quotes'}"]


@pytest.mark.parametrize("body", BODIES)
def test_written_bodies_read_back_equal(body: object) -> None:
    assert _json.loads(_json.dumps(body)) == body


def test_written_bodies_are_compact_and_raw_utf8() -> None:
    written = _json.dumps({"url": "https://b\u00fccher.example/", "group": "order"})
    assert written == '{"url":"https://bücher.example/","group":"order"}'.encode()
    assert b"\\u00fc" not in written  # not escaped: the vendor reads UTF-8


def test_deeply_nested_json_is_a_value_error_not_a_recursion_error() -> None:
    with pytest.raises(ValueError, match="nested too deeply"):
        _json.loads(b"[" * 100_000 + b"]" * 100_000)


@pytest.mark.parametrize("body", BAD)
def test_bad_bodies_are_a_response_validation_error(body: bytes) -> None:
    response = Response(
        status=200,
        headers=CIMultiDictProxy(CIMultiDict()),
        body=body,
        method="GET",
        path="/webhooks/",
        request_id="r",
    )
    with pytest.raises(ResponseValidationError, match="GET /webhooks/ returned 200"):
        decode_json(response)


async def test_a_body_that_cannot_be_written_is_our_error_and_never_sent(
    client: EWHClient, emulator: EWHEmulator
) -> None:
    secret = "s3cret-\ud800"  # a lone surrogate cannot be UTF-8
    with pytest.raises(InvalidArgumentError, match="cannot be written as JSON") as caught:
        await client.webhooks.create(
            url="https://example.com/h", group="order", action="shipped", hash_secret=secret
        )
    assert "s3cret" not in str(caught.value)
    assert emulator.state.count_requests("POST", "/webhooks/") == 0
