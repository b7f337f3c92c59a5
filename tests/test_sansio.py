"""Error mapping and body decoding: whatever the body, the right error and a readable message."""

from __future__ import annotations

import platform
from http import HTTPStatus

import pytest

from ewh_webhooks import (
    APIError,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
    ServerError,
)
from ewh_webhooks.error_bodies import error_from_response, normalize_field_errors
from ewh_webhooks.sansio import Response, decode_json, user_agent


def response(status: int, body: bytes, headers: dict[str, str] | None = None) -> Response:
    return Response(
        status=status,
        headers=headers or {},
        body=body,
        method="GET",
        path="/webhooks/",
        request_id="rid",
    )


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (405, APIError),
        (409, APIError),
        (429, RateLimitError),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (599, ServerError),
    ],
)
def test_status_maps_to_its_error_class(status: int, cls: type[APIError]) -> None:
    error = error_from_response(response(status, b'{"code": 1, "message": "nope"}'))
    assert type(error) is cls
    assert error.status == status
    assert error.request_id == "rid"
    assert str(error).startswith(f"GET /webhooks/ failed: {status}")
    assert "nope" in str(error)


def test_validation_body_becomes_field_errors_and_message() -> None:
    body = b'{"errors": {"url": ["This value is not a valid URL."], "0": "Unknown topic."}}'
    error = error_from_response(response(400, body))
    assert isinstance(error, BadRequestError)
    assert error.errors == {"url": ["This value is not a valid URL."], "0": ["Unknown topic."]}
    assert "url: This value is not a valid URL." in str(error)
    assert "Unknown topic." in str(error)


def test_html_502_from_a_proxy_is_a_readable_server_error() -> None:
    html = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502</h1></body></html>"
    error = error_from_response(response(502, html))
    assert isinstance(error, ServerError)
    assert str(error) == "GET /webhooks/ failed: 502 Bad Gateway"
    assert error.body == html.decode()


def test_html_without_title_is_stripped_and_shortened() -> None:
    error = error_from_response(response(500, b"<p>" + b"x" * 500 + b"</p>"))
    assert "<p>" not in str(error)
    assert len(str(error)) < 300


@pytest.mark.parametrize("body", [b"", b"null", b"[1, 2]", b'"text"', b"\xff\xfe"])
def test_odd_error_bodies_never_break_mapping(body: bytes) -> None:
    error = error_from_response(response(500, body))
    assert isinstance(error, ServerError)


def test_rate_limit_error_carries_retry_after() -> None:
    error = error_from_response(response(429, b"{}"), retry_after=12.0)
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 12.0


def test_redirect_names_its_target() -> None:
    error = error_from_response(response(301, b"", {"Location": "/webhooks/x/"}))
    assert "redirect to '/webhooks/x/' not followed" in str(error)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"url": ["a", "b"]}, {"url": ["a", "b"]}),
        ({"0": "global"}, {"0": ["global"]}),
        ({"n": 5}, {"n": ["5"]}),
        (["x", "y"], {"0": ["x", "y"]}),
        ("only", {"0": ["only"]}),
        (None, {}),
        (42, {}),
    ],
)
def test_normalize_field_errors(raw: object, expected: dict[str, list[str]]) -> None:
    assert normalize_field_errors(raw) == expected


def test_decode_json_wraps_bad_json() -> None:
    with pytest.raises(
        ResponseValidationError, match="GET /webhooks/ returned 200 with a body that is not JSON"
    ):
        decode_json(response(200, b"<html>oops</html>"))


def test_user_agent_names_versions_only() -> None:
    agent = user_agent()
    assert agent.startswith("ewh-webhooks/")
    assert " python/" in agent
    assert " aiohttp/" in agent


def auth_response(status: int, body: bytes) -> Response:
    return Response(status=status, headers={}, body=body, method="POST", path="/wms/auth/login/")


def test_user_agent_names_this_python() -> None:
    assert f" python/{platform.python_version()} " in user_agent()


def test_a_body_that_is_not_json_is_quoted_redacted_and_kept() -> None:
    with pytest.raises(ResponseValidationError) as caught:
        decode_json(response(200, b"<html>token=abc</html>"))
    assert str(caught.value) == (
        "GET /webhooks/ returned 200 with a body that is not JSON: '<html>token=***</html>'"
    )
    assert caught.value.body == "<html>token=***</html>"


def test_an_auth_body_that_is_not_json_is_never_quoted_nor_kept() -> None:
    with pytest.raises(ResponseValidationError) as caught:
        decode_json(auth_response(200, b"token=abc"))
    assert str(caught.value) == (
        "POST /wms/auth/login/ returned 200 with a body that is not JSON: "
        "(9 bytes, not shown: it may carry tokens)"
    )
    assert caught.value.body is None


def test_an_auth_error_page_is_neither_quoted_nor_kept() -> None:
    error = error_from_response(auth_response(401, b"<p>wrong password=hunter2</p>"))
    assert str(error) == "POST /wms/auth/login/ failed: 401 Unauthorized"
    assert error.body is None


MESSAGE = "GET /webhooks/ failed: "


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        pytest.param(
            500, b'{"detail": "Disk full"}', "500 Internal Server Error: Disk full", id="detail"
        ),
        pytest.param(
            500, b'{"error": "Disk full"}', "500 Internal Server Error: Disk full", id="error"
        ),
        pytest.param(
            500, b'{"title": "Disk full"}', "500 Internal Server Error: Disk full", id="title"
        ),
        pytest.param(
            500,
            b'{"message": "first", "detail": "second", "error": "third"}',
            "500 Internal Server Error: first",
            id="message-wins",
        ),
        pytest.param(
            500,
            b'{"message": {"code": 7}, "detail": "Disk full"}',
            "500 Internal Server Error: Disk full",
            id="only-strings-count",
        ),
        pytest.param(
            400,
            b'{"message": "Invalid input.", "errors": {"url": ["bad"]}}',
            "400 Bad Request: Invalid input.",
            id="a-message-beats-field-errors",
        ),
        pytest.param(
            400,
            b'{"errors": {"url": ["bad", "too long"], "0": ["Unknown", "topic."]}}',
            "400 Bad Request: url: bad too long; Unknown topic.",
            id="field-errors-joined",
        ),
        pytest.param(500, b"[1, 2]", "500 Internal Server Error", id="no-detail-in-a-list"),
        pytest.param(599, b"", "599", id="an-unknown-status-has-no-reason"),
        pytest.param(
            404, b'{"detail": "Not Found."}', "404 Not Found", id="the-reason-is-said-once"
        ),
        pytest.param(
            502, b"<p>502 bad gateway</p>", "502 Bad Gateway", id="status-and-reason-once"
        ),
        pytest.param(
            404, b'{"detail": "Not FoundX"}', "404 Not Found: Not FoundX", id="near-reason"
        ),
        pytest.param(
            503,
            b"<title>Down until 10:00</title><body>details</body>",
            "503 Service Unavailable: Down until 10:00",
            id="the-title-is-the-detail",
        ),
        pytest.param(
            500,
            b"<head><title>Outage</title></head><body><svg><title>icon</title></svg></body>",
            "500 Internal Server Error: Outage",
            id="the-first-title",
        ),
        pytest.param(
            500,
            b"5 > 4 <title>Down</title>",
            "500 Internal Server Error: Down",
            id="a-greater-than-sign-before-the-title",
        ),
        pytest.param(
            500,
            b"</title> stray <title>Down</title>",
            "500 Internal Server Error: Down",
            id="a-stray-closing-tag-before-the-title",
        ),
        pytest.param(
            500,
            b"<title Down </title",
            "500 Internal Server Error: <title Down </title",
            id="an-unfinished-title-tag-is-text",
        ),
        pytest.param(
            503,
            b"<title></title><body>Service down</body>",
            "503 Service Unavailable",
            id="an-empty-title-adds-nothing",
        ),
        pytest.param(
            500,
            b"<p>Disk</p><p>full</p>",
            "500 Internal Server Error: Disk full",
            id="tags-become-spaces",
        ),
        pytest.param(
            500,
            b"x" * 200,
            "500 Internal Server Error: " + "x" * 200,
            id="two-hundred-characters-are-shown-whole",
        ),
        pytest.param(
            500,
            b"x" * 201,
            "500 Internal Server Error: " + "x" * 200 + "...",
            id="longer-is-cut-at-two-hundred",
        ),
    ],
)
def test_the_message_is_the_status_line_and_the_bodys_own_words(
    status: int, body: bytes, message: str
) -> None:
    assert str(error_from_response(response(status, body))) == MESSAGE + message


def test_an_error_keeps_its_body_with_secrets_redacted() -> None:
    error = error_from_response(response(500, b'{"message": "x", "token": "abc"}'))
    assert error.body == {"message": "x", "token": "***"}


@pytest.mark.parametrize(
    ("status", "redirect"),
    [
        pytest.param(300, True, id="300"),
        pytest.param(301, True, id="301"),
        pytest.param(399, True, id="399"),
        pytest.param(400, False, id="400-is-not-a-redirect"),
    ],
)
def test_only_a_3xx_names_where_it_redirects(status: int, redirect: bool) -> None:
    error = error_from_response(response(status, b"", {"Location": "https://u:pw@h.test/x"}))
    reason = HTTPStatus(status).phrase if status != 399 else ""
    line = f"{MESSAGE}{status} {reason}".rstrip()
    if redirect:
        line += " (redirect to 'https://u:***@h.test/x' not followed; check base_url)"
    assert str(error) == line


def test_an_error_keeps_the_response_headers_but_no_cookie() -> None:
    headers = {"Retry-After": "3", "set-cookie": "a=1", "Set-Cookie": "b=2", "X-Id": "7"}
    error = error_from_response(response(503, b"", headers))
    assert error.headers == {"Retry-After": "3", "X-Id": "7"}


def test_a_quoted_excerpt_that_was_cut_always_says_so() -> None:
    with pytest.raises(ResponseValidationError) as caught:
        decode_json(response(200, ("\N{GRINNING FACE}" * 300).encode()))
    assert str(caught.value).endswith("...'")


def test_a_body_that_fits_the_excerpt_exactly_is_quoted_whole() -> None:
    # 200 four-byte characters: 800 bytes, the most the excerpt reads, and nothing cut.
    body = "\N{GRINNING FACE}" * 200
    with pytest.raises(ResponseValidationError) as caught:
        decode_json(response(200, body.encode()))
    assert str(caught.value).endswith(body + "'")


@pytest.mark.parametrize("body", [b"", b"<p>down</p>", b"[1]", b'{"message": "down"}'])
def test_an_error_without_field_errors_has_an_empty_mapping_of_them(body: bytes) -> None:
    assert error_from_response(response(503, body)).errors == {}


@pytest.mark.parametrize("name", ["Location", "content-location", "Content-Location"])
def test_an_error_keeps_no_credentials_of_a_location_header(name: str) -> None:
    headers = {name: "https://alice:pw@other.test/x?token=t", "X-Id": "7"}
    error = error_from_response(response(404, b"", headers))
    assert error.headers == {name: "https://alice:***@other.test/x?token=***", "X-Id": "7"}


def test_other_headers_are_kept_exactly_as_sent() -> None:
    # Only Location headers are URLs to redact: another value is never reparsed as one
    # (a round trip through urlsplit would drop this bare "?").
    headers = {"X-Cache-Key": "/webhooks/?", "Retry-After": "3"}
    assert error_from_response(response(503, b"", headers)).headers == headers


def test_a_field_error_that_is_not_text_is_shown_briefly() -> None:
    errors = normalize_field_errors({"url": [["too", "long"], {"max": 200}], "n": 7})
    assert errors == {"url": ["['too', 'long']", "{'max': 200}"], "n": ["7"]}


@pytest.mark.parametrize(
    ("page", "detail"),
    [
        (b"<title>Bad &amp; Ugly</title>", "Bad & Ugly"),
        (b"<p>Tom &lt;3 Jerry</p>", "Tom <3 Jerry"),
        (b"<title>Plain</title>", "Plain"),
    ],
)
def test_an_html_pages_entities_are_unescaped(page: bytes, detail: str) -> None:
    assert str(error_from_response(response(418, page))).endswith(f": {detail}")
