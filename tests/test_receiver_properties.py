"""Properties of hostile input: whatever the body and headers, `parse_event` returns an
event or raises our own error, and the receiver answers 2xx, 400, 401 or 413, never
500; deep nesting is refused without a RecursionError."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ewh_webhooks import (
    EWHError,
    InvalidEventError,
    Router,
    WebhookEvent,
    WebhookReceiver,
    parse_event,
    sign,
)
from ewh_webhooks.inbox.sqlite import SQLiteInbox

from .receiver_helpers import SECRET, serve

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
ENVELOPE_KEYS = ["body", "group", "action", "entity", "customer", "entityId"]
envelopes = st.dictionaries(
    st.sampled_from(ENVELOPE_KEYS) | st.text(max_size=8), json_values, max_size=8
)
header_text = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60
)  # what HTTP lets through


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["bytes", "json", "envelope", "nested"]))
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    if kind == "json":
        return json.dumps(draw(json_values)).encode()
    if kind == "nested":
        depth = draw(st.integers(min_value=1, max_value=50_000))
        return b"[" * depth + b"]" * draw(st.integers(min_value=0, max_value=depth))
    return json.dumps(draw(envelopes)).encode()


@st.composite
def headers(draw: st.DrawFn, body: bytes) -> dict[str, str]:
    result: dict[str, str] = {}
    signature = draw(st.sampled_from(["valid", "absent", "garbage", "other-secret"]))
    if signature == "valid":
        result["X-Hmac-Sha256"] = sign(body, SECRET)
    elif signature == "garbage":
        result["X-Hmac-Sha256"] = draw(header_text)
    elif signature == "other-secret":
        result["X-Hmac-Sha256"] = sign(body, "not-the-secret")
    if draw(st.booleans()):
        result["X-Webhook-Id"] = draw(header_text)
    if draw(st.booleans()):
        result["Content-Type"] = draw(header_text)
    if draw(st.integers(0, 3)) == 0:  # a body (the bytes drawn) that claims to be compressed
        result["Content-Encoding"] = draw(st.sampled_from(["gzip", "deflate", "identity"]))
    return result


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_parse_event_returns_an_event_or_raises_our_error(data: st.DataObject) -> None:
    body = data.draw(bodies())
    hdrs = data.draw(headers(body))
    started = time.process_time()
    try:
        event = parse_event(body, hdrs, SECRET)
    except EWHError:
        pass
    else:
        assert isinstance(event, WebhookEvent)
        assert event.delivery_id != ""
        assert event.topic == f"{event.group}.{event.action}"
    assert time.process_time() - started < 0.5


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"group": "order", "action": "x", "body": ' + b'{"a":' * 100_000 + b"1" + b"}" * 100_001,
        b"{" * 1_000_000,
        b'{"group": "o", "action": "a", "entityId": ' + b"9" * 5000 + b"}",
    ],
    ids=["nested-lists", "nested-body", "unclosed", "huge-integer"],
)
def test_hostile_but_correctly_signed_bodies_are_invalid_events(body: bytes) -> None:
    with pytest.raises(InvalidEventError):
        parse_event(body, {"X-Hmac-Sha256": sign(body, SECRET)}, SECRET)


RECEIVER_STATUSES = {200, 400, 401, 413}


def test_the_receiver_never_answers_500_whatever_it_is_sent(tmp_path: Path) -> None:
    """Background, inline and inbox modes, one example posted to each. Hypothesis runs
    in a thread (it is synchronous) and posts through the loop serving the receivers."""
    router = Router()

    @router.on("*")
    async def ignore(event: WebhookEvent) -> None:
        return None

    async def main() -> None:
        inbox = SQLiteInbox(tmp_path / "events.sqlite3")
        limit = {"max_body_size": 64 * 1024}
        receivers = [
            WebhookReceiver(secret=SECRET, router=router, **limit),
            WebhookReceiver(secret=SECRET, router=router, mode="inline", **limit),
            WebhookReceiver(secret=SECRET, router=router, inbox=inbox, workers=0, **limit),
        ]
        async with contextlib.AsyncExitStack() as stack:
            served = [await stack.enter_async_context(serve(r)) for r in receivers]
            loop = asyncio.get_running_loop()

            async def post_to_all(body: bytes, hdrs: dict[str, str]) -> list[int]:
                statuses = []
                for one in served:  # (aiohttp answers a body it cannot inflate in text)
                    async with one.session.post(one.url, data=body, headers=hdrs) as resp:
                        statuses.append(resp.status)
                return statuses

            @settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
            @given(data=st.data())
            def check(data: st.DataObject) -> None:
                body = data.draw(bodies())
                hdrs = data.draw(headers(body))
                statuses = asyncio.run_coroutine_threadsafe(post_to_all(body, hdrs), loop)
                assert set(statuses.result(timeout=10)) <= RECEIVER_STATUSES, (body[:80], hdrs)

            await asyncio.to_thread(check)
        await inbox.aclose()

    asyncio.run(main())
