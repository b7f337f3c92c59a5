"""JWT token state: login, single-use refresh tokens, single-flight renewal.

However many tasks find the token expired at once, exactly one renews it while
the others wait for the result. A refresh token is dropped the moment it is sent,
so it can never be sent twice; when refresh fails, we log in again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import attrs

from .errors import APIConnectionError, APIError, ResponseValidationError
from .models import Tokens

__all__ = ["TokenManager", "renewal_due"]

log = logging.getLogger("ewh_webhooks.auth")

# Renew this long before `exp` (or a quarter of the lifetime for short-lived tokens),
# so a request never leaves with a token that dies on the way.
DEFAULT_REFRESH_MARGIN = 60.0


@attrs.frozen(slots=True, kw_only=True)
class _TokenState:
    token: str = attrs.field(repr=False)
    refresh_token: str | None = attrs.field(repr=False)
    # Local monotonic time at which to renew: immune to clock skew with the server.
    renew_at: float


def renewal_due(tokens: Tokens, *, received_at: float, wall_now: float, margin: float) -> float:
    """Monotonic time at which to renew `tokens`, received at monotonic `received_at`.

    The lifetime is `exp - iat` when the server gave both (its own clock on both
    sides), else `exp - wall_now`; without a usable `exp` the token is renewed only
    on a 401.
    """
    if tokens.exp is None:
        return float("inf")
    lifetime = tokens.exp - (tokens.iat if tokens.iat is not None else wall_now)
    if lifetime <= 0:
        # Expired on arrival by our clock: a skewed clock, not a dead token, is the
        # likely cause. Renewing before every request would burn refresh tokens, so
        # wait for the server's 401 instead.
        return float("inf")
    return received_at + lifetime - min(margin, lifetime / 4)


class TokenManager:
    """Hands out a valid bearer token; shared by every client of one login."""

    def __init__(
        self,
        *,
        login: Callable[[], Awaitable[Tokens]],
        refresh: Callable[[str], Awaitable[Tokens]],
        clock: Callable[[], float],
        wall_clock: Callable[[], float],
        margin: float = DEFAULT_REFRESH_MARGIN,
    ) -> None:
        self._login = login
        self._refresh = refresh
        self._clock = clock
        self._wall_clock = wall_clock
        self._margin = margin
        self._state: _TokenState | None = None
        self._lock = asyncio.Lock()

    def _valid(self, state: _TokenState | None) -> bool:
        return state is not None and self._clock() < state.renew_at

    async def token(self) -> str:
        state = self._state
        if state is not None and self._valid(state):
            return state.token
        async with self._lock:
            # Another task may have renewed while we waited for the lock.
            if self._state is not None and self._valid(self._state):
                return self._state.token
            return await self._renew()

    async def invalidate(self, stale_token: str) -> str:
        """After a 401 with `stale_token`: renew unless another task already did."""
        async with self._lock:
            if self._state is not None and self._state.token != stale_token:
                return self._state.token
            return await self._renew()

    async def _renew(self) -> str:
        state = self._state
        tokens: Tokens | None = None
        if state is not None and state.refresh_token:
            refresh_token = state.refresh_token
            # Single use: forget it before sending, whatever the outcome.
            self._state = attrs.evolve(state, refresh_token=None, renew_at=float("-inf"))
            try:
                tokens = await self._refresh(refresh_token)
                log.debug("token refreshed")
            except (APIError, APIConnectionError, ResponseValidationError) as exc:
                log.debug("token refresh failed (%s); logging in again", type(exc).__name__)
        if tokens is None:
            tokens = await self._login()
            log.debug("logged in")
        self._state = _TokenState(
            token=tokens.token,
            refresh_token=tokens.refresh_token,
            renew_at=renewal_due(
                tokens, received_at=self._clock(), wall_now=self._wall_clock(), margin=self._margin
            ),
        )
        return tokens.token
