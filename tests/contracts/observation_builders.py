"""Hand-made observations for the catalogue's unit tests: healthy by default, broken one field at a time."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics

from fleetcheck.contracts.observations import (
    BootObservation,
    EndpointRead,
    FaultObservation,
    HealthSnapshot,
    HttpExchange,
    MetricsSnapshot,
)

if TYPE_CHECKING:
    from fleetcheck.contracts.fleet import Fleet, MetricFamilySpec, ServiceSpec

NOW = 1_750_000_000.0
TEXT_CT = "text/plain; version=0.0.4; charset=utf-8"
OPENMETRICS_CT = "application/openmetrics-text; version=1.0.0; charset=utf-8"


def exchange(
    path: str,
    *,
    status: int = 200,
    body: Any = b"",
    headers: dict[str, str] | None = None,
    elapsed_s: float = 0.01,
    method: str = "GET",
    error: str = "",
) -> HttpExchange:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return HttpExchange(
        method=method,
        url=f"http://127.0.0.1:9/{path.lstrip('/')}",
        path=path,
        status=status,
        headers=tuple((headers or {}).items()),
        body=raw,
        elapsed_s=elapsed_s,
        error=error,
    )


def stamp(at: float = NOW) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat()


def fleet_bodies(service: ServiceSpec, at: float = NOW) -> dict[str, Any]:
    """The five healthy fleet-profile bodies of ``service``, as SPEC.md shows them."""
    ts = stamp(at)
    return {
        "health": {"status": "ok", "service": service.name, "timestamp": ts},
        "live": {"status": "ok", "timestamp": ts},
        "ready": {
            "status": "ok",
            "checks": {d.name: {"status": "up", "latency_ms": 1.5} for d in service.depends_on},
            "timestamp": ts,
        },
        "stats": {
            "service": service.name,
            "statistics": {"uptime_seconds": 12.5, "requests_total": 40, "rss_bytes": 52_428_800},
            "timestamp": ts,
        },
        "dependencies": {
            "service": service.name,
            "dependencies": [
                {"name": d.name, "type": d.type, "required": d.required, "status": "up", "latency_ms": 1.5}
                for d in service.depends_on
            ],
            "timestamp": ts,
        },
    }


JSON_HEADERS = {"content-type": "application/json", "cache-control": "no-store"}
PATHS = {
    "health": "/health",
    "live": "/health/live",
    "ready": "/health/ready",
    "stats": "/health/stats",
    "dependencies": "/health/dependencies",
}


def health_snapshot(
    service: ServiceSpec,
    *,
    profile: str = "fleet",
    bodies: dict[str, Any] | None = None,
    overrides: dict[str, HttpExchange | None] | None = None,
    headers: dict[str, str] | None = None,
    observed_at: float = NOW,
) -> HealthSnapshot:
    """A healthy snapshot; ``bodies`` replaces a body, ``overrides`` a whole exchange (``None`` = not observed)."""
    merged = {**fleet_bodies(service, observed_at), **(bodies or {})}
    exchanges: dict[str, HttpExchange | None] = {
        name: exchange(path, body=merged[name], headers=headers or JSON_HEADERS) for name, path in PATHS.items()
    }
    exchanges.update(overrides or {})
    if profile != "fleet":
        exchanges["stats"] = exchanges["dependencies"] = None
        exchanges = {k: v for k, v in exchanges.items() if k not in ("stats", "dependencies")}
    reads = tuple(EndpointRead(name, PATHS[name], profile, value) for name, value in exchanges.items())
    return HealthSnapshot(reads, observed_at=observed_at)


def ready_down(
    service: ServiceSpec, dependency: str, *, latency_ms: float | None = None, **kwargs: Any
) -> HttpExchange:
    """Ready 503 with ``dependency`` down (with ``latency_ms`` when given: the time its check took)."""
    checks: dict[str, Any] = {d.name: {"status": "up", "latency_ms": 1.0} for d in service.depends_on}
    checks[dependency] = {"status": "down", "error": "connection refused"}
    if latency_ms is not None:
        checks[dependency]["latency_ms"] = latency_ms
    body = {"status": "error", "checks": checks, "timestamp": stamp()}
    return exchange("/health/ready", status=kwargs.pop("status", 503), body=body, headers=JSON_HEADERS, **kwargs)


def ready_up(service: ServiceSpec, **kwargs: Any) -> HttpExchange:
    return exchange("/health/ready", body=fleet_bodies(service)["ready"], headers=JSON_HEADERS, **kwargs)


def fault(service: ServiceSpec, dependency: str = "postgres", **changes: Any) -> FaultObservation:
    """A fault where the service behaved: 503 naming the dependency, live 200, recovered without restart."""
    values: dict[str, Any] = {
        "dependency": dependency,
        "mode": "stop",
        "baseline_ready": ready_up(service),
        "during_ready": ready_down(service, dependency, elapsed_s=0.05),
        "during_live": exchange("/health/live", body={"status": "ok", "timestamp": stamp()}, headers=JSON_HEADERS),
        "during_health": exchange("/health", body=fleet_bodies(service)["health"], headers=JSON_HEADERS),
        "recovered_ready": ready_up(service),
        "recovery_s": 1.2,
        "start_time_before": 1_749_999_000.0,
        "start_time_after": 1_749_999_000.0,
    }
    values.update(changes)
    return FaultObservation(**values)


def boot(service: ServiceSpec, dependency: str = "kafka", **changes: Any) -> BootObservation:
    """A boot where the service behaved: live 200 after 1.5 s, ready 503 naming the dependency, then ready."""
    values: dict[str, Any] = {
        "dependency": dependency,
        "bound_s": 20.0,
        "live": exchange("/health/live", body={"status": "ok", "timestamp": stamp()}, headers=JSON_HEADERS),
        "listening_s": 1.5,
        "ready": ready_down(service, dependency, elapsed_s=0.05),
        "start_error": None,
        "recovered_ready": ready_up(service),
        "recovery_s": 2.0,
    }
    values.update(changes)
    return BootObservation(**values)


class Scrape:
    """A real prometheus_client registry holding a service's required families, rendered as a scrape body."""

    def __init__(self, fleet: Fleet, service: ServiceSpec) -> None:
        self.registry = CollectorRegistry()
        self.metrics: dict[str, Any] = {}
        for spec in fleet.required_metrics(service):
            if spec.name.startswith("process_"):
                continue  # added as fixed values below: ProcessCollector reads /proc and differs per machine
            self.metrics[spec.name] = _make(spec, self.registry)
        self.process = Gauge("process_resident_memory_bytes", "Resident memory size in bytes.", registry=self.registry)
        self.process.set(52_428_800)
        Gauge("process_start_time_seconds", "Start time of the process.", registry=self.registry).set(1.7e9)
        Counter("process_cpu_seconds_total", "CPU time.", registry=self.registry).inc(0.5)

    def inc(self, family: str, amount: float = 1.0, **labels: str) -> Scrape:
        metric = self.metrics[family]
        (metric.labels(**labels) if labels else metric).inc(amount)
        return self

    def request(self, route: str, status: int, method: str = "GET", times: int = 1, seconds: float = 0.01) -> Scrape:
        labels = {"method": method, "route": route, "status_code": str(status)}
        self.metrics["http_requests_total"].labels(**labels).inc(times)
        for _ in range(times):
            self.metrics["http_request_duration_seconds"].labels(**labels).observe(seconds)
        return self

    def text(self) -> bytes:
        return generate_latest(self.registry)

    def openmetrics(self) -> bytes:
        return generate_openmetrics(self.registry)

    def exchange(self, path: str = "/metrics") -> HttpExchange:
        return exchange(path, body=self.text(), headers={"content-type": TEXT_CT})

    def snapshot(self) -> MetricsSnapshot:
        om = exchange("/metrics", body=self.openmetrics(), headers={"content-type": OPENMETRICS_CT})
        return MetricsSnapshot(self.exchange(), om)


def _make(spec: MetricFamilySpec, registry: CollectorRegistry) -> Any:
    name, doc = spec.name, f"{spec.name} (test)"
    if spec.type == "counter":
        return Counter(name.removesuffix("_total"), doc, spec.labels, registry=registry)
    if spec.type == "histogram":
        return Histogram(name, doc, spec.labels, registry=registry)
    return Gauge(name, doc, spec.labels, registry=registry)


def metrics_snapshot(text: bytes, *, content_type: str = TEXT_CT, openmetrics: bytes = b"# EOF\n") -> MetricsSnapshot:
    om = exchange("/metrics", body=openmetrics, headers={"content-type": OPENMETRICS_CT})
    return MetricsSnapshot(exchange("/metrics", body=text, headers={"content-type": content_type}), om)


def replace(ex: HttpExchange, **changes: Any) -> HttpExchange:
    return dataclasses.replace(ex, **changes)
