"""The transport's per-request shortcuts keep the checks of the slow path: a closed
transport or another event loop is refused on every request, not only the first;
a body without a length, or past the cap, still goes through the capped reader."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import aiohttp
import pytest

from ewh_webhooks import ClientClosedError, Timeout
from ewh_webhooks.errors import APIConnectionError, ResponseValidationError
from ewh_webhooks.testing import EWHEmulator
from ewh_webhooks.transport import AiohttpTransport

UNREACHABLE = "http://127.0.0.1:1/webhooks/"


async def send(transport: AiohttpTransport, url: str = UNREACHABLE) -> object:
    return await transport.send(
        "GET", url, path="/webhooks/", headers={}, body=None, timeout=Timeout(total=5),
        request_id=None,
    )  # fmt: skip


@pytest.fixture
def other_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """An event loop running in a thread of its own while the test runs."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield loop
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.close()


async def test_a_transport_closed_after_use_refuses_even_with_the_callers_session_open() -> None:
    async with aiohttp.ClientSession() as session:
        transport = AiohttpTransport(session)
        with pytest.raises(APIConnectionError):
            await send(transport)  # used once: the session is bound to this loop
        await transport.aclose()
        assert not session.closed  # the caller's session is the caller's to close
        with pytest.raises(ClientClosedError, match="has been closed"):
            await send(transport)


async def test_a_transport_in_use_by_a_running_loop_refuses_another(
    other_loop: asyncio.AbstractEventLoop,
) -> None:
    transport = AiohttpTransport()

    async def first_use() -> None:
        with pytest.raises(APIConnectionError):
            await send(transport)

    asyncio.run_coroutine_threadsafe(first_use(), other_loop).result(timeout=10)
    with pytest.raises(ClientClosedError, match="another event loop"):
        await asyncio.wait_for(send(transport), timeout=5)

    async def close() -> None:
        await transport.aclose()

    asyncio.run_coroutine_threadsafe(close(), other_loop).result(timeout=10)


async def test_the_size_cap_holds_for_bodies_with_and_without_a_length() -> None:
    async with EWHEmulator() as emu, aiohttp.ClientSession() as session:
        url = f"{emu.base_url}/wms/auth/login/"  # answers a JSON error to a GET
        sized = AiohttpTransport(session, max_response_size=8)
        with pytest.raises(ResponseValidationError, match="larger than 8 bytes"):
            await send(sized, url)
        roomy = AiohttpTransport(session, max_response_size=1 << 20)
        response = await send(roomy, url)
        assert response.body  # type: ignore[attr-defined]
