"""Hostile or mistaken deliveries the receiver must answer 400 (or accept), never 500
or 503: bodies that do not decode as their Content-Encoding, `X-Webhook-Id` bytes that
are not UTF-8 or blank; and a secret given as a generator or a mapping."""

from __future__ import annotations

import asyncio
import gzip
import zlib
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ewh_webhooks import (
    InvalidArgumentError,
    MemoryDedupStore,
    RedisInbox,
    Router,
    WebhookEvent,
    WebhookReceiver,
    sign,
)
from ewh_webhooks.events import clean_delivery_id
from ewh_webhooks.inbox import Inbox
from ewh_webhooks.inbox.sqlite import SQLiteInbox

from .receiver_helpers import SECRET, Served, envelope, serve, signed

Mode = Callable[[Router], WebhookReceiver]


def _router(seen: list[WebhookEvent] | None = None) -> Router:
    router = Router()

    @router.on("*")
    async def keep(event: WebhookEvent) -> None:
        if seen is not None:
            seen.append(event)

    return router


@asynccontextmanager
async def receivers(
    tmp_path: Path, redis_url: str | None = None, seen: list[WebhookEvent] | None = None
) -> AsyncIterator[dict[str, Served]]:
    """One receiver per way of handling, each served on loopback."""
    router = _router(seen)
    inboxes: dict[str, Inbox] = {
        "sqlite": SQLiteInbox(tmp_path / "events.sqlite3", poll_interval=0.01)
    }
    if redis_url is not None:
        inboxes["redis"] = RedisInbox(redis_url, name="hostile")
    made = {
        "background": WebhookReceiver(secret=SECRET, router=router, max_body_size=64 * 1024),
        "inline": WebhookReceiver(
            secret=SECRET, router=router, mode="inline", max_body_size=64 * 1024
        ),
        **{
            name: WebhookReceiver(
                secret=SECRET,
                router=router,
                inbox=inbox,
                max_body_size=64 * 1024,
                worker_options={"poll_interval": 0.02},
            )
            for name, inbox in inboxes.items()
        },
    }
    async with AsyncExitStack() as stack:
        yield {name: await stack.enter_async_context(serve(r)) for name, r in made.items()}


async def raw_post(served: Served, head: bytes, body: bytes) -> tuple[int, bytes]:
    """POST over a plain socket (to send header bytes no HTTP client would): the
    status and the whole answer, read until the receiver closes."""
    host_port = served.url.split("/")[2]
    host, port = host_port.rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(
            b"POST /hooks HTTP/1.1\r\nHost: " + host_port.encode() + b"\r\nConnection: close\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n"
            % len(body)
            + head
            + b"\r\n"
            + body
        )
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()
    return int(answer.split(b" ", 2)[1]), answer


# -- 1. Content-Encoding --------------------------------------------------------------


def _bomb() -> bytes:
    return gzip.compress(b" " * (10 * 1024 * 1024))  # 10 KiB on the wire, 10 MiB inflated


ENCODED = [
    ("deflate", lambda body: b"notdeflate", 400),
    ("gzip", lambda body: b"notgzip", 400),
    ("gzip", lambda body: gzip.compress(body)[:10] + b"garbage" * 20, 400),
    ("deflate", lambda body: zlib.compress(body)[:-6] + b"\xff" * 40, 400),
    ("gzip", lambda body: _bomb(), 413),
    ("gzip", gzip.compress, 200),
    ("deflate", zlib.compress, 200),
]


async def test_a_body_that_does_not_decode_as_its_content_encoding_gets_400(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    body = envelope()
    async with receivers(tmp_path) as served:
        for mode, one in served.items():
            for n, (encoding, encode, expected) in enumerate(ENCODED):
                headers = signed(body, f"evt-{n}")
                headers["Content-Encoding"] = encoding
                async with one.session.post(one.url, data=encode(body), headers=headers) as resp:
                    # (aiohttp answers some itself, in text, when the message ends)
                    assert resp.status == expected, (mode, n, await resp.text())
    # Nothing aiohttp had to log as unhandled after the receiver's answer.
    assert "Unhandled exception" not in caplog.text


async def test_undecodable_content_closes_the_connection_after_the_400(tmp_path: Path) -> None:
    body = b"notdeflate" * 1000
    head = b"Content-Encoding: deflate\r\nX-Hmac-Sha256: " + sign(body, SECRET).encode() + b"\r\n"
    async with receivers(tmp_path) as served:
        for one in served.values():
            status, answer = await raw_post(one, head, body)
            assert status == 400
            assert b"Connection: close" in answer


async def test_a_body_too_large_closes_the_connection_after_the_413(tmp_path: Path) -> None:
    # Its rest is never read: a keep-alive connection could not carry the next request
    # (with aiohttp 3.10 the next delivery on it waited forever).
    body = envelope()
    async with receivers(tmp_path) as served:
        for mode, one in served.items():
            headers = {**signed(body, "evt-big"), "Content-Encoding": "gzip"}
            async with one.session.post(one.url, data=_bomb(), headers=headers) as resp:
                assert resp.status == 413, mode
                assert resp.headers.get("Connection", "").lower() == "close", mode
            headers = signed(body, "evt-next")
            async with one.session.post(one.url, data=body, headers=headers) as resp:
                assert resp.status == 200, mode


# -- 2. the secret ---------------------------------------------------------------------


async def test_a_secret_given_as_a_generator_serves_every_delivery() -> None:
    receiver = WebhookReceiver(secret=(s for s in ["old", SECRET]), router=_router())
    async with serve(receiver) as served:
        for n in range(3):
            assert await served.deliver(f"evt-{n}") == 200
        body = envelope()
        assert (await served.post(body, signed(body, "evt-old", secret="old")))[0] == 200


@pytest.mark.parametrize(
    "secret",
    [{SECRET: "x"}, {}, {"a": 1}],
    ids=["mapping", "empty-mapping", "mapping-of-ints"],
)
def test_a_mapping_is_refused_as_a_secret(secret: object) -> None:
    with pytest.raises(InvalidArgumentError, match="mapping") as caught:
        WebhookReceiver(secret=secret, router=_router())  # type: ignore[arg-type]
    assert SECRET not in str(caught.value)


def test_a_secret_may_be_any_collection_of_secrets() -> None:
    for secret in ([SECRET], (SECRET, "old"), {SECRET}, bytearray(b"k"), [b"k", bytearray(b"j")]):
        WebhookReceiver(secret=secret, router=_router())  # type: ignore[arg-type]


# -- 3. X-Webhook-Id ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "stored"),
    [
        (b"caf\xe9", "caf\\xe9"),  # Latin-1, not UTF-8
        (b"\xff\xfe-\xc3\xa9", "\\xff\\xfe-\u00e9"),  # broken and valid UTF-8 mixed
        (b"caf\xc3\xa9", "caf\u00e9"),  # valid UTF-8 is kept as it is
    ],
    ids=["latin-1", "mixed", "utf-8"],
)
async def test_an_id_that_is_not_utf8_is_kept_escaped_and_deduplicated_in_every_mode(
    tmp_path: Path, redis_url: str, header: bytes, stored: str
) -> None:
    body = envelope()
    head = b"X-Webhook-Id: " + header + b"\r\nX-Hmac-Sha256: " + sign(body, SECRET).encode()
    seen: list[WebhookEvent] = []
    async with receivers(tmp_path, redis_url, seen) as served:
        for mode, one in served.items():
            first, answer = await raw_post(one, head + b"\r\n", body)
            assert (first, mode) == (200, mode), answer
            again, answer = await raw_post(one, head + b"\r\n", body)
            assert (again, b"duplicate" in answer) == (200, True), (mode, answer)
        for receiver in (one.receiver for one in served.values()):
            assert await receiver.drain(5)
        for _ in range(200):  # the inbox workers run on their own
            if len(seen) == len(served):
                break
            await asyncio.sleep(0.01)
    assert [event.delivery_id for event in seen] == [stored] * len(served)


@pytest.mark.parametrize("blank", [b"", b" ", b"\t \t"])
async def test_a_blank_id_is_no_id(tmp_path: Path, blank: bytes) -> None:
    async with receivers(tmp_path) as served:
        for mode, one in served.items():
            for action in ("shipped", "cancelled"):  # two events: neither is a duplicate
                body = envelope(action=action)
                signature = sign(body, SECRET).encode()
                head = b"X-Webhook-Id: " + blank + b"\r\nX-Hmac-Sha256: " + signature + b"\r\n"
                status, answer = await raw_post(one, head, body)
                assert status == 200, (mode, answer)
                assert b"duplicate" not in answer, mode


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=30)
    | st.binary(max_size=30).map(lambda b: b.decode("utf-8", "surrogateescape"))
)
def test_clean_delivery_id_is_stripped_never_blank_and_always_storable(value: str) -> None:
    cleaned = clean_delivery_id(value)
    if cleaned is None:
        assert not value.strip()
        return
    assert cleaned
    assert cleaned == cleaned.strip()
    cleaned.encode("utf-8")  # SQLite, Redis and the logs take it as it is
    assert clean_delivery_id(cleaned) == cleaned  # a stored id parses back to itself
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return
    assert cleaned == value.strip()  # a valid id is never changed


# -- 4. inline mode: the pending mark outlives inline_timeout ---------------------------


async def test_a_redelivery_during_a_long_inline_handler_is_retried_not_taken_for_new() -> None:
    now = [0.0]
    started, finish = asyncio.Event(), asyncio.Event()
    router = Router()
    calls: list[str | None] = []

    @router.on("*")
    async def slow(event: WebhookEvent) -> None:
        calls.append(event.delivery_id)
        started.set()
        if len(calls) == 1:  # (a second call would be the defect: it must not wait)
            await finish.wait()

    receiver = WebhookReceiver(
        secret=SECRET,
        router=router,
        mode="inline",
        inline_timeout=300,
        dedup=MemoryDedupStore(clock=lambda: now[0]),
    )
    assert receiver.pending_ttl > 300
    async with serve(receiver) as served:
        first = asyncio.create_task(served.deliver("evt-1"))
        await started.wait()
        now[0] = 120.0  # past the old fixed 60 s pending mark, within inline_timeout
        try:
            assert await served.deliver("evt-1") == 503
        finally:
            finish.set()
        assert await first == 200
        assert await served.deliver("evt-1") == 200  # a duplicate now
    assert calls == ["evt-1"]
