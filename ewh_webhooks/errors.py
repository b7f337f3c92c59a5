"""The exception hierarchy: every error this SDK raises derives from `EWHError`.

Messages name the method and path that failed and never contain secrets: bodies
are parsed for `message`/`errors` only, and request headers are never included.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "EWHError",
    "InvalidArgumentError",
    "InvalidEventError",
    "InvalidSignatureError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseValidationError",
    "ServerError",
    "StoreError",
]


class EWHError(Exception):
    """Root of every error raised by `ewh_webhooks`."""


class InvalidArgumentError(EWHError, ValueError):
    """An argument or setting was rejected before any request was sent."""


class ClientClosedError(EWHError, RuntimeError):
    """The client (or the client it shares a session with) has been closed."""


class StoreError(EWHError):
    """A store (an inbox, a dedup store) could not do its work: its database or server
    is unreachable, locked past its timeout, or refused the write. Nothing was stored;
    a receiver answers 503 on it, so the sender delivers again."""


class InvalidSignatureError(EWHError):
    """A delivered webhook's `X-Hmac-Sha256` signature is missing, malformed or wrong."""


class ResponseValidationError(EWHError):
    """A response body that is not JSON or does not fit the expected model."""

    def __init__(self, message: str, *, body: Any = None) -> None:
        super().__init__(message)
        self.body = body


class InvalidEventError(EWHError):
    """A delivered event that is correctly signed but not JSON or not an event envelope.

    Not a `ResponseValidationError`: a delivery is a request made to us, not a
    response to one of our calls.
    """

    def __init__(self, message: str, *, body: Any = None) -> None:
        super().__init__(message)
        self.body = body


class APIConnectionError(EWHError):
    """The request did not produce an HTTP response (refused, reset, DNS, TLS...).

    `request_sent` is False only when the failure happened before any byte of the
    request reached the server, so the server cannot have acted on it; a POST is
    retried only then.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        path: str = "",
        request_id: str | None = None,
        request_sent: bool = True,
    ) -> None:
        super().__init__(message)
        self.method = method
        self.path = path
        self.request_id = request_id
        self.request_sent = request_sent


class APITimeoutError(APIConnectionError):
    """The request timed out (connect, read or total)."""


class APIError(EWHError):
    """The server answered with an error status.

    Attributes: `status`, `body` (parsed JSON, or the text when it was not JSON),
    `errors` (field name -> list of messages, from 400 bodies; key "0" holds global
    messages), `request_id` (the `X-Request-Id` this client sent), `method`, `path`.
    """

    status: int = 0

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        body: Any = None,
        errors: Mapping[str, list[str]] | None = None,
        request_id: str | None = None,
        method: str = "",
        path: str = "",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status
        self.body = body
        self.errors: dict[str, list[str]] = dict(errors or {})
        self.request_id = request_id
        self.method = method
        self.path = path
        self.headers: dict[str, str] = dict(headers or {})


class BadRequestError(APIError):
    """400: the request was invalid; `errors` maps each field to its messages."""

    status = 400


class AuthenticationError(APIError):
    """401: bad credentials, or a token still refused after one renewal."""

    status = 401


class PermissionDeniedError(APIError):
    """403: the login lacks the role, or the customer is not one of its customers."""

    status = 403


class NotFoundError(APIError):
    """404: no such webhook for this customer (or a page past the last one)."""

    status = 404


class RateLimitError(APIError):
    """429 Too Many Requests; `retry_after` is the server's wait in seconds, if it gave one."""

    status = 429

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(APIError):
    """Any 5xx answer, including HTML error pages from a proxy."""
