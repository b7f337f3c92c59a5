"""The receiver's HTTP details: reading a size-limited body, and the JSON answers."""

from __future__ import annotations

from aiohttp import web

__all__ = ["RETRY_AFTER", "BodyTooLarge", "answer", "read_body"]

# Seconds a sender is asked to wait before retrying a 503 (advisory: it may retry sooner).
RETRY_AFTER = 5


class BodyTooLarge(Exception):
    pass


async def read_body(request: web.Request, max_size: int) -> bytes:
    """The raw body, or `BodyTooLarge` as soon as it passes `max_size` bytes (a
    Content-Length over it is refused before reading anything)."""
    if request.content_length is not None and request.content_length > max_size:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > max_size:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def answer(status: int, message: str, *, retry_after: int | None = None) -> web.Response:
    headers = None if retry_after is None else {"Retry-After": str(retry_after)}
    return web.json_response({"status": message}, status=status, headers=headers)
