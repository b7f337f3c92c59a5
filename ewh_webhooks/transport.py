"""The only module that touches aiohttp's client (after aiobotocore's httpsession).

It sends one attempt and returns a `Response` with the body read (up to a size
cap), so the connection is back in the pool before anyone looks at it. Every
aiohttp failure becomes one of our errors; `CancelledError` is never caught.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Mapping, Sequence

import aiohttp

from .config import Timeout
from .errors import APIConnectionError, APITimeoutError, ClientClosedError, ResponseValidationError
from .sansio import Response

__all__ = ["DEFAULT_MAX_RESPONSE_SIZE", "AiohttpTransport"]

# A page of webhooks is tens of KiB; 16 MiB is generous and still stops a server
# (or something in between) from filling memory.
DEFAULT_MAX_RESPONSE_SIZE = 16 * 1024 * 1024
_ENCODING = "Content-Encoding"
_CHUNK = 64 * 1024


class AiohttpTransport:
    """Owns its `ClientSession` only when it created it; a caller's session is never closed.

    A session belongs to the event loop it was made in. If that loop ends with the
    session still open (an `asyncio.run()` that never closed the client), asyncio's
    shutdown of async generators closes it, so no socket leaks; the client then
    refuses to run in another loop with a clear error.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession | None = None,
        *,
        max_connections: int = 32,
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
        trace_configs: Sequence[aiohttp.TraceConfig] = (),
    ) -> None:
        self._session = session
        self._owns_session = session is None
        self._max_connections = max_connections
        self._trace_configs = list(trace_configs)
        self.max_response_size = max_response_size
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_guard: AsyncIterator[None] | None = None

    async def _get_session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise ClientClosedError("this client has been closed; create a new EWHClient")
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
            if self._owns_session:
                # Created lazily so that it binds to the running loop, never at import or __init__.
                connector = aiohttp.TCPConnector(limit=self._max_connections)
                self._session = aiohttp.ClientSession(
                    connector=connector, trace_configs=self._trace_configs or None
                )
                self._loop_guard = self._close_with_loop()
                await anext(self._loop_guard)
        elif loop is not self._loop:
            raise ClientClosedError(
                "this client was opened in another event loop; a client belongs to one "
                "event loop: create a new EWHClient inside each asyncio.run()"
            )
        assert self._session is not None
        if self._session.closed:
            raise ClientClosedError("the aiohttp session given to EWHClient has been closed")
        return self._session

    async def _close_with_loop(self) -> AsyncIterator[None]:
        # An async generator the loop knows about: `asyncio.run()` (any loop's
        # `shutdown_asyncgens()`) closes it at the end, and so closes our session.
        try:
            yield
        finally:
            await self._close_session()

    async def send(
        self,
        method: str,
        url: str,
        *,
        path: str,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: Timeout,
        request_id: str | None,
    ) -> Response:
        # Every request but the first finds the session ready: check that here rather
        # than await `_get_session` (one coroutine less per request; `get()` overhead).
        session = self._session
        if (
            self._closed
            or session is None
            or session.closed
            or self._loop is not asyncio.get_running_loop()
        ):
            session = await self._get_session()
        client_timeout = _client_timeout(timeout)

        def fail(cls: type[APIConnectionError], what: str, sent: bool) -> APIConnectionError:
            return cls(
                f"{method} {path} failed: {what}",
                method=method,
                path=path,
                request_id=request_id,
                request_sent=sent,
            )

        try:
            async with session.request(
                method,
                url,
                headers=headers,
                data=body,
                timeout=client_timeout,
                # Redirects are never followed: one would drop a write's body or carry
                # the token elsewhere. A 3xx surfaces as an APIError naming the target.
                allow_redirects=False,
            ) as resp:
                length = resp.content_length
                if (
                    length is not None
                    and length <= self.max_response_size
                    and _ENCODING not in resp.headers
                ):
                    payload = await resp.read()  # the usual case, without `_read`'s coroutine
                else:
                    payload = await self._read(resp, method, path)
                return Response(
                    status=resp.status,
                    headers=resp.headers,
                    body=payload,
                    method=method,
                    path=path,
                    request_id=request_id,
                )
        except aiohttp.ConnectionTimeoutError as exc:
            raise fail(
                APITimeoutError, f"connect timed out after {timeout.connect}s", False
            ) from exc
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise fail(APITimeoutError, _timeout_text(timeout), True) from exc
        except aiohttp.ClientConnectorError as exc:
            # Raised while connecting (refused, DNS, TLS): nothing was sent.
            raise fail(APIConnectionError, f"cannot connect ({exc.os_error})", False) from exc
        except aiohttp.ServerDisconnectedError as exc:
            raise fail(APIConnectionError, "server closed the connection", True) from exc
        except aiohttp.ClientError as exc:
            raise fail(APIConnectionError, f"{type(exc).__name__}: {exc}", True) from exc
        except OSError as exc:
            raise fail(APIConnectionError, f"{type(exc).__name__}: {exc}", True) from exc
        except ValueError as exc:
            # aiohttp refuses to build the request (a header or URL it cannot send):
            # nothing left this machine.
            raise fail(APIConnectionError, f"request not sent: {exc}", False) from exc

    async def _read(self, resp: aiohttp.ClientResponse, method: str, path: str) -> bytes:
        limit = self.max_response_size
        length = resp.content_length
        # A compressed body's Content-Length counts the bytes on the wire, not what
        # they inflate to (a few KiB of gzip can be gigabytes): count what is read.
        encoded = _ENCODING in resp.headers
        if length is not None and length <= limit and not encoded:
            return await resp.read()
        if length is None or encoded:
            chunks: list[bytes] = []
            size = 0
            async for chunk in resp.content.iter_chunked(_CHUNK):
                size += len(chunk)
                if size > limit:
                    break
                chunks.append(chunk)
            else:
                return b"".join(chunks)
        # Leaving the `async with` unread closes this connection rather than reuse it.
        raise ResponseValidationError(
            f"{method} {path} returned {resp.status} with a body larger than {limit} bytes "
            "(max_response_size)"
        )

    async def _close_session(self) -> None:
        session = self._session
        if self._owns_session and session is not None and not session.closed:
            await session.close()

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        guard, self._loop_guard = self._loop_guard, None
        if self._loop is not None and self._loop is not asyncio.get_running_loop():
            return  # that loop's shutdown closed the session already
        await self._close_session()
        if guard is not None:
            await guard.aclose()  # type: ignore[attr-defined]

    @property
    def closed(self) -> bool:
        return self._closed


@functools.lru_cache(maxsize=64)
def _client_timeout(timeout: Timeout) -> aiohttp.ClientTimeout:
    # Timeouts are few and immutable: build aiohttp's object once per distinct value.
    return aiohttp.ClientTimeout(
        total=timeout.total, sock_connect=timeout.connect, sock_read=timeout.read
    )


def _timeout_text(timeout: Timeout) -> str:
    limits = {"total": timeout.total, "connect": timeout.connect, "read": timeout.read}
    parts = [f"{name}={value}s" for name, value in limits.items() if value is not None]
    return "timed out" + (f" ({', '.join(parts)})" if parts else "")
