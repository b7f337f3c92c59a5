"""Error mapping and body decoding: whatever the body, the right error and a readable message."""

from __future__ import annotations

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
from ewh_webhooks.sansio import (
    Response,
    decode_json,
    error_from_response,
    normalize_field_errors,
    user_agent,
)


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
