"""Token renewal timing and single-flight renewal, with fakes instead of a server."""

from __future__ import annotations

import asyncio
import math

import pytest

from ewh_webhooks import AuthenticationError
from ewh_webhooks.auth import TokenManager, renewal_due
from ewh_webhooks.models import Tokens

WALL = 1_700_000_000.0


@pytest.mark.parametrize(
    ("exp", "iat", "expected"),
    [
        (WALL + 3600, WALL, 100 + 3600 - 60),  # an hour: renew a minute early
        (WALL + 3600, None, 100 + 3600 - 60),  # no iat: measured against our clock
        (WALL + 100, WALL, 100 + 100 - 25),  # short-lived: a quarter of the lifetime early
        (5000.0, 1400.0, 100 + 3600 - 60),  # server clock far from ours: exp - iat counts
        (None, None, math.inf),  # no exp: renew on a 401 only
        (WALL - 10, None, math.inf),  # expired by our (skewed?) clock: wait for a 401
    ],
)
def test_renewal_due_table(exp: float | None, iat: float | None, expected: float) -> None:
    tokens = Tokens(token="t", exp=exp, iat=iat)
    assert renewal_due(tokens, received_at=100.0, wall_now=WALL, margin=60.0) == expected


class FakeAuth:
    def __init__(self, *, refresh_fails: bool = False, login_fails: bool = False) -> None:
        self.now = 0.0
        self.logins = 0
        self.refreshes: list[str] = []
        self.refresh_fails = refresh_fails
        self.login_fails = login_fails

    async def login(self) -> Tokens:
        await asyncio.sleep(0)
        self.logins += 1
        if self.login_fails:
            raise AuthenticationError("POST /wms/auth/login/ failed: 401", status=401)
        return Tokens(
            token=f"login{self.logins}", refresh_token=f"r{self.logins}", exp=WALL + 3600, iat=WALL
        )

    async def refresh(self, refresh_token: str) -> Tokens:
        await asyncio.sleep(0)
        self.refreshes.append(refresh_token)
        if self.refresh_fails:
            raise AuthenticationError("POST /wms/auth/refresh/ failed: 401", status=401)
        n = len(self.refreshes)
        return Tokens(token=f"refreshed{n}", refresh_token=f"rr{n}", exp=WALL + 3600, iat=WALL)

    def manager(self) -> TokenManager:
        return TokenManager(
            login=self.login, refresh=self.refresh, clock=lambda: self.now, wall_clock=lambda: WALL
        )


async def test_fifty_tasks_share_one_login_then_one_refresh() -> None:
    fake = FakeAuth()
    manager = fake.manager()
    assert set(await asyncio.gather(*(manager.token() for _ in range(50)))) == {"login1"}
    fake.now = 3600.0
    assert set(await asyncio.gather(*(manager.token() for _ in range(50)))) == {"refreshed1"}
    assert fake.logins == 1
    assert fake.refreshes == ["r1"]


async def test_invalidate_after_401_renews_once_for_many_tasks() -> None:
    fake = FakeAuth()
    manager = fake.manager()
    stale = await manager.token()
    renewed = await asyncio.gather(*(manager.invalidate(stale) for _ in range(20)))
    assert set(renewed) == {"refreshed1"}
    assert fake.refreshes == ["r1"]


async def test_failed_refresh_logs_in_and_never_resends_the_refresh_token() -> None:
    fake = FakeAuth(refresh_fails=True)
    manager = fake.manager()
    stale = await manager.token()
    assert await manager.invalidate(stale) == "login2"
    assert fake.refreshes == ["r1"]
    assert await manager.invalidate("login2") == "login3"
    assert fake.refreshes == ["r1", "r2"]  # each refresh token sent once only


async def test_failed_login_raises_authentication_error() -> None:
    manager = FakeAuth(login_fails=True).manager()
    with pytest.raises(AuthenticationError):
        await manager.token()
