"""Request shapes and response mapping for every endpoint, with aioresponses."""

from __future__ import annotations

import json
import re
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses

from ewh_webhooks import (
    AuthenticationError,
    BadRequestError,
    EWHClient,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    ResponseValidationError,
    ServerError,
)

from .api_mock import HOOK, HOOK_URL, LOGIN, REFRESH, calls, sent_json, tokens
from .conftest import BASE, CREDS, FakeTime, make_client, no_retry


async def test_login_sends_credentials_and_wms_code_but_no_customer(
    api: EWHClient, mock: aioresponses
) -> None:
    mock.get(HOOK_URL, payload=HOOK)
    await api.webhooks.get(HOOK["id"])
    (login,) = calls(mock, "POST", LOGIN)
    assert sent_json(login) == {"username": "alice", "password": "pa55word-SECRET"}
    headers = login.kwargs["headers"]
    assert headers["X-Wms-Code"] == "WMS1"
    assert "X-Customer-Code" not in headers
    assert "Authorization" not in headers
    assert headers["Content-Type"] == "application/json"


async def test_get_sends_every_required_header(api: EWHClient, mock: aioresponses) -> None:
    mock.get(HOOK_URL, payload=HOOK)
    hook = await api.webhooks.get(HOOK["id"])
    assert hook.id == HOOK["id"]
    assert hook.topic == "order.shipped"
    (call,) = calls(mock, "GET", HOOK_URL)
    headers = call.kwargs["headers"]
    assert headers["Authorization"] == "Bearer tok1"
    assert headers["X-Wms-Code"] == "WMS1"
    assert headers["X-Customer-Code"] == "CUST1"
    assert headers["Accept"] == "application/json"
    assert headers["User-Agent"].startswith("ewh-webhooks/")
    assert re.fullmatch(r"[0-9a-f]{32}", headers["X-Request-Id"])
    assert call.kwargs["allow_redirects"] is False


async def test_list_page_passes_paging_and_sorting(api: EWHClient, mock: aioresponses) -> None:
    url = f"{BASE}/webhooks/?page=2&limit=10&sort=url&direction=desc"
    mock.get(
        url,
        payload={
            "count": 11,
            "next": None,
            "previous": f"{BASE}/webhooks/?page=1",
            "results": [HOOK],
        },
    )
    page = await api.webhooks.list_page(page=2, limit=10, sort="url", direction="desc")
    assert page.count == 11
    assert page.next is None
    assert page.previous is not None
    assert [h.id for h in page.results] == [HOOK["id"]]
    ((_, sent),) = [key for key in mock.requests if key[0] == "GET" and key[1].path == "/webhooks/"]
    assert dict(sent.query) == {"page": "2", "limit": "10", "sort": "url", "direction": "desc"}


async def test_create_posts_all_four_fields(api: EWHClient, mock: aioresponses) -> None:
    mock.post(f"{BASE}/webhooks/", status=201, payload={**HOOK, "hash_secret": "s3cret"})
    hook = await api.webhooks.create(
        url=HOOK["url"], group="order", action="shipped", hash_secret="s3cret"
    )
    assert hook.hash_secret == "s3cret"
    (call,) = calls(mock, "POST", f"{BASE}/webhooks/")
    assert sent_json(call) == {
        "url": HOOK["url"],
        "group": "order",
        "action": "shipped",
        "hash_secret": "s3cret",
    }
    assert call.kwargs["headers"]["Content-Type"] == "application/json"


async def test_create_accepts_200_as_well(api: EWHClient, mock: aioresponses) -> None:
    mock.post(f"{BASE}/webhooks/", status=200, payload=HOOK)
    assert (
        await api.webhooks.create(url=HOOK["url"], group="order", action="shipped", hash_secret="s")
    ).id


async def test_update_patches_only_given_fields(api: EWHClient, mock: aioresponses) -> None:
    mock.patch(HOOK_URL, payload={**HOOK, "url": "https://example.com/new"})
    hook = await api.webhooks.update(HOOK["id"], url="https://example.com/new")
    assert hook.url == "https://example.com/new"
    (call,) = calls(mock, "PATCH", HOOK_URL)
    assert sent_json(call) == {"url": "https://example.com/new"}


async def test_update_can_resend_a_secret(api: EWHClient, mock: aioresponses) -> None:
    mock.patch(HOOK_URL, payload=HOOK)
    await api.webhooks.update(HOOK["id"], hash_secret="rotated")
    assert sent_json(calls(mock, "PATCH", HOOK_URL)[0]) == {"hash_secret": "rotated"}


async def test_delete_sends_one_delete_and_reads_no_body(
    api: EWHClient, mock: aioresponses
) -> None:
    mock.delete(HOOK_URL, status=204)
    await api.webhooks.delete(HOOK["id"])
    (call,) = calls(mock, "DELETE", HOOK_URL)
    assert call.kwargs["data"] is None
    assert "Content-Type" not in call.kwargs["headers"]


@pytest.mark.parametrize(
    ("status", "body", "cls", "fragment"),
    [
        (400, {"errors": {"url": ["Must be https."]}}, BadRequestError, "url: Must be https."),
        (
            401,
            {"code": 401, "message": "Invalid JWT Token"},
            AuthenticationError,
            "Invalid JWT Token",
        ),
        (403, {"code": 403, "message": "Access denied"}, PermissionDeniedError, "Access denied"),
        (404, {"code": 404, "message": "Not Found"}, NotFoundError, "404 Not Found"),
        (500, {"code": 500, "message": "boom"}, ServerError, "boom"),
    ],
)
async def test_error_statuses_map_with_method_and_path(
    mock: aioresponses,
    fake_time: FakeTime,
    status: int,
    body: Any,
    cls: type[Exception],
    fragment: str,
) -> None:
    mock.post(LOGIN, payload=tokens())
    mock.post(REFRESH, payload=tokens(2))
    mock.get(HOOK_URL, status=status, payload=body, repeat=True)
    async with make_client(runtime=fake_time.runtime(), retry=no_retry()) as client:
        with pytest.raises(cls) as info:
            await client.webhooks.get(HOOK["id"])
    message = str(info.value)
    assert message.startswith(f"GET /webhooks/{HOOK['id']}/ failed: {status}")
    assert fragment in message
    assert "pa55word" not in message
    assert "tok1" not in message


async def test_html_502_is_a_server_error_after_retries(
    api: EWHClient, mock: aioresponses, fake_time: FakeTime
) -> None:
    page = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    mock.get(HOOK_URL, status=502, body=page, content_type="text/html", repeat=True)
    with pytest.raises(ServerError, match="502 Bad Gateway"):
        await api.webhooks.get(HOOK["id"])
    assert len(calls(mock, "GET", HOOK_URL)) == 4  # 1 + 3 retries
    assert fake_time.sleeps == [0.5, 1.0, 2.0]


@pytest.mark.parametrize(
    "body",
    ["not json", json.dumps([1, 2]), json.dumps({"id": "x"}), json.dumps({**HOOK, "url": None})],
)
async def test_malformed_success_bodies_raise_response_validation_error(
    api: EWHClient, mock: aioresponses, body: str
) -> None:
    mock.get(HOOK_URL, body=body, content_type="application/json")
    with pytest.raises(ResponseValidationError):
        await api.webhooks.get(HOOK["id"])


async def test_401_refreshes_once_and_retries_once(api: EWHClient, mock: aioresponses) -> None:
    mock.get(HOOK_URL, status=401, payload={"code": 401, "message": "Expired JWT Token"})
    mock.post(REFRESH, payload=tokens(2))
    mock.get(HOOK_URL, payload=HOOK)
    await api.webhooks.get(HOOK["id"])
    (refresh,) = calls(mock, "POST", REFRESH)
    assert sent_json(refresh) == {"refresh_token": "ref1"}
    assert refresh.kwargs["headers"]["X-Customer-Code"] == "CUST1"
    first, second = calls(mock, "GET", HOOK_URL)
    assert first.kwargs["headers"]["Authorization"] == "Bearer tok1"
    assert second.kwargs["headers"]["Authorization"] == "Bearer tok2"


async def test_failed_refresh_falls_back_to_login(api: EWHClient, mock: aioresponses) -> None:
    mock.get(HOOK_URL, status=401, payload={"code": 401, "message": "Expired JWT Token"})
    mock.post(REFRESH, status=401, payload={"code": 401, "message": "Invalid JWT Refresh Token"})
    mock.post(LOGIN, payload=tokens(3))
    mock.get(HOOK_URL, payload=HOOK)
    await api.webhooks.get(HOOK["id"])
    assert len(calls(mock, "POST", LOGIN)) == 2
    assert calls(mock, "GET", HOOK_URL)[1].kwargs["headers"]["Authorization"] == "Bearer tok3"


async def test_second_401_raises_authentication_error(api: EWHClient, mock: aioresponses) -> None:
    mock.get(
        HOOK_URL, status=401, payload={"code": 401, "message": "Invalid JWT Token"}, repeat=True
    )
    mock.post(REFRESH, payload=tokens(2))
    with pytest.raises(AuthenticationError, match="Invalid JWT Token"):
        await api.webhooks.get(HOOK["id"])
    assert len(calls(mock, "GET", HOOK_URL)) == 2
    assert len(calls(mock, "POST", REFRESH)) == 1


async def test_bad_credentials_raise_authentication_error_without_the_password(
    mock: aioresponses, fake_time: FakeTime
) -> None:
    mock.post(LOGIN, status=401, payload={"code": 401, "message": "Invalid credentials."})
    async with make_client(runtime=fake_time.runtime()) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.webhooks.get(HOOK["id"])
    assert "Invalid credentials." in str(info.value)
    assert "pa55word" not in str(info.value)
    assert "pa55word" not in repr(info.value.body)


async def test_token_is_refreshed_before_it_expires(
    mock: aioresponses, fake_time: FakeTime
) -> None:
    mock.post(LOGIN, payload=tokens(1, lifetime=3600))
    mock.post(REFRESH, payload=tokens(2, lifetime=3600))
    mock.get(HOOK_URL, payload=HOOK, repeat=True)
    async with make_client(runtime=fake_time.runtime()) as client:
        await client.webhooks.get(HOOK["id"])
        fake_time.now += 3600 - 30  # inside the 60 s margin
        await client.webhooks.get(HOOK["id"])
    assert len(calls(mock, "POST", REFRESH)) == 1
    assert calls(mock, "GET", HOOK_URL)[1].kwargs["headers"]["Authorization"] == "Bearer tok2"


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"url": "http://example.com/h"}, "https"),
        ({"url": "example.com/h"}, "absolute"),
        ({"url": ""}, "url"),
        ({"hash_secret": ""}, "hash_secret"),
        ({"group": "order", "action": "teleported"}, "unknown webhook topic 'order.teleported'"),
        ({"group": "pallet", "action": "created"}, "known groups"),
    ],
)
async def test_create_checks_arguments_before_any_request(
    api: EWHClient, mock: aioresponses, kwargs: dict[str, str], fragment: str
) -> None:
    args = {
        "url": "https://example.com/h",
        "group": "order",
        "action": "shipped",
        "hash_secret": "s",
        **kwargs,
    }
    with pytest.raises(InvalidArgumentError, match=fragment):
        await api.webhooks.create(**args)
    assert not calls(mock, "POST", LOGIN)


async def test_unknown_topic_is_allowed_with_the_opt_out(
    api: EWHClient, mock: aioresponses
) -> None:
    mock.post(
        f"{BASE}/webhooks/", status=201, payload={**HOOK, "group": "pallet", "action": "moved"}
    )
    hook = await api.webhooks.create(
        url=HOOK["url"], group="pallet", action="moved", hash_secret="s", validate_topic=False
    )
    assert hook.topic == "pallet.moved"


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda c: c.webhooks.get(""), "webhook id"),
        (lambda c: c.webhooks.get("../auth"), "not a valid id"),
        (lambda c: c.webhooks.update(HOOK["id"]), "at least one"),
        (lambda c: c.webhooks.update(HOOK["id"], action="teleported"), "unknown webhook action"),
        (lambda c: c.webhooks.list_page(page=0), "page"),
        (lambda c: c.webhooks.list_page(limit=0), "limit"),
        (lambda c: c.webhooks.list_page(direction="up"), "direction"),
    ],
)
async def test_bad_arguments_fail_fast(
    api: EWHClient, mock: aioresponses, call: Any, fragment: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=fragment):
        await call(api)
    assert not calls(mock, "POST", LOGIN)


def test_repr_and_errors_never_show_the_password() -> None:
    client = make_client()
    assert "pa55word" not in repr(client)
    with pytest.raises(InvalidArgumentError) as info:
        make_client(password="")
    assert "password" in str(info.value)


@pytest.mark.parametrize(
    ("base_url", "ok"),
    [
        ("eu", "https://eu.middleware.ewarehousing-solutions.com"),
        ("eu-dev", "https://eu-dev.middleware.ewarehousing-solutions.com"),
        ("us", "https://us.middleware.ewarehousing-solutions.com"),
        ("https://proxy.test/", "https://proxy.test"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://localhost:8080", "http://localhost:8080"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        ("http://api.test", None),
        ("ftp://api.test", None),
        ("nowhere", None),
    ],
)
def test_base_url_presets_and_https_rule(base_url: str, ok: str | None) -> None:
    if ok is None:
        with pytest.raises(InvalidArgumentError):
            make_client(base_url=base_url)
    else:
        assert make_client(base_url=base_url).base_url == ok


def test_from_env_reads_variables_and_names_missing_ones() -> None:
    env = {
        "EWH_USERNAME": "u",
        "EWH_PASSWORD": "p",
        "EWH_WMS_CODE": "W",
        "EWH_CUSTOMER_CODE": "C",
        "EWH_BASE_URL": "us",
    }
    client = EWHClient.from_env(env)
    assert client.customer_code == "C"
    assert client.base_url.startswith("https://us.")
    assert EWHClient.from_env(env, customer_code="D").customer_code == "D"
    with pytest.raises(InvalidArgumentError, match="EWH_PASSWORD, EWH_WMS_CODE"):
        EWHClient.from_env({"EWH_USERNAME": "u", "EWH_CUSTOMER_CODE": "C"})


async def test_for_customer_shares_the_token(api: EWHClient, mock: aioresponses) -> None:
    mock.get(HOOK_URL, payload=HOOK, repeat=True)
    other = api.for_customer("CUST2")
    await api.webhooks.get(HOOK["id"])
    await other.webhooks.get(HOOK["id"])
    assert len(calls(mock, "POST", LOGIN)) == 1
    first, second = calls(mock, "GET", HOOK_URL)
    assert first.kwargs["headers"]["X-Customer-Code"] == "CUST1"
    assert second.kwargs["headers"]["X-Customer-Code"] == "CUST2"
    await other.aclose()  # a view: closing it leaves the parent open
    assert not api.closed


async def test_injected_session_is_used_and_never_closed(
    mock: aioresponses, fake_time: FakeTime
) -> None:
    mock.post(LOGIN, payload=tokens())
    mock.get(HOOK_URL, payload=HOOK)
    async with aiohttp.ClientSession() as session:
        async with make_client(session=session, runtime=fake_time.runtime()) as client:
            await client.webhooks.get(HOOK["id"])
        assert not session.closed


async def test_closed_client_raises_a_clear_error() -> None:
    client = make_client()
    await client.aclose()
    from ewh_webhooks import ClientClosedError

    with pytest.raises(ClientClosedError, match="closed"):
        await client.webhooks.get(HOOK["id"])


def test_credentials_are_required() -> None:
    with pytest.raises(InvalidArgumentError, match="wms_code"):
        EWHClient(**{**CREDS, "wms_code": " "})


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"rate_limit": (60, 60.0)}, "RateLimit"),
        ({"max_in_flight": 0}, "max_in_flight"),
        ({"timeout": -1}, "Timeout.total"),
        ({"timeout": "soon"}, "timeout must be"),
        ({"retry": 3}, "RetryPolicy"),
        ({"session": object()}, "ClientSession"),
    ],
)
def test_bad_settings_are_rejected_at_construction(kwargs: dict[str, Any], fragment: str) -> None:
    with pytest.raises(InvalidArgumentError, match=fragment):
        make_client(**kwargs)
