"""The client a command talks through: from flags, `EWH_*` variables, or an embedded emulator.

The client, aiohttp and the emulator are imported here, when a command runs, never
when the parser is built.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..errors import APIConnectionError
from .errors import CommandError, UsageError
from .output import cli_message
from .parser import DEFAULT_TIMEOUT

if TYPE_CHECKING:
    from ..client import EWHClient

__all__ = ["client_settings", "explain", "host_of", "open_client"]

# (flag dest, client keyword, variable): where each setting comes from, flag first.
SETTINGS = (
    ("username", "username", "EWH_USERNAME"),
    ("password", "password", "EWH_PASSWORD"),
    ("wms_code", "wms_code", "EWH_WMS_CODE"),
    ("customer", "customer_code", "EWH_CUSTOMER_CODE"),
    ("base_url", "base_url", "EWH_BASE_URL"),
)
OPTIONAL = frozenset({"base_url"})  # the client defaults to the sandbox


def client_settings(args: argparse.Namespace, env: Mapping[str, str]) -> dict[str, Any]:
    """The client's keyword arguments; a missing one names both its flag and variable."""
    settings: dict[str, Any] = {}
    missing = []
    for dest, keyword, variable in SETTINGS:
        value = getattr(args, dest, None) or env.get(variable)
        if value:
            settings[keyword] = value
        elif keyword not in OPTIONAL:
            missing.append(f"--{dest.replace('_', '-')} or {variable}")
    if missing:
        raise UsageError(f"missing settings: {', '.join(missing)} (or use --emulator)")
    return settings


def host_of(base_url: str) -> str:
    """`host[:port]` of a base URL, without any user info."""
    return urlsplit(base_url).netloc.rpartition("@")[2]


def explain(exc: BaseException, host: str) -> str:
    """An error as one line; a connection error names the host it could not reach."""
    if isinstance(exc, APIConnectionError):
        return f"cannot reach {host}: {cli_message(exc)}"
    return cli_message(exc)


@asynccontextmanager
async def open_client(args: argparse.Namespace) -> AsyncIterator[EWHClient]:
    """A client for the command, closed afterwards. A connection error raised inside
    becomes a `CommandError` naming the host."""
    from ..client import EWHClient

    options: dict[str, Any] = {"timeout": args.timeout or DEFAULT_TIMEOUT}
    if args.retries is not None:
        options["max_retries"] = args.retries
    if args.emulator:
        from ..testing import EWHEmulator

        async with (
            EWHEmulator() as emulator,
            emulator.client(**options) as client,
            _naming_host(client),
        ):
            yield client.for_customer(args.customer) if args.customer else client
        return
    settings = client_settings(args, os.environ)
    async with EWHClient(**options, **settings) as client, _naming_host(client):
        yield client


@asynccontextmanager
async def _naming_host(client: EWHClient) -> AsyncIterator[None]:
    try:
        yield
    except APIConnectionError as exc:
        raise CommandError(explain(exc, host_of(client.base_url))) from exc
