"""Stand-ins for `opentelemetry` and `prometheus_client`, for running the recipes in
`examples/observability/` where those libraries are not installed (this package does
not depend on them).

Each fake implements exactly the calls the recipes make, with the real signatures,
and refuses anything else (a wrong label count, an unknown keyword), so a recipe that
misuses the real API fails here too. Where the real libraries are installed the tests
use them instead.
"""

from __future__ import annotations

import contextlib
import contextvars
import enum
import importlib.util
import itertools
import types
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import aiohttp

# --- opentelemetry ------------------------------------------------------------------


class SpanKind(enum.Enum):
    INTERNAL = 0
    SERVER = 1
    CLIENT = 2


class StatusCode(enum.Enum):
    UNSET = 0
    OK = 1
    ERROR = 2


class Status:
    def __init__(self, status_code: StatusCode = StatusCode.UNSET, description: str | None = None):
        if not isinstance(status_code, StatusCode):
            raise TypeError(f"status_code must be a StatusCode, got {status_code!r}")
        self.status_code = status_code
        self.description = description


_ids = itertools.count(1)
_current: contextvars.ContextVar[FakeSpan | None] = contextvars.ContextVar("span", default=None)

AttributeValue = str | bool | int | float


def _check_attributes(attributes: Mapping[str, Any]) -> dict[str, AttributeValue]:
    for key, value in attributes.items():
        if not isinstance(key, str) or not isinstance(value, AttributeValue):
            raise TypeError(f"invalid span attribute {key!r}: {value!r}")
    return dict(attributes)


class SpanContext:
    def __init__(self, span_id: int) -> None:
        self.span_id = span_id


class FakeSpan:
    """Records what the real SDK's ReadableSpan exposes: name, kind, attributes,
    status, events, start/end times and the parent's context."""

    def __init__(
        self,
        name: str,
        kind: SpanKind,
        attributes: Mapping[str, Any],
        start_time: int,
        parent: FakeSpan | None,
        tracer: FakeTracer,
    ) -> None:
        self.name = name
        self.kind = kind
        self.attributes = _check_attributes(attributes)
        self.start_time = start_time
        self.end_time: int | None = None
        self.status = Status()
        self.events: list[types.SimpleNamespace] = []  # .name, .attributes, as the SDK's
        self.context = SpanContext(next(_ids))
        self.parent = None if parent is None else parent.context
        self._tracer = tracer

    def set_attribute(self, key: str, value: AttributeValue) -> None:
        self.attributes.update(_check_attributes({key: value}))

    def set_status(self, status: Status) -> None:
        if not isinstance(status, Status):
            raise TypeError("set_status takes a Status")
        self.status = status

    def add_event(self, name: str, attributes: Mapping[str, Any] | None = None) -> None:
        self.events.append(
            types.SimpleNamespace(name=name, attributes=_check_attributes(attributes or {}))
        )

    def is_recording(self) -> bool:
        return self.end_time is None

    def end(self, end_time: int | None = None) -> None:
        if self.end_time is not None:
            raise RuntimeError(f"span {self.name!r} ended twice")
        self.end_time = end_time if end_time is not None else self.start_time
        self._tracer.finished.append(self)


class NonRecordingSpan:
    def add_event(self, name: str, attributes: Mapping[str, Any] | None = None) -> None:
        _check_attributes(attributes or {})

    def is_recording(self) -> bool:
        return False


class FakeTracer:
    def __init__(self) -> None:
        self.finished: list[FakeSpan] = []

    def start_span(
        self,
        name: str,
        context: None = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: Mapping[str, Any] | None = None,
        links: Sequence[Any] | None = None,
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
    ) -> FakeSpan:
        if not isinstance(kind, SpanKind):
            raise TypeError(f"kind must be a SpanKind, got {kind!r}")
        if start_time is not None and not isinstance(start_time, int):
            raise TypeError("start_time is integer nanoseconds")
        return FakeSpan(name, kind, attributes or {}, start_time or 0, _current.get(), self)

    @contextlib.contextmanager
    def start_as_current_span(self, name: str, **kwargs: Any) -> Iterator[FakeSpan]:
        span = self.start_span(name, **kwargs)
        token = _current.set(span)
        try:
            yield span
        finally:
            _current.reset(token)
            span.end()


_global_tracer = FakeTracer()


def get_tracer(instrumenting_module_name: str, *args: Any, **kwargs: Any) -> FakeTracer:
    return _global_tracer


def get_current_span() -> FakeSpan | NonRecordingSpan:
    return _current.get() or NonRecordingSpan()


def create_trace_config(**kwargs: Any) -> aiohttp.TraceConfig:
    """A TraceConfig that records each request it sees on `requests` (method, URL)."""
    config = aiohttp.TraceConfig()
    config.requests = []  # type: ignore[attr-defined]

    async def on_request_start(
        session: aiohttp.ClientSession, context: Any, params: aiohttp.TraceRequestStartParams
    ) -> None:
        config.requests.append((params.method, str(params.url)))  # type: ignore[attr-defined]

    config.on_request_start.append(on_request_start)
    return config


# --- prometheus_client --------------------------------------------------------------


class CollectorRegistry:
    def __init__(self) -> None:
        self.names: set[str] = set()
        self.samples: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}

    def register(self, name: str) -> None:
        if name in self.names:
            raise ValueError(f"Duplicated timeseries in CollectorRegistry: {name}")
        self.names.add(name)

    def add(self, name: str, labels: Mapping[str, str], amount: float) -> None:
        key = (name, tuple(sorted(labels.items())))
        self.samples[key] = self.samples.get(key, 0.0) + amount

    def get_sample_value(self, name: str, labels: Mapping[str, str] | None = None) -> float | None:
        return self.samples.get((name, tuple(sorted((labels or {}).items()))))


REGISTRY = CollectorRegistry()


class _Metric:
    suffixes: tuple[str, ...] = ()

    def __init__(
        self,
        name: str,
        documentation: str,
        labelnames: Sequence[str] = (),
        *,
        registry: CollectorRegistry | None = REGISTRY,
        **options: Any,
    ) -> None:
        if not documentation:
            raise ValueError("documentation is required")
        self.name = name
        self.labelnames = tuple(labelnames)
        self.registry = registry or CollectorRegistry()
        self.labelvalues: dict[str, str] = {}
        self.registry.register(name)

    def labels(self, *values: str) -> _Metric:
        if len(values) != len(self.labelnames) or not all(isinstance(v, str) for v in values):
            raise ValueError(f"{self.name}: labels {self.labelnames}, got {values!r}")
        child = object.__new__(type(self))
        child.__dict__.update(self.__dict__)
        child.labelvalues = dict(zip(self.labelnames, values, strict=True))
        return child

    def _check_labelled(self) -> None:
        if self.labelnames and not self.labelvalues:
            raise ValueError(f"{self.name}: call .labels() first")


class Counter(_Metric):
    def inc(self, amount: float = 1) -> None:
        self._check_labelled()
        if amount < 0:
            raise ValueError("Counters can only be incremented by non-negative amounts.")
        self.registry.add(f"{self.name}_total", self.labelvalues, amount)


class Histogram(_Metric):
    def __init__(self, *args: Any, buckets: Sequence[float] = (), **kwargs: Any) -> None:
        if list(buckets) != sorted(buckets):
            raise ValueError("Buckets not in sorted order")
        super().__init__(*args, **kwargs)

    def observe(self, amount: float) -> None:
        self._check_labelled()
        self.registry.add(f"{self.name}_count", self.labelvalues, 1)
        self.registry.add(f"{self.name}_sum", self.labelvalues, amount)


# --- installing them ----------------------------------------------------------------


def _module(name: str, **attributes: Any) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__dict__.update(attributes)
    return module


def fake_modules() -> dict[str, types.ModuleType]:
    """The fake modules by import name, for `monkeypatch.setitem(sys.modules, ...)`."""
    trace = _module(
        "opentelemetry.trace",
        SpanKind=SpanKind,
        Status=Status,
        StatusCode=StatusCode,
        Tracer=FakeTracer,
        get_tracer=get_tracer,
        get_current_span=get_current_span,
    )
    aiohttp_client = _module(
        "opentelemetry.instrumentation.aiohttp_client", create_trace_config=create_trace_config
    )
    instrumentation = _module("opentelemetry.instrumentation", aiohttp_client=aiohttp_client)
    return {
        "opentelemetry": _module("opentelemetry", trace=trace, instrumentation=instrumentation),
        "opentelemetry.trace": trace,
        "opentelemetry.instrumentation": instrumentation,
        "opentelemetry.instrumentation.aiohttp_client": aiohttp_client,
        "prometheus_client": _module(
            "prometheus_client",
            REGISTRY=REGISTRY,
            CollectorRegistry=CollectorRegistry,
            Counter=Counter,
            Histogram=Histogram,
        ),
    }


def installed(*modules: str) -> bool:
    """Whether the real libraries are importable (then the tests use them too)."""
    try:
        return all(importlib.util.find_spec(name) is not None for name in modules)
    except ModuleNotFoundError:  # a parent package is missing
        return False
