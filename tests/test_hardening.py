"""Hostile servers and careless callers: each defect class found by attacking the SDK
has a test here that failed before its fix (issue: hardening against hostile input)."""

from __future__ import annotations

import asyncio
import gzip
import json
import math
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses

from ewh_webhooks import (
    AuthenticationError,
    Backoff,
    EWHClient,
    EWHError,
    InvalidArgumentError,
    MemoryDedupStore,
    NotFoundError,
    RateLimit,
    ResponseValidationError,
    RetryPolicy,
    ServerError,
    Timeout,
    WebhookSpec,
)
from ewh_webhooks.auth import renewal_due
from ewh_webhooks.converter import structure_items, structure_webhook
from ewh_webhooks.error_bodies import error_from_response
from ewh_webhooks.models import Tokens
from ewh_webhooks.retry import decide_retry, parse_retry_after
from ewh_webhooks.sansio import Response
from ewh_webhooks.sync import SyncAction, SyncKind, check_specs
from ewh_webhooks.testing import EWHEmulator, FaultPlan

from .api_mock import HOOK, HOOK_URL, LOGIN, calls, tokens
from .conftest import BASE, FakeTime, make_client, no_retry

DEEP = b"[" * 100_000 + b"]" * 100_000
LIST_URL = f"{BASE}/webhooks/?page=1&limit=50"


def response(body: bytes, status: int = 502, path: str = "/webhooks/") -> Response:
    return Response(status=status, headers={}, body=body, method="GET", path=path)


# --- 1. no event-loop stall on an error page ------------------------------------------


@pytest.mark.parametrize(
    "body",
    [b"<title>" * 16_000, b"<" * 80_000, b"<title" + b" " * 200_000, b"<a" * 100_000, DEEP],
    ids=["titles", "open-brackets", "unclosed-title", "unclosed-tags", "deep-json"],
)
def test_error_bodies_are_mapped_in_linear_time(body: bytes) -> None:
    # These took 8 to 25 s of CPU each with the quadratic patterns; a generous bound
    # keeps the test stable on a loaded machine and still catches the regression.
    started = time.process_time()
    error = error_from_response(response(body))
    assert time.process_time() - started < 0.5
    assert isinstance(error, ServerError)
    assert len(str(error)) < 400


def _values(value: object) -> int:
    if isinstance(value, dict):
        return 1 + sum(_values(v) for v in value.values())
    if isinstance(value, list):
        return 1 + sum(_values(v) for v in value)
    return 1


@pytest.mark.parametrize(
    "payload",
    [
        {"errors": {str(i): ["m" * 50] for i in range(200_000)}},
        {"errors": {"url": [[1] * 10] * 200_000}},
        {"message": "bad", "items": [{"id": str(i), "note": "x" * 5000} for i in range(20_000)]},
    ],
    ids=["many-fields", "huge-field", "huge-body"],
)
def test_a_huge_error_body_costs_little_more_than_parsing_it(payload: dict[str, Any]) -> None:
    body = json.dumps(payload).encode()
    started = time.process_time()
    json.loads(body)
    parsing = time.process_time() - started
    started = time.process_time()
    error = error_from_response(response(body, status=400))
    mapping = time.process_time() - started
    # It took 4.6 times the parsing (walking, joining and copying every field); now
    # a bounded part of the body is examined and kept.
    assert mapping < 2 * parsing + 0.05
    assert len(error.errors) <= 50
    assert all(len(messages) <= 10 for messages in error.errors.values())
    assert _values(error.body) <= 1000 + 33  # and a "... more" mark per level at most
    assert len(str(error)) < 400


def test_an_error_keeps_no_credentials_in_its_location_or_body_strings() -> None:
    body = json.dumps({"message": "nope", "hint": "password=SECRETPASSWORD"}).encode()
    answer = Response(
        status=302,
        headers={"Location": "https://alice:PW@evil.test/x?token=T"},
        body=body,
        method="GET",
        path="/webhooks/",
    )
    error = error_from_response(answer)
    assert "PW@" not in error.headers["Location"]
    assert "token=T" not in error.headers["Location"]
    assert "SECRETPASSWORD" not in json.dumps(error.body)
    assert "SECRETPASSWORD" not in str(error)


async def test_an_id_that_is_not_utf8_is_refused_with_our_error(
    mock: aioresponses, fake_time: FakeTime
) -> None:
    async with make_client(runtime=fake_time.runtime()) as client:
        with pytest.raises(InvalidArgumentError, match="not valid UTF-8"):
            await client.webhooks.delete("\ud800x")
        with pytest.raises(InvalidArgumentError, match="not valid UTF-8"):
            await client.webhooks.get("\udce9")


def test_a_servers_huge_id_is_cut_short_in_messages() -> None:
    item = {"id": "a" * 1_000_000, "url": "https://e.test/", "created_at": "nope"}
    with pytest.raises(ResponseValidationError) as caught:
        structure_webhook(item, what="GET /webhooks/x/")
    assert len(str(caught.value)) < 2000
    with pytest.raises(ResponseValidationError) as caught:
        structure_items([item], what="GET /webhooks/ results")
    assert len(str(caught.value)) < 2000


# --- 2. only our errors escape, whatever the server sends -------------------------------


@asynccontextmanager
async def serving(
    answers: dict[str, list[tuple[int, bytes]]], headers: dict[str, str] | None = None
) -> AsyncIterator[str]:
    """A loopback server answering each path with the next of its (status, body), with
    `headers`; login answers tokens. For bodies too large for aioresponses."""
    from aiohttp import web

    seen: dict[str, int] = {}

    async def handle(request: web.Request) -> web.Response:
        queue = answers.get(request.path)
        if queue is None:
            return web.json_response(tokens())
        index = min(seen.get(request.path, 0), len(queue) - 1)
        seen[request.path] = index + 1
        status, body = queue[index]
        return web.Response(
            status=status, body=body, content_type="application/json", headers=headers
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


HOOK_PATH = f"/webhooks/{HOOK['id']}/"


async def test_deeply_nested_json_is_a_validation_error_on_a_success(fake_time: FakeTime) -> None:
    async with (
        serving({HOOK_PATH: [(200, DEEP)]}) as url,
        make_client(base_url=url, runtime=fake_time.runtime()) as client,
    ):
        with pytest.raises(ResponseValidationError, match="not JSON"):
            await client.webhooks.get(HOOK["id"])


async def test_deeply_nested_json_in_an_error_body_still_maps_the_status(
    fake_time: FakeTime,
) -> None:
    async with (
        serving({HOOK_PATH: [(404, DEEP)]}) as url,
        make_client(base_url=url, runtime=fake_time.runtime()) as client,
    ):
        with pytest.raises(NotFoundError):
            await client.webhooks.get(HOOK["id"])


async def test_a_refresh_answering_deep_json_falls_back_to_login(fake_time: FakeTime) -> None:
    expired = json.dumps({"code": 401, "message": "Expired JWT Token"}).encode()
    answers = {
        HOOK_PATH: [(401, expired), (200, json.dumps(HOOK).encode())],
        "/wms/auth/refresh/": [(200, DEEP)],
    }
    async with (
        serving(answers) as url,
        make_client(base_url=url, runtime=fake_time.runtime()) as client,
    ):
        assert (await client.webhooks.get(HOOK["id"])).id == HOOK["id"]


@pytest.mark.parametrize(
    "value",
    [
        "Mon, 01 Jan 99999999999999999999 00:00:00 GMT",
        "1e400",
        "nan",
        "-inf",
        "\x00",
    ],
)
def test_absurd_retry_after_values_are_ignored(value: str) -> None:
    assert parse_retry_after(value, now=time.time()) is None


@pytest.mark.parametrize(
    "link",
    [
        "http://127.0.0.1:abc/webhooks/?page=2",
        "http://[::1/webhooks/?page=2",
        f"{BASE.replace('https://', 'https://user:pass@')}/webhooks/?page=2",
        "https://api.test:99999/webhooks/?page=2",
    ],
)
async def test_broken_or_credentialed_next_links_are_not_followed(
    api: EWHClient, mock: aioresponses, link: str
) -> None:
    mock.get(LIST_URL, payload={"count": 2, "next": link, "results": [{**HOOK, "id": "a"}]})
    mock.get(
        f"{BASE}/webhooks/?page=2&limit=50",
        payload={"count": 2, "next": None, "results": [{**HOOK, "id": "b"}]},
    )
    ids = [hook.id async for hook in api.webhooks.list(concurrency=1)]
    assert ids == ["a", "b"]  # went on by page number instead


async def test_a_token_with_a_line_break_is_refused_with_our_error(
    mock: aioresponses, fake_time: FakeTime
) -> None:
    mock.post(LOGIN, payload={**tokens(), "token": "abc\r\nX-Evil: 1"}, repeat=True)
    async with make_client(runtime=fake_time.runtime(), retry=no_retry()) as client:
        with pytest.raises(ResponseValidationError, match="cannot be sent in a header") as caught:
            await client.webhooks.get(HOOK["id"])
    assert "Evil" not in str(caught.value)


@pytest.mark.parametrize("bad_id", [["a"], {"x": 1}, 1.5, None])
async def test_an_item_id_of_the_wrong_type_is_a_validation_error(
    api: EWHClient, mock: aioresponses, bad_id: object
) -> None:
    mock.get(LIST_URL, payload={"count": 1, "next": None, "results": [{**HOOK, "id": bad_id}]})
    with pytest.raises(ResponseValidationError, match=r"results\[0\]"):
        _ = [hook async for hook in api.webhooks.list()]


# --- 3. no login stampede --------------------------------------------------------------


async def test_a_failing_login_is_tried_once_for_a_hundred_waiting_calls(
    mock: aioresponses, fake_time: FakeTime
) -> None:
    mock.post(
        LOGIN, status=401, payload={"code": 401, "message": "Invalid credentials."}, repeat=True
    )
    async with make_client(runtime=fake_time.runtime()) as client:
        results = await asyncio.gather(
            *(client.webhooks.get(HOOK["id"]) for _ in range(100)), return_exceptions=True
        )
    assert all(isinstance(r, AuthenticationError) for r in results)
    assert len(calls(mock, "POST", LOGIN)) == 1


async def test_a_login_answering_503_is_retried_once_for_all_waiters(
    mock: aioresponses, fake_time: FakeTime
) -> None:
    mock.post(LOGIN, status=503, payload={"code": 503, "message": "down"}, repeat=True)
    async with make_client(runtime=fake_time.runtime()) as client:
        results = await asyncio.gather(
            *(client.webhooks.get(HOOK["id"]) for _ in range(100)), return_exceptions=True
        )
    assert all(isinstance(r, ServerError) for r in results)
    assert len(calls(mock, "POST", LOGIN)) == 4  # one attempt and its 3 retries


async def test_after_a_failed_login_the_next_call_tries_again(
    mock: aioresponses, fake_time: FakeTime
) -> None:
    mock.post(LOGIN, status=401, payload={"code": 401, "message": "Invalid credentials."})
    mock.post(LOGIN, payload=tokens())
    mock.get(HOOK_URL, payload=HOOK)
    async with make_client(runtime=fake_time.runtime()) as client:
        with pytest.raises(AuthenticationError):
            await client.webhooks.get(HOOK["id"])
        assert (await client.webhooks.get(HOOK["id"])).id == HOOK["id"]


# --- 4. time settings must be finite -------------------------------------------------


@pytest.mark.parametrize("value", [math.nan, math.inf, -1.0, 0, 10**400])
def test_non_finite_or_non_positive_times_are_refused(value: float) -> None:
    for build in (
        lambda: RetryPolicy(deadline=value),
        lambda: Timeout(total=value),
        lambda: Timeout(connect=value),
        lambda: RateLimit(10, value),
        lambda: make_client(timeout=value),
        lambda: Backoff(initial=value),
        lambda: MemoryDedupStore(ttl=value),
    ):
        with pytest.raises(InvalidArgumentError, match=r"finite|> 0"):
            build()


def test_an_absurd_backoff_multiplier_reaches_the_cap_instead_of_overflowing() -> None:
    policy = RetryPolicy(backoff_multiplier=1e300, jitter=0.0)
    decision = decide_retry(policy, method="GET", retries_done=2, elapsed=0.0, status=503)
    assert decision.retry
    assert decision.delay == policy.backoff_max


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 10**400])
def test_a_backoff_setting_must_be_finite(value: float) -> None:
    with pytest.raises(InvalidArgumentError, match="finite"):
        RetryPolicy(backoff_max=value)


@pytest.mark.parametrize(
    ("exp", "iat"), [(math.nan, 1.0), (1.0, math.nan), (math.inf, 1.0), (1e308, -1e308)]
)
def test_a_token_with_an_absurd_exp_is_renewed_on_a_401_only(exp: float, iat: float) -> None:
    assert (
        renewal_due(Tokens(token="t", exp=exp, iat=iat), received_at=0.0, wall_now=0.0, margin=60.0)
        == math.inf
    )


# --- 5. no secret in any message ---------------------------------------------------------


async def test_a_login_answer_that_is_not_json_is_never_quoted(
    mock: aioresponses, fake_time: FakeTime
) -> None:
    mock.post(LOGIN, body="token=eyJSECRET; refresh_token=REFRESHSECRET", repeat=True)
    async with make_client(runtime=fake_time.runtime(), retry=no_retry()) as client:
        with pytest.raises(ResponseValidationError) as caught:
            await client.webhooks.get(HOOK["id"])
    shown = f"{caught.value} {caught.value.body!r}"
    assert "SECRET" not in shown
    assert "not shown" in str(caught.value)


async def test_a_create_answer_that_does_not_fit_never_shows_the_secret(
    api: EWHClient, mock: aioresponses
) -> None:
    mock.post(f"{BASE}/webhooks/", status=201, payload={"hash_secret": "ECHOED-SECRET", "id": 5})
    with pytest.raises(ResponseValidationError) as caught:
        await api.webhooks.create(
            url="https://e.test/h", group="order", action="shipped", hash_secret="ECHOED-SECRET"
        )
    assert "ECHOED-SECRET" not in f"{caught.value} {caught.value.body!r}"


async def test_an_error_body_with_secrets_is_redacted(api: EWHClient, mock: aioresponses) -> None:
    mock.post(
        f"{BASE}/webhooks/",
        status=400,
        payload={"errors": {"url": ["bad"]}, "hash_secret": "ECHOED-SECRET"},
    )
    with pytest.raises(EWHError) as caught:
        await api.webhooks.create(
            url="https://e.test/h", group="order", action="shipped", hash_secret="ECHOED-SECRET"
        )
    assert "ECHOED-SECRET" not in f"{caught.value} {caught.value.body!r}"  # type: ignore[attr-defined]


def test_sync_given_dicts_never_prints_the_secret() -> None:
    spec = {
        "url": "https://e.test/h",
        "group": "order",
        "action": "shipped",
        "hash_secret": "S3CRET",
    }
    with pytest.raises(InvalidArgumentError, match="not a WebhookSpec") as caught:
        check_specs([spec])  # type: ignore[list-item]
    assert "S3CRET" not in str(caught.value)


def test_url_credentials_are_redacted_wherever_a_url_is_shown() -> None:
    url = "https://alice:PASSWORD@e.test/h?token=TOKEN"
    spec = WebhookSpec(url=url, group="order", action="shipped", hash_secret="s")
    shown = [repr(spec), SyncAction(kind=SyncKind.CREATE, spec=spec).describe()]
    with pytest.raises(InvalidArgumentError) as caught:
        check_specs([spec])
    shown.append(str(caught.value))
    for text in shown:
        assert "PASSWORD" not in text, text
        assert "TOKEN" not in text, text
        assert "alice:***@e.test" in text
    assert check_specs([spec], allow_credentials=True) == [spec]


async def test_a_webhook_url_with_credentials_needs_the_opt_in(
    api: EWHClient, mock: aioresponses
) -> None:
    url = "https://alice:PASSWORD@e.test/h"
    with pytest.raises(InvalidArgumentError, match="allow_credentials") as caught:
        await api.webhooks.create(url=url, group="order", action="shipped", hash_secret="s")
    assert "PASSWORD" not in str(caught.value)
    mock.post(f"{BASE}/webhooks/", status=201, payload={**HOOK, "url": url})
    hook = await api.webhooks.create(
        url=url, group="order", action="shipped", hash_secret="s", allow_credentials=True
    )
    assert "PASSWORD" not in repr(hook)


def test_the_password_of_the_wrong_type_is_never_echoed() -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        make_client(password=["hunter2-SECRET"])
    assert "hunter2" not in str(caught.value)


# --- 7. a delete that dropped after the server acted is done -----------------------------


async def test_a_delete_retried_after_a_drop_that_finds_404_is_done(
    api: EWHClient, mock: aioresponses
) -> None:
    mock.delete(HOOK_URL, exception=aiohttp.ServerDisconnectedError())
    mock.delete(HOOK_URL, status=404, payload={"code": 404, "message": "Not Found"})
    await api.webhooks.delete(HOOK["id"])
    assert len(calls(mock, "DELETE", HOOK_URL)) == 2


async def test_a_delete_of_an_unknown_webhook_is_still_not_found(
    api: EWHClient, mock: aioresponses
) -> None:
    mock.delete(HOOK_URL, status=404, payload={"code": 404, "message": "Not Found"})
    with pytest.raises(NotFoundError):
        await api.webhooks.delete(HOOK["id"])


async def test_sync_reports_a_delete_whose_answer_was_lost_as_done() -> None:
    async with EWHEmulator() as emu, emu.client(retry=RetryPolicy(backoff_initial=0.0)) as client:
        hook = emu.state.add_webhook(
            emu.customer_code,
            url="https://e.test/old",
            group="order",
            action="shipped",
            hash_secret="s",
        )
        emu.faults = FaultPlan()
        emu.faults.fail_next("drop_after", method="DELETE")
        result = await client.webhooks.sync([], prune=True)
    assert result.ok, result.summary()
    assert result.deleted == 1
    assert hook.id not in emu.state.webhooks[emu.customer_code]


# --- 9. a failing progress callback never leaves writes unreported ----------------------


async def test_a_progress_callback_that_raises_does_not_stop_the_sync(
    client: EWHClient, emulator: EWHEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    specs = [
        WebhookSpec(url=f"https://e.test/{i}", group="order", action="shipped", hash_secret="s")
        for i in range(5)
    ]

    def explode(*_: object) -> None:
        raise RuntimeError("progress bar broke")

    result = await client.webhooks.sync(specs, on_progress=explode, concurrency=2)
    assert result.ok
    assert result.created == 5
    assert len(result.items) == 5
    assert "on_progress" in caplog.text


# --- 10. a client belongs to one event loop ---------------------------------------------


def test_a_client_reused_in_a_second_event_loop_says_so_and_leaks_nothing() -> None:
    script = """
import asyncio
from ewh_webhooks import ClientClosedError
from ewh_webhooks.testing import EWHEmulator, FaultPlan

holder = {}

async def first():
    async with EWHEmulator() as emu:
        holder["client"] = emu.client()
        await holder["client"].webhooks.list_page()   # opened in this loop, never closed

async def reuse():
    try:
        await holder["client"].webhooks.list_page()
    except ClientClosedError as exc:
        print("ERROR:", exc)

asyncio.run(first())
asyncio.run(reuse())
import gc; gc.collect()
print("DONE")
"""
    out = subprocess.run(
        [sys.executable, "-W", "error", "-X", "dev", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert "ERROR: this client was opened in another event loop" in out.stdout
    assert "DONE" in out.stdout
    assert "Unclosed" not in out.stderr, out.stderr
    assert "ResourceWarning" not in out.stderr, out.stderr


# --- 12. a response is read up to a cap --------------------------------------------------


async def test_a_response_larger_than_the_cap_is_refused(
    mock: aioresponses, fake_time: FakeTime
) -> None:
    mock.post(LOGIN, payload=tokens())
    big = json.dumps({**HOOK, "padding": "x" * 5000})
    mock.get(HOOK_URL, body=big, content_type="application/json")
    async with make_client(runtime=fake_time.runtime(), max_response_size=4096) as client:
        with pytest.raises(ResponseValidationError, match="larger than 4096 bytes"):
            await client.webhooks.get(HOOK["id"])


async def test_a_chunked_response_larger_than_the_cap_is_refused() -> None:
    from aiohttp import web

    async def huge(request: web.Request) -> web.StreamResponse:
        if request.path.startswith("/wms/auth/"):
            return web.json_response(tokens())
        answer = web.StreamResponse()
        answer.enable_chunked_encoding()
        await answer.prepare(request)
        for _ in range(64):
            await answer.write(b"x" * 65536)
        return answer

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", huge)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    try:
        async with make_client(
            base_url=f"http://127.0.0.1:{port}", max_response_size=1 << 20
        ) as client:
            with pytest.raises(ResponseValidationError, match="larger than"):
                await client.webhooks.get(HOOK["id"])
    finally:
        await runner.cleanup()


GZIP = {"Content-Encoding": "gzip"}


@pytest.mark.parametrize("status", [200, 500])
async def test_a_gzip_body_that_inflates_past_the_cap_is_refused(status: int) -> None:
    # 50 KiB on the wire, 8 MiB inflated: Content-Length is the compressed size.
    bomb = gzip.compress(b'{"message": "' + b"x" * (8 << 20) + b'"}')
    assert len(bomb) < 64 * 1024
    async with (
        serving({HOOK_PATH: [(status, bomb)]}, headers=GZIP) as base_url,
        make_client(base_url=base_url, max_response_size=1 << 20, retry=no_retry()) as client,
    ):
        with pytest.raises(ResponseValidationError, match="larger than 1048576 bytes"):
            await client.webhooks.get(HOOK["id"])


async def test_a_small_gzip_body_is_read_whole() -> None:
    small = gzip.compress(json.dumps(HOOK).encode())
    async with (
        serving({HOOK_PATH: [(200, small)]}, headers=GZIP) as base_url,
        make_client(base_url=base_url) as client,
    ):
        assert (await client.webhooks.get(HOOK["id"])).id == HOOK["id"]


def test_the_response_cap_must_be_a_positive_integer() -> None:
    with pytest.raises(InvalidArgumentError, match="max_response_size"):
        make_client(max_response_size=0)


# --- the transport maps what aiohttp refuses to send ------------------------------------


async def test_a_header_aiohttp_refuses_is_our_error_not_a_value_error(
    mock: aioresponses, fake_time: FakeTime
) -> None:
    with pytest.raises(InvalidArgumentError, match="control characters"):
        make_client(customer_code="CUST\r\nX-Evil: 1")
    async with make_client(runtime=fake_time.runtime(), retry=no_retry()) as client:
        other = client.with_options(extra_headers={"X-Trace": "ok"})
        with pytest.raises(InvalidArgumentError, match="printable"):
            client.with_options(extra_headers={"X-Trace": "a\nb"})
        mock.post(LOGIN, payload=tokens())
        mock.get(HOOK_URL, payload=HOOK)
        assert (await other.webhooks.get(HOOK["id"])).id == HOOK["id"]


@pytest.mark.parametrize(
    "fields",
    [
        {"hash_secret": 12345},
        {"hash_secret": ["SECRETHASH"]},
        {"url": ["https://u:PASSW@e.com"]},
        {"group": {"hash_secret": "SECRETHASH"}},
        {"action": None},
    ],
)
def test_a_spec_with_a_field_that_is_not_text_is_refused(fields: dict[str, Any]) -> None:
    values: dict[str, Any] = {
        "url": "https://e.test/h",
        "group": "order",
        "action": "shipped",
        "hash_secret": "s",
        **fields,
    }
    with pytest.raises(InvalidArgumentError, match="must be a string") as caught:
        WebhookSpec(**values)
    assert "SECRETHASH" not in str(caught.value)
    assert "PASSW" not in str(caught.value)


async def test_a_secret_the_server_echoes_back_is_masked(
    mock: aioresponses, fake_time: FakeTime
) -> None:
    echo = {"message": "Invalid credentials for pw-SECRET-1", "errors": {"x": ["pw-SECRET-1"]}}
    mock.post(LOGIN, status=401, payload=echo)
    async with make_client(runtime=fake_time.runtime(), password="pw-SECRET-1") as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.webhooks.get(HOOK["id"])
    error = caught.value
    assert "pw-SECRET-1" not in str(error)
    assert "pw-SECRET-1" not in json.dumps(error.body)
    assert "pw-SECRET-1" not in json.dumps(error.errors)
    mock.post(LOGIN, payload=tokens())
    mock.post(
        f"{BASE}/webhooks/",
        status=400,
        payload={"errors": {"hash_secret": ["'whsec-LONG-SECRET' is too weak"]}},
    )
    async with make_client(runtime=fake_time.runtime()) as client:
        with pytest.raises(EWHError) as caught:
            await client.webhooks.create(
                url="https://e.test/h",
                group="order",
                action="shipped",
                hash_secret="whsec-LONG-SECRET",
            )
    assert "whsec-LONG-SECRET" not in str(caught.value)
    assert "whsec-LONG-SECRET" not in json.dumps(caught.value.errors)
