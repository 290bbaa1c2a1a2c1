"""Prometheus metrics: a registry per service, RED metrics labelled by route template, business-family helpers."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from litestar import Request, Response, get
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
)
from prometheus_client.exposition import choose_encoder

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from litestar.handlers import HTTPRouteHandler
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["UNMATCHED_ROUTE", "RedMiddleware", "ServiceMetrics", "metrics_handler"]

UNMATCHED_ROUTE = "<unmatched>"
_HTTP_LABELS = ("method", "route", "status_code")

# The `_created` series of counters/histograms print as extra gauge families in the classic text format; services
# expose only the families SPEC.md names (process start time covers "since when").
disable_created_metrics()


class ServiceMetrics:
    """The metric families of one service, on its own registry (never the global default registry).

    Example:
        >>> m = ServiceMetrics("organization")
        >>> ops = m.counter("organization_tenant_operations_total", "Tenant operations.", ["operation", "status"])
    """

    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        self.http_requests = Counter(
            "http_requests_total", "HTTP requests handled, by route template.", _HTTP_LABELS, registry=self.registry
        )
        self.http_duration = Histogram(
            "http_request_duration_seconds",
            "HTTP request duration in seconds, by route template.",
            _HTTP_LABELS,
            registry=self.registry,
        )
        self.requests_seen = 0
        self.events_published: Counter | None = None
        self.events_consumed: Counter | None = None
        self.outbox_pending: Gauge | None = None

    def counter(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Counter:
        """A counter family on the service registry (``name`` ends in ``_total``, as exposed)."""
        return Counter(name, documentation, list(labels), registry=self.registry)

    def gauge(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Gauge:
        return Gauge(name, documentation, list(labels), registry=self.registry)

    def histogram(
        self, name: str, documentation: str, labels: Sequence[str] = (), buckets: Sequence[float] | None = None
    ) -> Histogram:
        if buckets is None:
            return Histogram(name, documentation, list(labels), registry=self.registry)
        return Histogram(name, documentation, list(labels), registry=self.registry, buckets=list(buckets))

    def enable_events(self, published_topics: Iterable[str] = (), consumed_topics: Iterable[str] = ()) -> None:
        """Create the event families (SPEC: every service with events) and pre-create the known label sets."""
        if self.events_published is None:
            self.events_published = self.counter("events_published_total", "Events relayed to Kafka.", ["topic"])
            self.events_consumed = self.counter(
                "events_consumed_total", "Events consumed, by outcome.", ["topic", "outcome"]
            )
            self.outbox_pending = self.gauge("outbox_pending_events", "Outbox rows not yet published.")
        for topic in published_topics:
            self.events_published.labels(topic=topic)
        for topic in consumed_topics:
            assert self.events_consumed is not None
            for outcome in ("processed", "duplicate", "failed"):
                self.events_consumed.labels(topic=topic, outcome=outcome)

    def observe_request(self, method: str, route: str, status_code: int, seconds: float) -> None:
        labels = {"method": method, "route": route, "status_code": str(status_code)}
        self.http_requests.labels(**labels).inc()
        self.http_duration.labels(**labels).observe(seconds)
        self.requests_seen += 1

    def render(self, accept: str | None) -> tuple[bytes, str]:
        """The exposition body and content type, negotiated from the Accept header (OpenMetrics when asked)."""
        encoder, content_type = choose_encoder(accept or "")
        return encoder(self.registry), content_type


class RedMiddleware:
    """Outermost ASGI wrapper: counts every HTTP request, including 404s, labelled by the route template.

    It wraps the app's whole ASGI handler (not only matched routes) and reads ``scope["path_template"]``, which
    Litestar's router sets once a route matched; unmatched paths get ``<unmatched>`` so raw paths never become labels.
    """

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("path_template") or UNMATCHED_ROUTE
            self.metrics.observe_request(scope["method"], route, status, time.perf_counter() - started)


def metrics_handler(metrics: ServiceMetrics) -> HTTPRouteHandler:
    """``GET /metrics`` for ``metrics``, with content negotiation via ``choose_encoder``."""

    @get("/metrics", include_in_schema=False, sync_to_thread=False)
    def serve_metrics(request: Request) -> Response[bytes]:
        body, content_type = metrics.render(request.headers.get("accept"))
        return Response(content=body, media_type=content_type, headers={"Cache-Control": "no-store"})

    return serve_metrics
