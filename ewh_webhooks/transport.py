"""The only module that touches aiohttp's client (after aiobotocore's httpsession).

It sends one attempt and returns a `Response` with the body read, so the
connection is back in the pool before anyone looks at it. Every aiohttp failure
becomes one of our errors; `CancelledError` is never caught.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

import aiohttp

from .config import Timeout
from .errors import APIConnectionError, APITimeoutError, ClientClosedError
from .sansio import Response

__all__ = ["AiohttpTransport"]


class AiohttpTransport:
    """Owns its `ClientSession` only when it created it; a caller's session is never closed."""

    def __init__(
        self, session: aiohttp.ClientSession | None = None, *, max_connections: int = 32
    ) -> None:
        self._session = session
        self._owns_session = session is None
        self._max_connections = max_connections
        self._closed = False

    def _get_session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise ClientClosedError("this client has been closed; create a new EWHClient")
        if self._session is None:
            # Created lazily so that it binds to the running loop, never at import or __init__.
            connector = aiohttp.TCPConnector(limit=self._max_connections)
            self._session = aiohttp.ClientSession(connector=connector)
        if self._session.closed:
            raise ClientClosedError("the aiohttp session given to EWHClient has been closed")
        return self._session

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
        session = self._get_session()
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
                payload = await resp.read()
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

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._owns_session and self._session is not None and not self._session.closed:
            await self._session.close()

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
