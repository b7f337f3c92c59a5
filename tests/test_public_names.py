"""Every public name is importable from `ewh_webhooks`, and importing the package
loads none of the heavy parts until they are used."""

from __future__ import annotations

import subprocess
import sys

import pytest

import ewh_webhooks


@pytest.mark.parametrize("name", ewh_webhooks.__all__)
def test_every_public_name_is_importable_from_the_package(name: str) -> None:
    assert getattr(ewh_webhooks, name) is not None


def test_an_unknown_name_raises_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = ewh_webhooks.no_such_name  # type: ignore[attr-defined]


def test_import_loads_neither_aiohttp_web_nor_the_emulator_nor_redis() -> None:
    code = (
        "import sys, ewh_webhooks;"
        "from ewh_webhooks import EWHClient, RetryPolicy, WebhookSpec, parse_event;"
        "heavy = [m for m in ('aiohttp.web', 'ewh_webhooks.testing', 'redis', 'ewh_webhooks.receiver')"
        " if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_all_lists_exactly_the_lazy_exports() -> None:
    exports = ewh_webhooks._EXPORTS  # type: ignore[attr-defined]
    assert sorted(ewh_webhooks.__all__) == sorted([*exports, "__version__"])


def test_the_usual_calls_never_import_cattrs() -> None:
    # Login, create, get, update, listing and delete answers of the usual shape are
    # read and written directly; cattrs loads only for an unusual one (or events).
    code = """
import asyncio, sys
from ewh_webhooks import EWHClient
from ewh_webhooks.testing import EWHEmulator

async def main():
    async with EWHEmulator(max_limit=2) as emu, emu.client() as client:
        hook = await client.webhooks.create(
            url="https://e.test/a", group="order", action="shipped", hash_secret="s")
        await client.webhooks.get(hook.id)
        await client.webhooks.update(hook.id, url="https://e.test/b")
        for i in range(3):
            await client.webhooks.create(
                url=f"https://e.test/{i}", group="order", action="shipped", hash_secret="s")
        assert len([h async for h in client.webhooks.list(limit=2)]) == 4
        await client.webhooks.list_page(limit=2)
        await client.webhooks.delete(hook.id)

asyncio.run(main())
print("cattrs" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
