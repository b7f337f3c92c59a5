"""OpenTelemetry spans from the client's hooks: one CLIENT span per attempt, one per
token renewal, and an event on the current span for each shared 429 pause.

    from opentelemetry import trace

    client = EWHClient(..., hooks=[SpanHook(trace.get_tracer("ewh_webhooks"))])

A hook runs when an attempt has finished, inside the task that made the request, so
the span is recorded afterwards with its real start time and becomes a child of the
span that is current there (your request handler's, a sync job's). Attributes follow
OpenTelemetry's HTTP client conventions; the route is a template
(`/webhooks/{id}/`), so span names stay few. Events never carry headers, bodies,
tokens or secrets, so neither do the spans.

Needs `opentelemetry-api` (and an SDK with an exporter to see anything); this
package does not depend on it.
"""

from __future__ import annotations

import time

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer

from ewh_webhooks.observe import ClientEvent, RateLimitPause, RequestAttempt, TokenRenewal

__all__ = ["SpanHook", "aiohttp_trace_configs"]


class SpanHook:
    """A client hook (`EWHClient(hooks=[SpanHook(tracer)])`) that records spans."""

    def __init__(self, tracer: Tracer | None = None) -> None:
        self.tracer = tracer if tracer is not None else trace.get_tracer("ewh_webhooks")

    def __call__(self, event: ClientEvent) -> None:
        if isinstance(event, RequestAttempt):
            self.attempt(event)
        elif isinstance(event, TokenRenewal):
            self.renewal(event)
        elif isinstance(event, RateLimitPause):
            # Not a span of its own: every task of the client waits, the current one too.
            trace.get_current_span().add_event(
                "ewh.rate_limit_pause",
                {"ewh.pause_seconds": event.seconds, "http.response.status_code": event.status},
            )

    def attempt(self, event: RequestAttempt) -> None:
        """One CLIENT span per attempt, named `GET /webhooks/{id}/`."""
        attributes: dict[str, str | int | float | bool] = {
            "http.request.method": event.method,
            "url.template": event.route,
            "http.request.resend_count": event.attempt - 1,
            "ewh.request_id": event.request_id,
            "ewh.retry": event.retry,
        }
        if event.customer is not None:
            attributes["ewh.customer"] = event.customer
        if event.status is not None:
            attributes["http.response.status_code"] = event.status
        if event.retry_delay is not None:
            attributes["ewh.retry_delay"] = event.retry_delay
        failed = event.error is not None or (event.status or 0) >= 400
        if failed:
            attributes["error.type"] = event.error or str(event.status)
        end = time.time_ns()
        span = self.tracer.start_span(
            f"{event.method} {event.route}",
            kind=SpanKind.CLIENT,
            attributes=attributes,
            start_time=end - int(event.elapsed * 1e9),
        )
        if failed:
            span.set_status(Status(StatusCode.ERROR, event.reason or None))
        span.end(end_time=end)

    def renewal(self, event: TokenRenewal) -> None:
        """One span per login or refresh (`ewh_webhooks token login`)."""
        end = time.time_ns()
        span = self.tracer.start_span(
            f"ewh_webhooks token {event.kind}",
            kind=SpanKind.CLIENT,
            start_time=end - int(event.elapsed * 1e9),
        )
        if event.error is not None:
            span.set_attribute("error.type", event.error)
            span.set_status(Status(StatusCode.ERROR))
        span.end(end_time=end)


def aiohttp_trace_configs() -> list[object]:
    """Spans for the HTTP exchanges themselves, and a `traceparent` header on each, from
    `opentelemetry-instrumentation-aiohttp-client`: `EWHClient(...,
    trace_configs=aiohttp_trace_configs())`. They complement `SpanHook` (which knows
    routes, retries and customers); use either or both.
    """
    from opentelemetry.instrumentation.aiohttp_client import create_trace_config

    return [create_trace_config()]
