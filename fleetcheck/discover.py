"""``fleetcheck init --discover``: probe running services and write a fleet file and a target file to start from.

For each base URL: the usual health paths are read and each answer's dialect recognised (a health profile, or a
custom profile declared for it); the usual metrics paths are scraped (families, whether OpenMetrics is served, an
HTTP request counter, the ``*_up`` gauges with which exporters report a dependency, which then become the service's
readiness); the usual OpenAPI paths are read to propose operations (written as comments: their bodies and counters
need a person); given a Kafka bootstrap, the topics are listed and given to the service whose name prefixes them.

Nothing is guessed silently: what discovery could not decide is a comment in the written files.

Example:
    >>> found = discover(["http://127.0.0.1:9090"])  # doctest: +SKIP
    >>> found[0].name, found[0].health["ready"]  # doctest: +SKIP
    ('prometheus', ('/-/ready', 'plain'))
"""

from __future__ import annotations

import json
import re
import textwrap
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import yaml

from fleetcheck.contracts.metrics import ExpositionError, parse_exposition, speaks_openmetrics
from fleetcheck.observe import OPENMETRICS_ACCEPT, exchange, observe_client

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    import httpx

    from fleetcheck.contracts.observations import HttpExchange

__all__ = ["DiscoveredService", "discover", "fleet_file_text", "target_file_text"]

#: where health endpoints usually are, in the order each role (health, live, ready) prefers them
HEALTH_PATHS = {
    "health": ("/health", "/healthz", "/api/health", "/api/v1/health", "/actuator/health", "/-/healthy"),
    "live": (
        "/health/live",
        "/livez?verbose",
        "/api/health/liveness",
        "/api/health/live",
        "/api/v1/health/live",
        "/actuator/health/liveness",
        "/-/healthy",
        "/healthz",
        "/health",
    ),
    "ready": (
        "/health/ready",
        "/readyz?verbose",
        "/api/health/readiness",
        "/api/health/ready",
        "/api/v1/health/ready",
        "/actuator/health/readiness",
        "/-/ready",
        "/health",
    ),
    "stats": ("/health/stats",),
    "dependencies": ("/health/dependencies",),
}
METRICS_PATHS = ("/metrics", "/api/metrics", "/api/v1/metrics", "/actuator/prometheus")
OPENAPI_PATHS = (
    "/schema/openapi.json",
    "/openapi.json",
    "/api/openapi.json",
    "/v3/api-docs",
    "/api-docs",
    "/swagger.json",
)
#: indicators of a service's own process, not of a dependency (Terminus, Spring)
_NOT_DEPENDENCIES = {"memory_heap", "memory_rss", "diskSpace", "ping", "livenessState", "readinessState", "disk"}
_KINDS = {"pg": "postgres", "postgres": "postgres", "postgresql": "postgres", "database": "postgres", "db": "postgres",
          "typeorm": "postgres", "redis": "redis", "cache": "redis", "kafka": "kafka", "broker": "kafka",
          "elasticsearch": "elasticsearch", "s3": "s3"}  # fmt: skip
_DEPENDENCY_NAMES = {"pg": "postgres", "postgresql": "postgres", "database": "postgres", "db": "postgres"}
_UP_WORDS = ("ok", "up", "UP", "pass", "healthy", "true", "OK", "green")
_UP_GAUGE = re.compile(r"^([a-z][a-z0-9]*)_up$")
_ROUTE_LABELS = ("route", "handler", "path", "uri", "endpoint")
_STATUS_LABELS = ("status_code", "code", "status")


@dataclass(slots=True)
class DiscoveredService:
    """What discovery found at one base URL."""

    name: str
    base_url: str
    health: dict[str, tuple[str, str]] = field(default_factory=dict)  # endpoint -> (path, profile)
    custom_profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    metrics_path: str | None = None
    openmetrics: bool = False
    families: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)  # name -> (type, labels)
    http_requests: tuple[str, str, str] | None = None  # (family, route label, status label)
    http_duration: str | None = None  # the request duration histogram labelled by the same route label
    dependencies: list[dict[str, Any]] = field(default_factory=list)
    operations: list[dict[str, Any]] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def discover(
    urls: Sequence[str], *, names: Sequence[str] = (), bootstrap: str | None = None, timeout: float = 5.0
) -> list[DiscoveredService]:
    """Probe each base URL (``names`` name them in order; otherwise a name is derived from what they expose)."""
    found = []
    with observe_client(timeout) as client:
        for n, url in enumerate(urls):
            service = DiscoveredService(names[n] if n < len(names) else "", url.rstrip("/"))
            _discover_metrics(client, service)
            service.name = service.name or _derived_name(service)
            _discover_health(client, service)
            _discover_openapi(client, service)
            if service.metrics_path and service.http_requests is None:
                _discover_metrics(client, service)  # a request counter may show only once requests were counted
            found.append(service)
    _unique_names(found)
    if bootstrap:
        _assign_topics(found, bootstrap)
    return found


# ---- health ---------------------------------------------------------------------------------------------------------


def _media(answer: HttpExchange) -> str:
    return (answer.header("content-type") or "").split(";")[0].strip().lower()


def _json(answer: HttpExchange) -> Any:
    try:
        return json.loads(answer.body)
    except ValueError:
        return None


def recognise(answer: HttpExchange) -> tuple[str, dict[str, Any] | None] | None:
    """The profile a health answer speaks: a built-in one's name, or ``("custom", spec)`` for a JSON shape of its
    own; ``None`` when it is no health answer (an error, a 404, an HTML landing page)."""
    if answer.error or answer.status not in (200, 503, 500) or _media(answer) == "text/html":
        return None
    data = _json(answer)
    if isinstance(data, dict):
        return _recognise_json(answer, data)
    text = answer.body.decode("utf-8", "replace").strip()
    if text == "ok" or text.startswith("[+]") or text.startswith("[-]"):
        return "kubernetes", None
    return ("plain", None) if _media(answer) == "text/plain" else None


def _recognise_json(answer: HttpExchange, data: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    if _media(answer) == "application/health+json":
        return "health+json", None
    if data.get("status") in ("ok", "error") and ("checks" in data or "service" in data or "timestamp" in data):
        return "fleet", None
    if {"info", "error", "details"} & set(data) and data.get("status") in ("ok", "error", "shutting_down"):
        return "terminus", None
    if data.get("status") in ("UP", "DOWN", "OUT_OF_SERVICE", "UNKNOWN"):
        return "spring", None
    key = next((k for k, v in data.items() if isinstance(v, str) and v in _UP_WORDS), None)
    spec: dict[str, Any] = {"status": f"$.{key}" if key else "$.status", "up": [data[key]] if key else list(_UP_WORDS)}
    spec["content_types"] = [_media(answer) or "application/json"]
    return "custom", spec


def _discover_health(client: httpx.Client, service: DiscoveredService) -> None:
    seen: dict[str, tuple[str, dict[str, Any] | None] | None] = {}
    for role, paths in HEALTH_PATHS.items():
        for path in paths:
            if path not in seen:
                seen[path] = recognise(exchange(client, "GET", f"{service.base_url}{path}"))
            found = seen[path]
            if found is None or (role in ("stats", "dependencies") and found[0] != "fleet"):
                continue
            service.health[role] = (path, _profile_name(service, found))
            break
    if _readiness_from_metrics(service):
        service.health["ready"] = (service.metrics_path or "/metrics", f"{service.name}-metrics")
    if not service.health:
        service.notes.append("no health endpoint answered at the usual paths (an HTML landing page is not one)")
    ready = seen.get(service.health.get("ready", ("", ""))[0])
    if ready is not None and not service.dependencies:
        service.dependencies = _body_dependencies(client, service)


def _profile_name(service: DiscoveredService, found: tuple[str, dict[str, Any] | None]) -> str:
    name, spec = found
    if spec is None:
        return name
    custom = f"{service.name}-json"
    service.custom_profiles[custom] = {**spec, "endpoints": ["health", "live", "ready"]}
    return custom


def _body_dependencies(client: httpx.Client, service: DiscoveredService) -> list[dict[str, Any]]:
    """Dependencies a JSON ready body names (Terminus details, Spring components, the fleet profile's checks)."""
    path, _profile = service.health["ready"]
    data = _json(exchange(client, "GET", f"{service.base_url}{path}"))
    if not isinstance(data, dict):
        return []
    keys: Iterable[str] = ()
    for section in ("checks", "details", "components"):
        if isinstance(data.get(section), dict):
            keys = data[section].keys()
            break
    return [_dependency(key) for key in keys if key not in _NOT_DEPENDENCIES]


def _dependency(key: str) -> dict[str, Any]:
    kind = _KINDS.get(key.lower(), f"custom:{_slug(key)}")
    name = _DEPENDENCY_NAMES.get(key.lower(), _slug(key))
    entry: dict[str, Any] = {"name": name, "type": kind}
    if key != name:
        entry["health_key"] = key
    return entry


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "dependency"


# ---- metrics --------------------------------------------------------------------------------------------------------


def _discover_metrics(client: httpx.Client, service: DiscoveredService) -> None:
    for path in METRICS_PATHS:
        answer = exchange(client, "GET", f"{service.base_url}{path}")
        if answer.status != 200 or _media(answer) not in ("text/plain", "application/openmetrics-text"):
            continue
        try:
            exposition = parse_exposition(answer.body, openmetrics=speaks_openmetrics(answer))
        except ExpositionError:
            service.notes.append(f"GET {path} answered 200 but its exposition does not parse")
            continue
        service.metrics_path = path
        asked = exchange(client, "GET", f"{service.base_url}{path}", headers={"Accept": OPENMETRICS_ACCEPT})
        service.openmetrics = speaks_openmetrics(asked)
        for name, metric in exposition.families.items():
            labels = sorted({k for s in metric.samples for k in s.labels if k not in ("le", "quantile")})
            service.families[name] = (metric.type, tuple(labels))
        service.http_requests = _request_counter(service.families)
        if service.http_requests:
            service.http_duration = _request_duration(service.families, service.http_requests[1])
        service.dependencies = _gauge_dependencies(service.families)
        return
    service.notes.append(f"no metrics at {', '.join(METRICS_PATHS)}")


def _request_counter(families: dict[str, tuple[str, tuple[str, ...]]]) -> tuple[str, str, str] | None:
    """An HTTP request counter labelled by route and status (not one that counts only its own scrapes)."""
    for name, (kind, labels) in sorted(families.items()):
        if kind != "counter" or "http" not in name or "request" not in name or name.startswith("promhttp_"):
            continue
        route = next((r for r in _ROUTE_LABELS if r in labels), None)
        status = next((s for s in _STATUS_LABELS if s in labels), None)
        if route and status:
            return name, route, status
    return None


def _request_duration(families: dict[str, tuple[str, tuple[str, ...]]], route: str) -> str | None:
    """A request duration histogram in seconds, labelled by the request counter's route label."""
    for name, (kind, labels) in sorted(families.items()):
        timed = "request" in name and "duration" in name and name.endswith("_seconds")
        if kind == "histogram" and timed and route in labels:
            return name
    return None


def _gauge_dependencies(families: dict[str, tuple[str, tuple[str, ...]]]) -> list[dict[str, Any]]:
    """Exporters report each dependency as a ``<prefix>_up`` gauge (``pg_up``, ``redis_up``)."""
    found = []
    for name, (kind, _labels) in sorted(families.items()):
        match = _UP_GAUGE.match(name)
        if match and kind in ("gauge", "untyped", "unknown"):
            prefix = match.group(1)
            found.append({"name": _DEPENDENCY_NAMES.get(prefix, prefix), "type": _KINDS.get(prefix, f"custom:{prefix}"),
                          "metric": name})  # fmt: skip
    return found


def _readiness_from_metrics(service: DiscoveredService) -> bool:
    gauges = {d["name"]: d["metric"] for d in service.dependencies if "metric" in d}
    if not gauges:
        return False
    profile = f"{service.name}-metrics"
    service.custom_profiles[profile] = {
        "format": "metrics",
        "endpoints": ["ready"],
        "paths": {"ready": service.metrics_path or "/metrics"},
        "base": "",
        "content_types": ["text/plain"],
        "dependency_metrics": gauges,
        "down_statuses": [200],
    }
    service.notes.append(
        f"readiness is read from {', '.join(gauges.values())} on {service.metrics_path}: the exporter answers 200 "
        "whatever its dependency does, and reports it in those gauges"
    )
    return True


# ---- OpenAPI and topics ---------------------------------------------------------------------------------------------


def _discover_openapi(client: httpx.Client, service: DiscoveredService) -> None:
    for path in OPENAPI_PATHS:
        answer = exchange(client, "GET", f"{service.base_url}{path}")
        document = _json(answer) if answer.status == 200 else None
        if isinstance(document, dict) and isinstance(document.get("paths"), dict):
            service.operations = _operations(document)[:10]
            service.notes.append(f"OpenAPI document at {path}: {len(document['paths'])} path(s)")
            return


def _operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    proposed = []
    for path, methods in document["paths"].items():
        for method, operation in (methods if isinstance(methods, dict) else {}).items():
            if method.upper() not in ("POST", "PUT", "PATCH") or not isinstance(operation, dict):
                continue
            name = operation.get("operationId") or f"{method} {path}"
            proposed.append(
                {"name": _slug(str(name)), "method": method.upper(), "path": re.sub(r"\{[^}]+\}", "{id}", path)}
            )
    return proposed


def _assign_topics(services: list[DiscoveredService], bootstrap: str) -> None:
    from fleetcheck.fixtures.kafka import list_topics

    try:
        topics = sorted(list_topics(bootstrap, timeout=10.0))
    except Exception as exc:  # an unreachable broker is a note in the files, not a failed discovery
        services[0].notes.append(f"the topics of {bootstrap} could not be listed: {exc}")
        return
    for service in services:
        service.topics = [t for t in topics if t.startswith(f"{service.name}.") and not t.startswith("_")]


# ---- names ----------------------------------------------------------------------------------------------------------


def _derived_name(service: DiscoveredService) -> str:
    """The namespace of the service's ``*_build_info`` family, else its most common metric prefix, else its port."""
    infos = [
        n.removesuffix("_build_info") for n in service.families if n.endswith("_build_info") and n != "go_build_info"
    ]
    if infos:
        return _slug(sorted(infos, key=len)[0])
    prefixes = Counter(n.split("_")[0] for n in service.families if not n.startswith(("go_", "process_", "promhttp_")))
    if prefixes:
        return _slug(prefixes.most_common(1)[0][0])
    return f"service-{urlsplit(service.base_url).port or 80}"


def _unique_names(services: list[DiscoveredService]) -> None:
    counts = Counter(s.name for s in services)
    for service in services:
        if counts[service.name] > 1:
            service.name = f"{service.name}-{urlsplit(service.base_url).port or 80}"


# ---- the files ------------------------------------------------------------------------------------------------------


def _common_process_families(services: list[DiscoveredService]) -> list[dict[str, Any]]:
    with_metrics = [s for s in services if s.families]
    if not with_metrics:
        return []
    shared = set.intersection(*({n for n in s.families if n.startswith("process_")} for s in with_metrics))
    first = with_metrics[0].families
    return [{"name": n, "type": first[n][0]} for n in sorted(shared)]


def _service_entry(service: DiscoveredService) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": service.name}
    ready_profile = service.health.get("ready", ("", "plain"))[1]
    entry["health"] = {
        "profile": ready_profile,
        "endpoints": {role: {"path": path, "profile": profile} for role, (path, profile) in service.health.items()},
    }
    for role in ("health", "live", "ready", "stats", "dependencies"):
        if role not in service.health:
            entry["health"]["endpoints"][role] = None
    if service.metrics_path:
        entry["metrics_path"] = service.metrics_path
    entry["openmetrics"] = service.openmetrics
    deps = [{k: v for k, v in d.items() if k != "metric"} for d in service.dependencies]
    if deps:
        entry["depends_on"] = deps
    required = [n for n in service.families if n.endswith("_build_info") or _UP_GAUGE.match(n)]
    if required:
        entry["metrics"] = [_family(n, *service.families[n]) for n in sorted(required)]
    if service.http_requests:
        family, route, status = service.http_requests
        entry["http_metrics"] = {"requests": family, "duration": service.http_duration, "route_label": route,
                                 "status_label": status}  # fmt: skip
    else:
        entry["http_metrics"] = {"requests": None, "duration": None}
    if service.topics:
        entry["produces"] = service.topics
    return entry


def _family(name: str, kind: str, labels: tuple[str, ...]) -> dict[str, Any]:
    family: dict[str, Any] = {"name": name, "type": "gauge" if kind in ("untyped", "unknown") else kind}
    if labels:
        family["labels"] = list(labels)
    return family


def fleet_file_text(services: list[DiscoveredService], fleet_name: str) -> str:
    """A commented fleet file for what discovery found (valid as written: the proposals are comments)."""
    data: dict[str, Any] = {"name": fleet_name}
    profiles = {name: spec for s in services for name, spec in s.custom_profiles.items()}
    if profiles:
        data["health_profiles"] = profiles
    common = _common_process_families(services)
    if common:
        data["common_metrics"] = common
    data["services"] = [_service_entry(s) for s in services]
    topics = [{"name": t, "producer": s.name} for s in services for t in s.topics]
    if topics:
        data["topics"] = topics
    lines = [
        "# Written by `fleetcheck init --discover` from what the services answered. Review it: it states what they",
        "# do today, which is the contract they are held to. See the README, 'Verify your own fleet'.",
        "",
        yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120).rstrip(),
        "",
    ]
    for service in services:
        lines += _comments(service)
    return "\n".join(lines) + "\n"


def _comments(service: DiscoveredService) -> list[str]:
    lines = [f"# --- {service.name} ({service.base_url})"]
    lines += [f"# note: {note}" for note in service.notes]
    if service.operations:
        lines.append("# proposed operations (from its OpenAPI document; add the body and the counters each moves,")
        lines.append(f"# then move them under services[{service.name}].operations):")
        for op in service.operations:
            request = f"{{method: {op['method']}, path: '{op['path']}', json: {{}}}}"
            step = f"{{name: {op['name']}, request: {request}}}"
            lines.append(f"#   - {{name: {op['name']}, steps: [{step}], moves: []}}")
    others = sorted(n for n in service.families if not (n.endswith("_build_info") or _UP_GAUGE.match(n)))
    if others:
        lines.append(f"# {len(others)} more metric families were exposed; declare those your contract requires:")
        lines += textwrap.wrap(", ".join(others), 116, initial_indent="#   ", subsequent_indent="#   ")
    return [*lines, ""]


def target_file_text(services: list[DiscoveredService], fleet_file: str, bootstrap: str | None) -> str:
    """A commented target file for the discovered services (their URLs; credentials and fault hooks to fill in)."""
    data: dict[str, Any] = {"fleet": fleet_file, "services": {s.name: {"base_url": s.base_url} for s in services}}
    if bootstrap:
        data["kafka"] = {"bootstrap": bootstrap}
    hooks = sorted({d["name"] for s in services for d in s.dependencies})
    lines = [
        "# Written by `fleetcheck init --discover`: where the fleet runs. Add what only you know (see the README):",
        "",
        yaml.safe_dump(data, sort_keys=False, width=120).rstrip(),
        "",
        "# credentials: {tenant: {tenant_id: ..., email: ..., password: ...}}  # or {token: ...}, {token_command: ...}",
        "# databases: {<service>: {inspect: <read-only DSN>, runtime: <the service's own DSN>}}",
    ]
    if hooks:
        lines.append(
            "# faults: commands that break and restore each dependency (fault checks are not run without them):"
        )
        lines += [f"#   {h}: {{stop: '...', start: '...', freeze: '...', thaw: '...'}}" for h in hooks]
        lines.append(
            "# and under a service, lifecycle: {start: '...', stop: '...'} boots it with each dependency stopped "
            "(HEALTH-BOOT)"
        )
    return "\n".join(lines) + "\n"
