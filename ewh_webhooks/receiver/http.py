"""The receiver's HTTP details: reading a size-limited body, and the JSON answers."""

from __future__ import annotations

from aiohttp import web

__all__ = ["RETRY_AFTER", "BodyTooLarge", "BodyUnreadable", "answer", "read_body"]

# Seconds a sender is asked to wait before retrying a 503 (advisory: it may retry sooner).
RETRY_AFTER = 5


class BodyTooLarge(Exception):
    """The body passed the receiver's `max_body_size` (answered 413)."""


class BodyUnreadable(Exception):
    """The body could not be read as sent (answered 400): content that does not decode
    as its `Content-Encoding` says, or broken chunked framing."""


async def read_body(request: web.Request, max_size: int) -> bytes:
    """The raw body (decoded from its `Content-Encoding`), or `BodyTooLarge` as soon as
    it passes `max_size` bytes (a Content-Length over it is refused before reading
    anything; a compressed body is counted as it inflates), or `BodyUnreadable`."""
    if request.content_length is not None and request.content_length > max_size:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.content.iter_chunked(64 * 1024):
            size += len(chunk)
            if size > max_size:
                raise BodyTooLarge
            chunks.append(chunk)
    except web.RequestPayloadError:
        # Nothing more can be read; marking the end spares aiohttp from reading the rest
        # after the answer (which raises the same error again, logged as unhandled). The
        # answer closes the connection: the request framing is not trusted after this.
        request.content.feed_eof()
        encoding = request.headers.get("Content-Encoding")
        raise BodyUnreadable(
            f"body does not decode as Content-Encoding {encoding!r}"
            if encoding
            else "body framing is broken"
        ) from None
    return b"".join(chunks)


def answer(
    status: int, message: str, *, retry_after: int | None = None, close: bool = False
) -> web.Response:
    headers = None if retry_after is None else {"Retry-After": str(retry_after)}
    response = web.json_response({"status": message}, status=status, headers=headers)
    if close:
        response.force_close()
    return response
