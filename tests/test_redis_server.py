"""The Redis fixture itself: a real server answers, and can be stopped and restarted."""

from __future__ import annotations

from collections.abc import Callable

import redis.asyncio as aioredis

from .redis_server import RedisServer


async def test_the_shared_server_answers_and_starts_empty(redis_url: str) -> None:
    client = aioredis.from_url(redis_url)
    try:
        assert await client.dbsize() == 0
        await client.set("k", "v")
        assert await client.get("k") == b"v"
    finally:
        await client.aclose()


def test_a_private_server_stops_and_starts_again(
    redis_server_factory: Callable[[], RedisServer],
) -> None:
    server = redis_server_factory()
    assert server.ping()
    server.stop()
    assert not server.ping()
    server.start()
    assert server.ping()
