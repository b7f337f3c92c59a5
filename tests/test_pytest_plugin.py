"""The pytest plugin, used as a new project would: in throwaway projects run by
pytester, in pytest-asyncio's strict and auto modes, without pytest-asyncio, and in a
run that never asks for its fixtures (which must not pay for importing them)."""

from __future__ import annotations

import sys

import pytest

pytest_plugins = ["pytester"]

STRICT_INI = """
[pytest]
asyncio_mode = strict
asyncio_default_fixture_loop_scope = function
"""
AUTO_INI = STRICT_INI.replace("strict", "auto")

# One file used in both modes; `{mark}` is "@pytest.mark.asyncio" or nothing.
USES = """
import pytest
from ewh_webhooks.testing import FaultPlan

{mark}
async def test_client_and_emulator(ewh_client, ewh_emulator):
    await ewh_client.webhooks.create(
        url="https://e.test/h", group="order", action="created", hash_secret="s"
    )
    assert len(ewh_emulator.webhooks()) == 1
    assert ewh_emulator.max_limit == 100

{mark}
@pytest.mark.ewh_emulator(max_limit=3, topic_style="dot", latency=0.001, token_lifetime=60)
async def test_marker_settings(ewh_client, ewh_emulator):
    assert (ewh_emulator.max_limit, ewh_emulator.topic_style) == (3, "dot")
    assert (ewh_emulator.latency, ewh_emulator.token_lifetime) == (0.001, 60)
    page = await ewh_client.webhooks.list_page(limit=50)
    assert page.results == ()

{mark}
@pytest.mark.ewh_emulator(faults=FaultPlan(rates={{"503": 1.0}}), count_shortfall=2)
async def test_marker_faults(ewh_emulator):
    assert ewh_emulator.faults.rates == {{"503": 1.0}}

@pytest.mark.ewh_emulator(max_limit=5, topic_style="slash")
class TestClassMarker:
    {mark}
    @pytest.mark.ewh_emulator(max_limit=9)
    async def test_the_closest_marker_wins(self, ewh_emulator):
        assert (ewh_emulator.max_limit, ewh_emulator.topic_style) == (9, "slash")

{mark}
async def test_factory(ewh_emulator_factory):
    first = await ewh_emulator_factory(customers=["A"])
    second = await ewh_emulator_factory(error_style="detail")
    assert first.customer_codes == ("A",)
    assert second.error_style == "detail"
    assert first.base_url != second.base_url
"""

BAD_MARKER = """
import pytest

@pytest.mark.asyncio
@pytest.mark.ewh_emulator(max_limt=3)
async def test_typo(ewh_emulator):
    pass
"""


# Only pytest-asyncio and this plugin, loaded as `-p` options: a quick inner run.
ONLY_OURS = ("-p", "pytest_asyncio.plugin", "-p", "ewh_webhooks.testing.pytest_plugin")


@pytest.fixture
def bare(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    return pytester


def test_fixtures_and_marker_work_in_strict_mode(bare: pytest.Pytester) -> None:
    bare.makeini(STRICT_INI)
    bare.makepyfile(
        test_uses=USES.format(mark="@pytest.mark.asyncio"),
        test_unmarked="async def test_unmarked(ewh_client):\n    pass\n",
        test_typo=BAD_MARKER,
    )
    result = bare.runpytest(*ONLY_OURS, "--strict-markers")
    result.assert_outcomes(passed=5, errors=2)
    result.stdout.fnmatch_lines_random(
        [
            "*test_unmarked is an async test*not marked: add @pytest.mark.asyncio*auto*",
            "*@pytest.mark.ewh_emulator(...)*max_limt*",
        ]
    )


def test_fixtures_and_marker_work_in_auto_mode(bare: pytest.Pytester) -> None:
    bare.makeini(AUTO_INI)
    bare.makepyfile(test_uses=USES.format(mark=""))
    result = bare.runpytest(*ONLY_OURS, "--strict-markers")
    result.assert_outcomes(passed=5)


def test_without_the_asyncio_plugin_the_fixtures_say_what_is_missing(
    bare: pytest.Pytester,
) -> None:
    bare.makepyfile("async def test_uses(ewh_client):\n    pass\n\ndef test_other():\n    pass\n")
    # pytest-asyncio is importable here but not active, as with `-p no:asyncio`.
    result = bare.runpytest("-p", "ewh_webhooks.testing.pytest_plugin", "-p", "no:asyncio")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*fixtures*need pytest-asyncio*pip install pytest-asyncio*"])


def test_without_pytest_asyncio_installed_the_fixtures_say_what_is_missing(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(
        "async def test_uses(ewh_emulator):\n    pass\n\ndef test_other():\n    pass\n"
    )
    # A fresh interpreter where pytest-asyncio cannot be imported, as if not installed,
    # and where the only plugin loaded is ours.
    code = (
        "import sys; sys.modules['pytest_asyncio'] = None; import pytest;"
        "sys.exit(pytest.main(['-p', 'ewh_webhooks.testing.pytest_plugin', '-p', 'no:cacheprovider']))"
    )
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    result = pytester.run(sys.executable, "-c", code)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*need pytest-asyncio*"])


def test_a_run_that_never_asks_for_the_fixtures_imports_none_of_it(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import sys

        def test_nothing_heavy_was_imported():
            assert "ewh_webhooks.testing.pytest_plugin" in sys.modules  # the plugin is loaded
            heavy = ["aiohttp", "ewh_webhooks.client", "ewh_webhooks.testing.emulator"]
            assert [name for name in heavy if name in sys.modules] == []
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
