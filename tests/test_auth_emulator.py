"""Auth over real sockets: expiry, single-flight refresh, single-use refresh tokens."""

from __future__ import annotations

import asyncio

import pytest

from ewh_webhooks import AuthenticationError, EWHClient
from ewh_webhooks.testing import EWHEmulator

from .conftest import FakeTime


def auth_calls(emu: EWHEmulator, path: str) -> list[int | None]:
    return [r.status for r in emu.state.requests if r.path == path]


async def test_refresh_runs_once_for_fifty_concurrent_requests_after_server_expiry(
    emulator: EWHEmulator, client: EWHClient
) -> None:
    hook = await client.webhooks.create(
        url="https://e.test/h", group="order", action="created", hash_secret="s"
    )
    emulator.advance(emulator.token_lifetime + 1)  # the server now rejects our token
    results = await asyncio.gather(*(client.webhooks.get(hook.id) for _ in range(50)))
    assert {r.id for r in results} == {hook.id}
    assert auth_calls(emulator, "/wms/auth/login/") == [200]
    assert auth_calls(emulator, "/wms/auth/refresh/") == [200]  # once, never reused


async def test_refresh_runs_once_for_fifty_tasks_when_the_token_is_due(
    emulator: EWHEmulator, client: EWHClient, fake_time: FakeTime
) -> None:
    await client.webhooks.list_page()
    fake_time.now += emulator.token_lifetime  # proactive: renewal is due before any 401
    await asyncio.gather(*(client.webhooks.list_page() for _ in range(50)))
    assert auth_calls(emulator, "/wms/auth/refresh/") == [200]
    assert not [r for r in emulator.state.requests if r.status == 401]


async def test_used_refresh_token_is_rejected_by_the_emulator_and_client_logs_in_again(
    emulator: EWHEmulator, client: EWHClient
) -> None:
    await client.webhooks.list_page()
    # Burn the client's refresh token behind its back, as a second process would.
    for entry in emulator.state.refresh_tokens.values():
        entry[1] = True
    emulator.advance(emulator.token_lifetime + 1)
    await client.webhooks.list_page()
    assert auth_calls(emulator, "/wms/auth/refresh/") == [401]
    assert auth_calls(emulator, "/wms/auth/login/") == [200, 200]


async def test_wrong_password_is_an_authentication_error(emulator: EWHEmulator) -> None:
    async with emulator.client(password="wrong") as client:
        with pytest.raises(AuthenticationError, match="Invalid credentials"):
            await client.webhooks.list_page()


async def test_customers_are_separate_and_share_one_login(
    emulator: EWHEmulator, client: EWHClient
) -> None:
    other = client.for_customer("CUSTOMER2")
    await client.webhooks.create(
        url="https://e.test/1", group="order", action="created", hash_secret="s"
    )
    assert (await other.webhooks.list_page()).count == 0
    assert (await client.webhooks.list_page()).count == 1
    assert auth_calls(emulator, "/wms/auth/login/") == [200]


async def test_unknown_customer_is_permission_denied(
    emulator: EWHEmulator, client: EWHClient
) -> None:
    from ewh_webhooks import PermissionDeniedError

    with pytest.raises(PermissionDeniedError, match="403"):
        await client.for_customer("NOPE").webhooks.list_page()
