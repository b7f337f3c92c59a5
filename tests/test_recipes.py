"""The observability recipes of the documentation (`examples/observability/`) run
against the emulator: the spans and metrics they record are the ones the page shows.

Each runs with stand-ins for OpenTelemetry and prometheus_client (this package does
not depend on them) and, where the real libraries are installed, with those too.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from ewh_webhooks import APIConnectionError, EWHClient
from ewh_webhooks.testing import EWHEmulator, FakeClock, FaultPlan

from .observability_fakes import FakeTracer, fake_modules, installed

RECIPES = Path(__file__).resolve().parent.parent / "examples" / "observability"
SECRET = "recipe-hash-secret"

OTEL_MODES = ["fake"] + (["real"] if installed("opentelemetry.sdk") else [])
PROMETHEUS_MODES = ["fake"] + (["real"] if installed("prometheus_client") else [])


def load_recipe(name: str, mode: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Import examples/observability/<name>.py afresh, over the fakes unless `real`."""
    if mode == "fake":
        for module_name, module in fake_modules().items():
            monkeypatch.setitem(sys.modules, module_name, module)
    spec = importlib.util.spec_from_file_location(f"recipe_{name}_{mode}", RECIPES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def exercise(client: EWHClient, emu: EWHEmulator) -> None:
    """A login, a throttled create (429, Retry-After 1), a get that meets a 503, and a
    create whose connection drops (not retried: it may have reached the server)."""
    assert emu.faults is not None
    emu.faults.fail_next("429", 1, method="POST", path_prefix="/webhooks/")
    emu.faults.fail_next("503", 1, method="GET", path_prefix="/webhooks/")
    hook = await client.webhooks.create(
        url="https://example.com/h", group="order", action="shipped", hash_secret=SECRET
    )
    await client.webhooks.get(hook.id)
    emu.faults.fail_next("drop", 1, method="POST", path_prefix="/webhooks/")
    with pytest.raises(APIConnectionError):
        await client.webhooks.create(
            url="https://example.com/h2", group="order", action="created", hash_secret=SECRET
        )


def sdk_tracer() -> tuple[Any, Callable[[], list[Any]]]:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider.get_tracer("test"), lambda: list(exporter.get_finished_spans())


@pytest.mark.parametrize("mode", OTEL_MODES)
async def test_span_hook_records_a_client_span_per_attempt_under_the_current_span(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    recipe = load_recipe("otel_spans", mode, monkeypatch)
    if mode == "real":
        tracer, finished = sdk_tracer()
    else:
        fake = FakeTracer()
        tracer, finished = fake, lambda: list(fake.finished)
    async with EWHEmulator(faults=FaultPlan()) as emu:
        hook = recipe.SpanHook(tracer)
        async with emu.client(runtime=FakeClock().runtime(), hooks=[hook]) as client:
            with tracer.start_as_current_span("job") as job:
                await exercise(client, emu)

    spans = [s for s in finished() if s.name != "job"]
    assert [s.name for s in spans] == [
        "POST /wms/auth/login/",
        "ewh_webhooks token login",
        "POST /webhooks/",
        "POST /webhooks/",
        "GET /webhooks/{id}/",
        "GET /webhooks/{id}/",
        "POST /webhooks/",
    ]
    assert {s.kind.name for s in spans} == {"CLIENT"}
    assert {s.parent.span_id for s in spans} == {job.context.span_id}
    assert all(s.start_time <= s.end_time for s in spans)
    throttled, created, failed_get, got, dropped = (dict(s.attributes) for s in spans[2:])
    assert throttled["http.response.status_code"] == 429
    assert throttled["ewh.retry"] is True
    assert throttled["ewh.retry_delay"] == 1.0
    assert throttled["error.type"] == "429"
    assert created["http.response.status_code"] == 201
    assert created["http.request.resend_count"] == 1
    assert created["ewh.customer"] == emu.customer_code
    assert "error.type" not in created
    assert failed_get["url.template"] == "/webhooks/{id}/"
    assert got["http.request.resend_count"] == 1
    assert dropped["error.type"] == "APIConnectionError"
    assert "http.response.status_code" not in dropped
    statuses = [s.status.status_code.name for s in spans[2:]]
    assert statuses == ["ERROR", "UNSET", "ERROR", "UNSET", "ERROR"]
    pauses = [(e.name, dict(e.attributes)) for e in job.events]
    assert pauses == [
        ("ewh.rate_limit_pause", {"ewh.pause_seconds": 1.0, "http.response.status_code": 429})
    ]
    # Events carry no secrets, so neither do spans: no password, token or hash_secret.
    values = " ".join(str(v) for s in spans for v in dict(s.attributes).values())
    assert SECRET not in values
    assert emu.password not in values
    assert not any(token in values for token in emu.state.tokens)


@pytest.mark.parametrize("mode", OTEL_MODES)
async def test_aiohttp_trace_configs_reach_the_clients_session(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    recipe = load_recipe("otel_spans", mode, monkeypatch)
    configs = recipe.aiohttp_trace_configs()
    async with EWHEmulator() as emu, emu.client(trace_configs=configs) as client:
        page = await client.webhooks.list_page()
    assert page.results == ()
    if mode == "fake":  # the stand-in records what it saw; the real one exports spans
        assert [method for method, _ in configs[0].requests] == ["POST", "GET"]


@pytest.mark.parametrize("mode", PROMETHEUS_MODES)
async def test_metrics_count_attempts_retries_renewals_and_pauses(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    recipe = load_recipe("prometheus_metrics", mode, monkeypatch)
    registry = sys.modules["prometheus_client"].CollectorRegistry()
    metrics = recipe.EWHMetrics(registry)
    async with (
        EWHEmulator(faults=FaultPlan()) as emu,
        emu.client(runtime=FakeClock().runtime(), hooks=[metrics]) as client,
    ):
        await exercise(client, emu)

    def value(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)  # type: ignore[no-any-return]

    by_id = {"method": "GET", "route": "/webhooks/{id}/"}
    create = {"method": "POST", "route": "/webhooks/"}
    assert value("ewh_requests_total", **create, outcome="429") == 1
    assert value("ewh_requests_total", **create, outcome="201") == 1
    assert value("ewh_requests_total", **create, outcome="APIConnectionError") == 1
    assert value("ewh_requests_total", **by_id, outcome="503") == 1
    assert value("ewh_requests_total", **by_id, outcome="200") == 1
    assert value("ewh_requests_total", method="POST", route="/wms/auth/login/", outcome="200") == 1
    assert value("ewh_request_duration_seconds_count", **by_id) == 2
    assert value("ewh_retries_total", **create) == 1
    assert value("ewh_retries_total", **by_id) == 1
    assert value("ewh_token_renewals_total", kind="login", outcome="ok") == 1
    assert value("ewh_rate_limit_pauses_total", status="429") == 1
    assert value("ewh_rate_limit_pause_seconds_total") == 1.0


@pytest.mark.parametrize("mode", PROMETHEUS_MODES)
def test_metrics_are_registered_once_per_registry(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    recipe = load_recipe("prometheus_metrics", mode, monkeypatch)
    registry = sys.modules["prometheus_client"].CollectorRegistry()
    recipe.EWHMetrics(registry)
    with pytest.raises(ValueError, match="Duplicated"):
        recipe.EWHMetrics(registry)
    recipe.EWHMetrics(registry, prefix="other")  # another prefix is another set
