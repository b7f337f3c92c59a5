"""The two auth endpoints as calls through the request loop: login with the client's
credentials, refresh with a single-use refresh token. `TokenManager` decides when to
call them; this module only knows how."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import attrs

from .config import Timeout
from .converter import structure
from .errors import ResponseValidationError
from .models import Tokens
from .retry import RetryPolicy
from .sansio import Response, decode_json
from .validation import is_header_safe

__all__ = ["LOGIN_PATH", "REFRESH_PATH", "Credentials", "LoginCalls"]

LOGIN_PATH = "/wms/auth/login/"
REFRESH_PATH = "/wms/auth/refresh/"

Send = Callable[..., Awaitable[Response]]


@attrs.frozen(slots=True, kw_only=True)
class Credentials:
    """Who logs in: the password never reaches a repr."""

    username: str
    password: str = attrs.field(repr=False)
    wms_code: str


class LoginCalls:
    """`login()` and `refresh(token)`, sent with `send` (the request loop's `request`)
    unauthenticated, with the retry policy and timeout of the client that made them."""

    def __init__(
        self,
        send: Send,
        *,
        credentials: Credentials,
        default_customer: str,
        retry: RetryPolicy,
        timeout: Timeout,
    ) -> None:
        self._send = send
        self._credentials = credentials
        self._default_customer = default_customer
        self._retry = retry
        self._timeout = timeout

    async def login(self) -> Tokens:
        """POST the credentials (no customer: one login serves several)."""
        credentials = self._credentials
        body = {"username": credentials.username, "password": credentials.password}
        return await self._call(LOGIN_PATH, body, customer=None)

    async def refresh(self, refresh_token: str) -> Tokens:
        """Trade a refresh token (good once) for new tokens."""
        body = {"refresh_token": refresh_token}
        return await self._call(REFRESH_PATH, body, customer=self._default_customer)

    async def _call(self, path: str, body: dict[str, Any], customer: str | None) -> Tokens:
        response = await self._send(
            "POST",
            path,
            customer=customer,
            json_body=body,
            authenticated=False,
            retry=self._retry,
            timeout=self._timeout,
        )
        tokens = structure(decode_json(response), Tokens, what=f"POST {path} response")
        if not is_header_safe(tokens.token):
            # It goes into the Authorization header of every request: refuse it here,
            # where the message can say what is wrong (never what the token is).
            raise ResponseValidationError(
                f"POST {path} returned a token that cannot be sent in a header"
            )
        return tokens
