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
