"""pytest plugin (registered through the `pytest11` entry point).

Fixtures, for async tests run by pytest-asyncio (strict mode: mark the test
`@pytest.mark.asyncio`; or set `asyncio_mode = "auto"`):
- `ewh_emulator`: a running `EWHEmulator`, with the settings of the test's
  `@pytest.mark.ewh_emulator(...)` marker (a class or module marker gives defaults,
  the test's own wins);
- `ewh_emulator_factory`: `await ewh_emulator_factory(**settings)` starts another
  emulator, closed after the test;
- `ewh_client`: an `EWHClient` logged in to `ewh_emulator`, closed after the test.

Nothing heavy is imported until a test asks for a fixture: pytest runs that never
do pay nothing for it.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

import pytest

if TYPE_CHECKING:
    from ..client import EWHClient
    from .emulator import EWHEmulator

MARKER = "ewh_emulator"

EmulatorFactory = Callable[..., Awaitable["EWHEmulator"]]

_F = TypeVar("_F", bound=Callable[..., Any])
_HAVE_PYTEST_ASYNCIO = importlib.util.find_spec("pytest_asyncio") is not None


def _async_fixture(function: _F) -> _F:
    """pytest-asyncio's fixture decorator (what its strict mode needs), when installed.

    Without it, a plain fixture that never runs: `_ewh_asyncio_check` fails first,
    with a message that says why.
    """
    if _HAVE_PYTEST_ASYNCIO:
        import pytest_asyncio

        return cast(_F, pytest_asyncio.fixture(function))
    return cast(_F, pytest.fixture(function))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(**settings): EWHEmulator settings for the ewh_emulator fixture, "
        "e.g. ewh_emulator(max_limit=10, topic_style='dot', latency=0.01)",
    )


def _asyncio_plugin_active(config: pytest.Config) -> bool:
    """pytest-asyncio's hooks are registered (by its entry point, or by `-p
    pytest_asyncio.plugin` when plugin autoloading is off): importable is not enough."""
    module = sys.modules.get("pytest_asyncio.plugin")
    return module is not None and config.pluginmanager.is_registered(module)


@pytest.fixture
def _ewh_asyncio_check(request: pytest.FixtureRequest) -> None:
    """Fail with what to do, instead of pytest's own puzzling errors."""
    if not _asyncio_plugin_active(request.config):
        pytest.fail(
            "the ewh_webhooks fixtures (ewh_emulator, ewh_emulator_factory, ewh_client) "
            "need pytest-asyncio: `pip install pytest-asyncio` (or the package's [test] "
            "extra), and make sure it is not disabled with `-p no:asyncio`",
            pytrace=False,
        )
    function = getattr(request, "function", None)
    if inspect.iscoroutinefunction(function) and request.node.get_closest_marker("asyncio") is None:
        pytest.fail(
            f"{request.node.name} is an async test using ewh_webhooks fixtures, but "
            "pytest-asyncio is in strict mode and the test is not marked: add "
            '@pytest.mark.asyncio, or set asyncio_mode = "auto" in your pytest config',
            pytrace=False,
        )


@_async_fixture
async def ewh_emulator_factory(_ewh_asyncio_check: None) -> AsyncIterator[EmulatorFactory]:
    from .emulator import EWHEmulator

    started: list[EWHEmulator] = []

    async def start(**settings: Any) -> EWHEmulator:
        emulator = EWHEmulator(**settings)
        await emulator.start()
        started.append(emulator)
        return emulator

    try:
        yield start
    finally:
        for emulator in reversed(started):
            await emulator.close()


def marker_settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The `ewh_emulator` markers' keyword settings, the closest marker winning."""
    settings: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers(MARKER))):
        if marker.args:
            pytest.fail(
                f"@pytest.mark.{MARKER} takes keyword settings only, got {marker.args!r}",
                pytrace=False,
            )
        settings.update(marker.kwargs)
    return settings


@_async_fixture
async def ewh_emulator(
    request: pytest.FixtureRequest, ewh_emulator_factory: EmulatorFactory
) -> EWHEmulator:
    settings = marker_settings(request)
    try:
        return await ewh_emulator_factory(**settings)
    except (TypeError, ValueError) as exc:
        pytest.fail(f"@pytest.mark.{MARKER}(...): {exc}", pytrace=False)


@_async_fixture
async def ewh_client(ewh_emulator: EWHEmulator) -> AsyncIterator[EWHClient]:
    async with ewh_emulator.client() as client:
        yield client
