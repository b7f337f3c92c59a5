"""aioresponses 0.7.9 builds `ClientResponse` without the `stream_writer` argument
that aiohttp 3.14 requires (pnuckowski/aioresponses#289, fix pending in #288).

Until a release has the fix, give aioresponses a response class whose
`stream_writer` defaults to a stand-in reporting zero bytes written, which is all
aiohttp reads from it. A no-op on aiohttp versions without the argument.
"""

from __future__ import annotations

import inspect
from typing import Any

import aioresponses.core
from aiohttp import ClientResponse


class _NothingWritten:
    output_size = 0


class _CompatClientResponse(ClientResponse):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", _NothingWritten())
        super().__init__(*args, **kwargs)


def install() -> None:
    if "stream_writer" in inspect.signature(ClientResponse.__init__).parameters:
        aioresponses.core.ClientResponse = _CompatClientResponse  # type: ignore[misc]
