"""JWT token state: login, single-use refresh tokens, single-flight renewal.

However many tasks find the token expired at once, exactly one renewal runs while
the others wait for its outcome: its token, or its failure (a login answering 401
is tried once for all the waiters, not once each). A refresh token is dropped the
moment it is sent, so it can never be sent twice; when refresh fails, we log in again.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable

import attrs

from .errors import APIConnectionError, APIError, ResponseValidationError
from .models import Tokens

__all__ = ["TokenManager", "renewal_due"]

log = logging.getLogger("ewh_webhooks.auth")

# Renew this long before `exp` (or a quarter of the lifetime for short-lived tokens),
# so a request never leaves with a token that dies on the way.
DEFAULT_REFRESH_MARGIN = 60.0
# A token said to live less than this is renewed on a 401 only, never ahead of time.
MIN_LIFETIME = 1.0

RenewalHook = Callable[[str, float, BaseException | None], None]
"""`on_renewal(kind, elapsed, error)`: kind is "refresh" or "login"."""


@attrs.frozen(slots=True, kw_only=True)
class _TokenState:
    token: str = attrs.field(repr=False)
    refresh_token: str | None = attrs.field(repr=False)
    # Local monotonic time at which to renew: immune to clock skew with the server.
    renew_at: float


def renewal_due(tokens: Tokens, *, received_at: float, wall_now: float, margin: float) -> float:
    """Monotonic time at which to renew `tokens`, received at monotonic `received_at`.

    The lifetime is `exp - iat` when the server gave both (its own clock on both
    sides), else `exp - wall_now`; without a usable `exp` (missing, NaN, infinite)
    the token is renewed only on a 401, as it is when the lifetime is under
    `MIN_LIFETIME` (a second).
    """
    if tokens.exp is None:
        return math.inf
    lifetime = tokens.exp - (tokens.iat if tokens.iat is not None else wall_now)
    if not math.isfinite(lifetime):
        return math.inf
    if lifetime < MIN_LIFETIME:
        # Expired on arrival by our clock (a skewed clock, not a dead token, is the
        # likely cause), or a lifetime no request could use: renewing before every
        # request would burn refresh tokens, so wait for the server's 401 instead.
        return math.inf
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
        on_renewal: RenewalHook | None = None,
    ) -> None:
        self._login = login
        self._refresh = refresh
        self._clock = clock
        self._wall_clock = wall_clock
        self._margin = margin
        self._on_renewal = on_renewal
        self._state: _TokenState | None = None
        # The renewal in flight, awaited by every task that needs a token meanwhile.
        self._renewal: asyncio.Task[str] | None = None

    def _valid(self, state: _TokenState | None) -> bool:
        return state is not None and self._clock() < state.renew_at

    def valid_token(self) -> str | None:
        """The token if it needs no renewal now, else None: lets the request loop
        skip awaiting `token()` on nearly every request."""
        state = self._state
        return state.token if state is not None and self._valid(state) else None

    async def token(self) -> str:
        state = self._state
        if state is not None and self._valid(state):
            return state.token
        return await self._join_renewal()

    async def invalidate(self, stale_token: str) -> str:
        """After a 401 with `stale_token`: renew unless another task already did."""
        state = self._state
        if state is not None and state.token != stale_token:
            return state.token
        if state is not None and self._renewal is None:
            self._state = attrs.evolve(state, renew_at=-math.inf)
        return await self._join_renewal()

    async def _join_renewal(self) -> str:
        if self._renewal is None:
            self._renewal = asyncio.create_task(self._renew(), name="ewh_webhooks token renewal")
            self._renewal.add_done_callback(self._renewal_done)
        # Shielded: a waiter that is cancelled does not cancel the others' renewal.
        return await asyncio.shield(self._renewal)

    def _renewal_done(self, task: asyncio.Task[str]) -> None:
        if self._renewal is task:
            self._renewal = None
        if not task.cancelled():
            task.exception()  # retrieved here too: every waiter may have gone

    async def _renew(self) -> str:
        state = self._state
        tokens: Tokens | None = None
        if state is not None and state.refresh_token:
            refresh_token = state.refresh_token
            # Single use: forget it before sending, whatever the outcome.
            self._state = attrs.evolve(state, refresh_token=None, renew_at=-math.inf)
            started = self._clock()
            try:
                tokens = await self._refresh(refresh_token)
            except (APIError, APIConnectionError, ResponseValidationError) as exc:
                log.debug("token refresh failed (%s); logging in again", type(exc).__name__)
                self._report("refresh", started, exc)
            else:
                log.debug("token refreshed")
                self._report("refresh", started, None)
        if tokens is None:
            started = self._clock()
            try:
                tokens = await self._login()
            except Exception as exc:
                self._report("login", started, exc)
                raise
            log.debug("logged in")
            self._report("login", started, None)
        self._state = _TokenState(
            token=tokens.token,
            refresh_token=tokens.refresh_token,
            renew_at=renewal_due(
                tokens, received_at=self._clock(), wall_now=self._wall_clock(), margin=self._margin
            ),
        )
        return tokens.token

    def _report(self, kind: str, started: float, error: BaseException | None) -> None:
        if self._on_renewal is not None:
            self._on_renewal(kind, self._clock() - started, error)

    async def aclose(self) -> None:
        task, self._renewal = self._renewal, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
