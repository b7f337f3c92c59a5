"""Prometheus metrics from the client's hooks: requests by route and status, their
latency, retries, token renewals and shared 429 pauses.

    metrics = EWHMetrics()                       # registers on prometheus_client's REGISTRY
    client = EWHClient(..., hooks=[metrics])
    prometheus_client.start_http_server(9100)    # or your framework's /metrics route

Labels are few and bounded: the method, the route template (`/webhooks/{id}/`, never
an id), the status code or, when no response came, the error class. Add the customer
as a label only if you have a handful of them.

Needs `prometheus-client`; this package does not depend on it.
"""

from __future__ import annotations

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram

from ewh_webhooks.observe import ClientEvent, RateLimitPause, RequestAttempt, TokenRenewal

__all__ = ["EWHMetrics"]

# Seconds: from a fast GET on a near server to a slow sync write behind a proxy.
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class EWHMetrics:
    """A client hook (`EWHClient(hooks=[EWHMetrics()])`) that counts on `registry`.

    Create one per process (Prometheus refuses a metric name registered twice) and
    give it to every client.
    """

    def __init__(self, registry: CollectorRegistry = REGISTRY, prefix: str = "ewh") -> None:
        self.requests = Counter(
            f"{prefix}_requests",
            "Attempts of API requests, by outcome (status code, or error class).",
            ["method", "route", "outcome"],
            registry=registry,
        )
        self.latency = Histogram(
            f"{prefix}_request_duration_seconds",
            "Duration of each attempt of an API request.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.retries = Counter(
            f"{prefix}_retries",
            "Attempts followed by a retry.",
            ["method", "route"],
            registry=registry,
        )
        self.renewals = Counter(
            f"{prefix}_token_renewals",
            "Logins and token refreshes, by outcome.",
            ["kind", "outcome"],
            registry=registry,
        )
        self.pauses = Counter(
            f"{prefix}_rate_limit_pauses",
            "Times the server throttled the client (429 or Retry-After): every task waited.",
            ["status"],
            registry=registry,
        )
        self.pause_seconds = Counter(
            f"{prefix}_rate_limit_pause_seconds",
            "Seconds the client was paused by the server's throttling.",
            registry=registry,
        )

    def __call__(self, event: ClientEvent) -> None:
        if isinstance(event, RequestAttempt):
            outcome = str(event.status) if event.status is not None else event.error or "none"
            self.requests.labels(event.method, event.route, outcome).inc()
            self.latency.labels(event.method, event.route).observe(event.elapsed)
            if event.retry:
                self.retries.labels(event.method, event.route).inc()
        elif isinstance(event, TokenRenewal):
            self.renewals.labels(event.kind, "ok" if event.error is None else "error").inc()
        elif isinstance(event, RateLimitPause):
            self.pauses.labels(str(event.status)).inc()
            self.pause_seconds.inc(event.seconds)
