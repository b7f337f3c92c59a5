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
        (WALL, WALL, math.inf),  # no lifetime at all: wait for a 401 too
        (WALL + 1, WALL, 100 + 1 - 0.25),  # a one-second token is still renewed early
        (WALL + 0.99, WALL, math.inf),  # shorter: no request could use it; wait for a 401
        (WALL + 1e-5, WALL, math.inf),
        (1e-300, 0.0, math.inf),
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


def tokens(token: str, refresh_token: str | None = None) -> Tokens:
    return Tokens(token=token, refresh_token=refresh_token, exp=WALL + 3600, iat=WALL)


def rejected(path: str) -> AuthenticationError:
    return AuthenticationError(f"POST {path} failed: 401", status=401)


class ScriptedAuth:
    """Login and refresh answer from scripts (a `Tokens` or an exception per call),
    each taking `latency` seconds of a fake clock; renewals are reported to `reports`."""

    def __init__(
        self,
        logins: list[Tokens | Exception],
        refreshes: list[Tokens | Exception] | None = None,
        latency: float = 0.0,
    ) -> None:
        self.logins = logins
        self.refreshes = refreshes or []
        self.latency = latency
        self.now = 100.0
        self.sent_refresh_tokens: list[str] = []
        self.reports: list[tuple[str, float, BaseException | None]] = []
        self.task_names: list[str] = []
        self.hold = asyncio.Event()
        self.hold.set()

    async def _answer(self, script: list[Tokens | Exception]) -> Tokens:
        task = asyncio.current_task()
        assert task is not None
        self.task_names.append(task.get_name())
        await self.hold.wait()
        self.now += self.latency
        outcome = script.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def login(self) -> Tokens:
        return await self._answer(self.logins)

    async def refresh(self, refresh_token: str) -> Tokens:
        self.sent_refresh_tokens.append(refresh_token)
        return await self._answer(self.refreshes)

    def manager(self) -> TokenManager:
        return TokenManager(
            login=self.login,
            refresh=self.refresh,
            clock=lambda: self.now,
            wall_clock=lambda: WALL,
            on_renewal=lambda kind, elapsed, error: self.reports.append((kind, elapsed, error)),
        )


async def test_a_token_is_renewed_at_its_renewal_time_not_a_moment_later() -> None:
    fake = FakeAuth()
    manager = fake.manager()
    assert await manager.token() == "login1"
    fake.now = 3600.0 - 60.0  # received at 0, an hour's lifetime, renewed a minute early
    assert await manager.token() == "refreshed1"


async def test_a_401_on_a_token_already_replaced_renews_nothing() -> None:
    fake = FakeAuth()
    manager = fake.manager()
    stale = await manager.token()
    assert await manager.invalidate(stale) == "refreshed1"
    # A slower task whose request used the old token gets its 401 later.
    assert await manager.invalidate(stale) == "refreshed1"
    assert fake.refreshes == ["r1"]
    assert fake.logins == 1


async def test_a_401_on_a_replaced_token_is_answered_at_once_even_during_a_renewal() -> None:
    fake = ScriptedAuth(logins=[tokens("a", "ra")], refreshes=[tokens("b", "rb"), tokens("c")])
    manager = fake.manager()
    assert await manager.token() == "a"
    assert await manager.invalidate("a") == "b"
    fake.hold.clear()
    fake.now += 3600  # "b" is due: its refresh starts and hangs
    renewal = asyncio.create_task(manager.token())
    await asyncio.sleep(0)
    late_401 = asyncio.create_task(manager.invalidate("a"))
    for _ in range(5):
        await asyncio.sleep(0)
    assert late_401.done()
    assert late_401.result() == "b"
    fake.hold.set()
    assert await renewal == "c"


async def test_after_a_401_and_a_failed_login_the_rejected_token_is_never_handed_out() -> None:
    fake = ScriptedAuth(logins=[tokens("a"), rejected("/wms/auth/login/"), tokens("b")])
    manager = fake.manager()
    assert await manager.token() == "a"
    with pytest.raises(AuthenticationError):
        await manager.invalidate("a")
    assert await manager.token() == "b"


async def test_a_refresh_token_is_never_sent_twice_even_when_the_login_after_it_fails() -> None:
    fake = ScriptedAuth(
        logins=[tokens("a", "ra"), rejected("/wms/auth/login/"), tokens("b")],
        refreshes=[rejected("/wms/auth/refresh/")],
    )
    manager = fake.manager()
    assert await manager.token() == "a"
    with pytest.raises(AuthenticationError):
        await manager.invalidate("a")
    assert await manager.token() == "b"
    assert fake.sent_refresh_tokens == ["ra"]


async def test_every_renewal_is_reported_with_its_kind_duration_and_error() -> None:
    refresh_failed = rejected("/wms/auth/refresh/")
    login_failed = rejected("/wms/auth/login/")
    fake = ScriptedAuth(
        logins=[tokens("a", "ra"), tokens("b", "rb"), login_failed],
        refreshes=[refresh_failed, tokens("c")],
        latency=2.0,
    )
    manager = fake.manager()
    await manager.token()
    await manager.invalidate("a")  # the refresh fails: login again
    await manager.invalidate("b")  # the refresh works
    with pytest.raises(AuthenticationError):
        await manager.invalidate("c")  # no refresh token left: the login fails
    assert fake.reports == [
        ("login", 2.0, None),
        ("refresh", 2.0, refresh_failed),
        ("login", 2.0, None),
        ("refresh", 2.0, None),
        ("login", 2.0, login_failed),
    ]


async def test_the_renewal_runs_in_a_task_named_for_it() -> None:
    fake = ScriptedAuth(logins=[tokens("a")])
    await fake.manager().token()
    assert fake.task_names == ["ewh_webhooks token renewal"]


async def test_closing_during_a_login_cancels_it_and_waits_for_it_quietly() -> None:
    loop = asyncio.get_running_loop()
    reported: list[dict[str, object]] = []
    loop.set_exception_handler(lambda _, context: reported.append(context))
    try:
        fake = ScriptedAuth(logins=[tokens("a")])
        fake.hold.clear()
        manager = fake.manager()
        waiter = asyncio.create_task(manager.token())
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert fake.task_names == ["ewh_webhooks token renewal"]
        (renewal,) = [t for t in asyncio.all_tasks() if t.get_name() == fake.task_names[0]]
        await manager.aclose()  # returns normally, after the login has stopped
        assert renewal.cancelled()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        await asyncio.sleep(0)
        assert reported == []
    finally:
        loop.set_exception_handler(None)


async def test_a_token_without_iat_is_timed_by_our_wall_clock() -> None:
    fake = ScriptedAuth(logins=[Tokens(token="a", exp=WALL + 600), tokens("b")])
    manager = fake.manager()
    assert await manager.token() == "a"
    # Received at 100 with ten minutes left by our wall clock: due a minute early.
    fake.now = 639.5
    assert await manager.token() == "a"
    fake.now = 640.0
    assert await manager.token() == "b"
