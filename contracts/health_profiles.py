"""Health profiles: adapters that turn each health dialect into one model the checks judge.

Real fleets answer health in different shapes. A profile knows one shape: which endpoints it has and where they
usually live, which content types it uses, whether its bodies carry a service name, a timestamp, latencies and
errors, which HTTP status it answers when a dependency is down, and how to read a body into
:class:`NormalizedHealth`. Checks only ever see the normalized model (plus headers and the shape verdict).

Built in: ``fleet`` (SPEC.md's own), ``terminus`` (NestJS), ``health+json`` (the IETF draft), ``spring`` (Spring Boot
Actuator), ``kubernetes`` (``/livez``, ``/readyz?verbose`` as the Kubernetes API server and etcd answer them),
``plain`` (the HTTP status is the verdict, as Prometheus's ``/-/ready``). A fleet file declares its own
(:class:`CustomProfileSpec`): JSON paths for the overall status, the values that mean up, and the dependency map.

Dependencies are reported under the keys the body uses (``database``, ``db``, ``redis``); a check finds a declared
dependency by its ``health_key``, else by its name or the usual keys of its kind (:func:`dependency_keys`).

Example:
    >>> body = b'{"status": "ok", "details": {"database": {"status": "up"}}}'
    >>> health = BUILTIN_PROFILES["terminus"].normalize("ready", body)
    >>> health.status, find_dependency(health, dependency_keys("postgres", "postgres")).status
    ('up', 'up')
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal, Protocol

import jsonschema
from jsonpath_ng.exceptions import JsonPathParserError
from jsonpath_ng.ext.parser import parse as parse_jsonpath
from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "BUILTIN_PROFILES",
    "ENDPOINTS",
    "CustomProfileSpec",
    "DependencyState",
    "FleetProfile",
    "HealthJsonProfile",
    "HealthProfile",
    "HealthStatus",
    "KubernetesProfile",
    "NormalizedHealth",
    "PlainProfile",
    "SpringProfile",
    "TerminusProfile",
    "custom_profile",
    "dependency_keys",
    "find_dependency",
    "json_path",
    "profile_for",
]

HealthStatus = Literal["up", "down", "unknown"]

#: The five health endpoints of SPEC.md, by the names observations and profiles use.
ENDPOINTS: tuple[str, ...] = ("health", "live", "ready", "stats", "dependencies")

#: Keys real fleets report a dependency of each kind under, besides the dependency's own name.
KIND_KEYS: dict[str, tuple[str, ...]] = {
    "postgres": ("database", "db", "typeorm", "postgresql", "pg"),
    "kafka": ("broker", "kafka"),
    "redis": ("redis", "cache"),
    "storage": ("disk", "diskSpace", "storage"),
    "elasticsearch": ("elasticsearch", "search"),
    "s3": ("s3", "storage"),
}


def dependency_keys(name: str, kind: str, health_key: str | None = None) -> tuple[str, ...]:
    """The keys a health body may report a dependency under: its declared ``health_key`` alone, else its name and
    the usual keys of its kind."""
    if health_key:
        return (health_key,)
    return tuple(dict.fromkeys((name, *KIND_KEYS.get(kind, ()))))


@dataclass(frozen=True, slots=True)
class DependencyState:
    """One dependency as a health body reports it. ``type``/``required`` only where the profile states them."""

    status: HealthStatus
    latency_ms: float | None = None
    error: str | None = None
    type: str | None = None
    required: bool | None = None


@dataclass(frozen=True, slots=True)
class NormalizedHealth:
    """One health body in the profile-independent model the checks judge.

    ``problems`` lists what the adapter could not read (not JSON, an unknown status word); ``statistics`` holds the
    numbers of a stats body. ``dependencies`` are keyed as the body keys them.
    """

    status: HealthStatus
    dependencies: dict[str, DependencyState] = field(default_factory=dict)
    timestamp: str | None = None
    service: str | None = None
    problems: tuple[str, ...] = ()
    statistics: dict[str, Any] = field(default_factory=dict)


def find_dependency(health: NormalizedHealth, keys: tuple[str, ...]) -> DependencyState | None:
    """The first of ``keys`` the body reports (case-insensitively), or ``None``."""
    lowered = {k.lower(): v for k, v in health.dependencies.items()}
    return next((lowered[k.lower()] for k in keys if k.lower() in lowered), None)


class HealthProfile(Protocol):
    """A health dialect: what it exposes, where it usually is, and how to read it."""

    @property
    def name(self) -> str: ...

    @property
    def endpoints(self) -> tuple[str, ...]:
        """The endpoints (of :data:`ENDPOINTS`) this dialect defines."""

    @property
    def default_base(self) -> str:
        """Where the endpoints usually live (``/health``); a service's ``health.base`` replaces it."""

    @property
    def default_paths(self) -> dict[str, str]:
        """Each endpoint's path under the base (``{"live": "/live"}``)."""

    @property
    def content_types(self) -> tuple[str, ...]:
        """Media types a body may be served as (without parameters)."""

    @property
    def service_endpoints(self) -> tuple[str, ...]:
        """Endpoints whose body names the service (empty when the dialect has no service name)."""

    @property
    def timestamp_endpoints(self) -> tuple[str, ...]:
        """Endpoints whose body carries a timestamp."""

    @property
    def reports_latency(self) -> bool:
        """Whether ready states a latency per dependency."""

    @property
    def reports_errors(self) -> bool:
        """Whether a down dependency carries an error text."""

    @property
    def lists_dependencies(self) -> bool:
        """Whether the ready body names the dependencies it checked (a plain 200/503 does not)."""

    @property
    def down_statuses(self) -> tuple[int, ...]:
        """The HTTP statuses ready answers when a dependency is down."""

    def normalize(self, endpoint: str, body: bytes) -> NormalizedHealth:
        """Read one body of ``endpoint`` into the normalized model; never raises."""

    def validate(self, endpoint: str, body: bytes) -> tuple[str, ...]:
        """Everything wrong with the body's shape for this dialect (empty when valid)."""


def _load_json(body: bytes) -> tuple[Any, str | None]:
    try:
        return json.loads(body.decode("utf-8")), None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, f"body is not JSON: {exc}"


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _not_object(problem: str | None) -> NormalizedHealth:
    return NormalizedHealth("unknown", problems=(problem or "body is not a JSON object",))


@cache
def _fleet_schema(endpoint: str) -> dict[str, Any]:
    folder = resources.files("fleetcheck.contracts").joinpath("schemas", "health")
    schema: dict[str, Any] = json.loads(folder.joinpath(f"{endpoint}.json").read_text(encoding="utf-8"))
    return schema


_UNDER_HEALTH = {"health": "", "live": "/live", "ready": "/ready"}


@dataclass(frozen=True, slots=True)
class FleetProfile:
    """SPEC.md's own shape: five endpoints, ``status`` ok/error, ``checks`` keyed by dependency name."""

    name: str = "fleet"
    endpoints: tuple[str, ...] = ENDPOINTS
    default_base: str = "/health"
    default_paths: dict[str, str] = field(
        default_factory=lambda: {**_UNDER_HEALTH, "stats": "/stats", "dependencies": "/dependencies"}
    )
    content_types: tuple[str, ...] = ("application/json",)
    service_endpoints: tuple[str, ...] = ("health", "stats", "dependencies")
    timestamp_endpoints: tuple[str, ...] = ENDPOINTS
    reports_latency: bool = True
    reports_errors: bool = True
    lists_dependencies: bool = True
    down_statuses: tuple[int, ...] = (503,)

    def normalize(self, endpoint: str, body: bytes) -> NormalizedHealth:
        data, problem = _load_json(body)
        if not isinstance(data, dict):
            return _not_object(problem)
        problems: list[str] = []
        status = self._status(data, endpoint, problems)
        return NormalizedHealth(
            status=status,
            dependencies=self._dependencies(data),
            timestamp=_text(data.get("timestamp")),
            service=_text(data.get("service")),
            problems=tuple(problems),
            statistics=dict(data["statistics"]) if isinstance(data.get("statistics"), dict) else {},
        )

    def validate(self, endpoint: str, body: bytes) -> tuple[str, ...]:
        data, problem = _load_json(body)
        if problem:
            return (problem,)
        validator = jsonschema.Draft202012Validator(_fleet_schema(endpoint))
        errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
        return tuple(f"{_json_path(e.absolute_path)}: {e.message}" for e in errors)

    @staticmethod
    def _status(data: dict[str, Any], endpoint: str, problems: list[str]) -> HealthStatus:
        raw = data.get("status")
        if raw == "ok":
            return "up"
        if raw == "error":
            return "down"
        if endpoint in ("stats", "dependencies") and raw is None:
            # these bodies carry no overall status; what matters is what they list
            return "up"
        problems.append(f"status is {raw!r}, expected 'ok' or 'error'")
        return "unknown"

    @staticmethod
    def _dependencies(data: dict[str, Any]) -> dict[str, DependencyState]:
        deps: dict[str, DependencyState] = {}
        checks = data.get("checks")
        if isinstance(checks, dict):
            for name, entry in checks.items():
                if isinstance(entry, dict):
                    deps[name] = _fleet_dependency(entry)
        listed = data.get("dependencies")
        if isinstance(listed, list):
            for entry in listed:
                if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                    deps[entry["name"]] = _fleet_dependency(entry)
        return deps


def _word(raw: Any, up: tuple[str, ...], down: tuple[str, ...]) -> HealthStatus:
    if raw in up:
        return "up"
    return "down" if raw in down else "unknown"


def _fleet_dependency(entry: dict[str, Any]) -> DependencyState:
    required = entry.get("required")
    return DependencyState(
        status=_word(entry.get("status"), ("up",), ("down",)),
        latency_ms=_number(entry.get("latency_ms")),
        error=_text(entry.get("error")),
        type=_text(entry.get("type")),
        required=required if isinstance(required, bool) else None,
    )


def _json_path(path: Any) -> str:
    parts = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
    return f"${parts}"


@dataclass(frozen=True, slots=True)
class TerminusProfile:
    """NestJS Terminus: ``{status, info, error, details}``, each indicator ``{status: up|down, ...}``.

    Terminus has no service name, timestamp or latency; a down indicator's ``message`` is its error.
    """

    name: str = "terminus"
    endpoints: tuple[str, ...] = ("health", "live", "ready")
    default_base: str = "/health"
    default_paths: dict[str, str] = field(default_factory=lambda: dict(_UNDER_HEALTH))
    content_types: tuple[str, ...] = ("application/json",)
    service_endpoints: tuple[str, ...] = ()
    timestamp_endpoints: tuple[str, ...] = ()
    reports_latency: bool = False
    reports_errors: bool = False
    lists_dependencies: bool = True
    down_statuses: tuple[int, ...] = (503,)

    def normalize(self, endpoint: str, body: bytes) -> NormalizedHealth:
        data, problem = _load_json(body)
        if not isinstance(data, dict):
            return _not_object(problem)
        raw = data.get("status")
        status = _word(raw, ("ok",), ("error", "shutting_down"))
        problems = () if status != "unknown" else (f"status is {raw!r}, expected 'ok', 'error' or 'shutting_down'",)
        deps: dict[str, DependencyState] = {}
        for section in ("info", "error", "details"):  # details wins: it is the union Terminus reports
            indicators = data.get(section)
            if isinstance(indicators, dict):
                for key, entry in indicators.items():
                    if isinstance(entry, dict):
                        deps[key] = _terminus_indicator(entry)
        return NormalizedHealth(status=status, dependencies=deps, problems=problems)

    def validate(self, endpoint: str, body: bytes) -> tuple[str, ...]:
        data, problem = _load_json(body)
        if problem:
            return (problem,)
        if not isinstance(data, dict):
            return ("$: body is not a JSON object",)
        found = list(self.normalize(endpoint, body).problems)
        for section in ("info", "error", "details"):
            indicators = data.get(section, {})
            if indicators is not None and not isinstance(indicators, dict):
                found.append(f"$.{section}: expected an object of indicators")
                continue
            for key, entry in (indicators or {}).items():
                if not isinstance(entry, dict) or entry.get("status") not in ("up", "down"):
                    found.append(f"$.{section}.{key}: expected {{'status': 'up'|'down', ...}}")
        return tuple(found)


def _terminus_indicator(entry: dict[str, Any]) -> DependencyState:
    status = _word(entry.get("status"), ("up",), ("down",))
    return DependencyState(status=status, error=_text(entry.get("message")) if status == "down" else None)


_HEALTH_JSON_STATUS: dict[str, HealthStatus] = {
    "pass": "up",
    "ok": "up",
    "up": "up",
    "warn": "up",
    "fail": "down",
    "error": "down",
    "down": "down",
}


@dataclass(frozen=True, slots=True)
class HealthJsonProfile:
    """The ``application/health+json`` draft (draft-inadarei-api-health-check).

    ``status`` pass/warn/fail (warn is healthy with a concern); ``checks`` keyed ``component:measurement`` with lists
    of ``{componentId, status, observedValue, observedUnit, time, output}``. A ``responseTime`` measurement is the
    dependency's latency; ``output`` of a failing entry is its error. Components are named by the part before ``:``.
    """

    name: str = "health+json"
    endpoints: tuple[str, ...] = ("health", "live", "ready")
    default_base: str = "/health"
    default_paths: dict[str, str] = field(default_factory=lambda: dict(_UNDER_HEALTH))
    content_types: tuple[str, ...] = ("application/health+json",)
    service_endpoints: tuple[str, ...] = ()
    timestamp_endpoints: tuple[str, ...] = ()
    reports_latency: bool = True
    reports_errors: bool = True
    lists_dependencies: bool = True
    down_statuses: tuple[int, ...] = (503,)

    def normalize(self, endpoint: str, body: bytes) -> NormalizedHealth:
        data, problem = _load_json(body)
        if not isinstance(data, dict):
            return _not_object(problem)
        raw = data.get("status")
        status = _HEALTH_JSON_STATUS.get(raw, "unknown") if isinstance(raw, str) else "unknown"
        problems = () if status != "unknown" else (f"status is {raw!r}, expected 'pass', 'warn' or 'fail'",)
        grouped: dict[str, list[dict[str, Any]]] = {}
        checks = data.get("checks")
        for key, entries in (checks if isinstance(checks, dict) else {}).items():
            component, _, measurement = key.partition(":")
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, dict):
                    grouped.setdefault(component, []).append({**entry, "_m": measurement})
        deps = {name: _health_json_component(entries) for name, entries in grouped.items()}
        return NormalizedHealth(
            status=status, dependencies=deps, service=_text(data.get("serviceId")), problems=problems
        )

    def validate(self, endpoint: str, body: bytes) -> tuple[str, ...]:
        data, problem = _load_json(body)
        if problem:
            return (problem,)
        if not isinstance(data, dict):
            return ("$: body is not a JSON object",)
        found = list(self.normalize(endpoint, body).problems)
        checks = data.get("checks", {})
        if not isinstance(checks, dict):
            return (*found, "$.checks: expected an object keyed 'component:measurement'")
        for key, entries in checks.items():
            if not isinstance(entries, list):
                found.append(f"$.checks[{key!r}]: expected an array of check results")
                continue
            for i, entry in enumerate(entries):
                if not isinstance(entry, dict) or entry.get("status", "pass") not in ("pass", "warn", "fail"):
                    found.append(f"$.checks[{key!r}][{i}]: expected an object with status pass, warn or fail")
        return tuple(found)


def _health_json_component(entries: list[dict[str, Any]]) -> DependencyState:
    words = [e.get("status", "pass") for e in entries]
    status: HealthStatus = "down" if "fail" in words else "up" if words else "unknown"
    latency = None
    for entry in entries:
        if entry["_m"] == "responseTime" and (value := _number(entry.get("observedValue"))) is not None:
            latency = value * 1000 if entry.get("observedUnit") == "s" else value
    errors = [e["output"] for e in entries if e.get("status") == "fail" and isinstance(e.get("output"), str)]
    return DependencyState(status=status, latency_ms=latency, error="; ".join(errors) or None)


_SPRING_UP, _SPRING_DOWN = ("UP",), ("DOWN", "OUT_OF_SERVICE")


@dataclass(frozen=True, slots=True)
class SpringProfile:
    """Spring Boot Actuator: ``{"status": "UP", "components": {"db": {"status": "UP", "details": {...}}}}``.

    ``/actuator/health`` with its liveness and readiness groups; ``UP`` is up, ``DOWN`` and ``OUT_OF_SERVICE`` are
    down (answered 503), ``UNKNOWN`` is unknown. A down component's ``details.error`` is its error. Nested
    components (a composite ``db`` with ``components`` of its own) are read as one component, down if any part is.
    """

    name: str = "spring"
    endpoints: tuple[str, ...] = ("health", "live", "ready")
    default_base: str = "/actuator/health"
    default_paths: dict[str, str] = field(
        default_factory=lambda: {"health": "", "live": "/liveness", "ready": "/readiness"}
    )
    content_types: tuple[str, ...] = ("application/vnd.spring-boot.actuator.v3+json", "application/json")
    service_endpoints: tuple[str, ...] = ()
    timestamp_endpoints: tuple[str, ...] = ()
    reports_latency: bool = False
    reports_errors: bool = False
    lists_dependencies: bool = True
    down_statuses: tuple[int, ...] = (503,)

    def normalize(self, endpoint: str, body: bytes) -> NormalizedHealth:
        data, problem = _load_json(body)
        if not isinstance(data, dict):
            return _not_object(problem)
        raw = data.get("status")
        status = _word(raw, _SPRING_UP, _SPRING_DOWN)
        problems = (
            ()
            if raw in (*_SPRING_UP, *_SPRING_DOWN, "UNKNOWN")
            else (f"status is {raw!r}, expected UP, DOWN, OUT_OF_SERVICE or UNKNOWN",)
        )
        components = data.get("components")
        deps = {
            key: _spring_component(entry)
            for key, entry in (components if isinstance(components, dict) else {}).items()
            if isinstance(entry, dict)
        }
        return NormalizedHealth(status=status, dependencies=deps, problems=problems)

    def validate(self, endpoint: str, body: bytes) -> tuple[str, ...]:
        data, problem = _load_json(body)
        if problem:
            return (problem,)
        if not isinstance(data, dict):
            return ("$: body is not a JSON object",)
        found = list(self.normalize(endpoint, body).problems)
        components = data.get("components", {})
        if not isinstance(components, dict):
            return (*found, "$.components: expected an object of components")
        for key, entry in components.items():
            if not isinstance(entry, dict) or not isinstance(entry.get("status"), str):
                found.append(f"$.components.{key}: expected {{'status': 'UP'|'DOWN'|..., ...}}")
        return tuple(found)


def _spring_component(entry: dict[str, Any]) -> DependencyState:
    status = _word(entry.get("status"), _SPRING_UP, _SPRING_DOWN)
    details = entry.get("details")
    error = _text(details.get("error")) if isinstance(details, dict) else None
    return DependencyState(status=status, error=error if status == "down" else None)


_VERBOSE_LINE = re.compile(r"^\[(?P<sign>[+-])\](?P<name>[^\s]+)\s+(?P<rest>.*)$")


@dataclass(frozen=True, slots=True)
class KubernetesProfile:
    """Kubernetes-style ``/livez`` and ``/readyz?verbose`` (the Kubernetes API server, etcd 3.5+).

    Plain text: ``ok`` when healthy; with ``?verbose`` one line per check, ``[+]name ok`` or ``[-]name failed:
    reason``, and a last line ``ok`` or ``<endpoint> check failed``. A failing check answers 500 (503 is accepted
    too). The HTTP status is the verdict; the lines are the dependencies.
    """

    name: str = "kubernetes"
    endpoints: tuple[str, ...] = ("health", "live", "ready")
    default_base: str = ""
    default_paths: dict[str, str] = field(
        default_factory=lambda: {"health": "/healthz", "live": "/livez?verbose", "ready": "/readyz?verbose"}
    )
    content_types: tuple[str, ...] = ("text/plain",)
    service_endpoints: tuple[str, ...] = ()
    timestamp_endpoints: tuple[str, ...] = ()
    reports_latency: bool = False
    reports_errors: bool = True
    lists_dependencies: bool = True
    down_statuses: tuple[int, ...] = (500, 503)

    def normalize(self, endpoint: str, body: bytes) -> NormalizedHealth:
        text = body.decode("utf-8", "replace").strip()
        deps: dict[str, DependencyState] = {}
        for line in text.splitlines():
            match = _VERBOSE_LINE.match(line.strip())
            if match is None:
                continue
            up = match["sign"] == "+"
            error = None if up else match["rest"].removeprefix("failed:").strip() or "failed"
            deps[match["name"]] = DependencyState("up" if up else "down", error=error)
        last = text.splitlines()[-1].strip() if text else ""
        if last == "ok" or (last.startswith("[+]") and deps and all(d.status == "up" for d in deps.values())):
            status: HealthStatus = "up"
        elif "failed" in last or any(d.status == "down" for d in deps.values()):
            status = "down"
        else:
            return NormalizedHealth("unknown", deps, problems=(f"last line is {last[:80]!r}, expected 'ok'",))
        return NormalizedHealth(status=status, dependencies=deps)

    def validate(self, endpoint: str, body: bytes) -> tuple[str, ...]:
        return self.normalize(endpoint, body).problems


@dataclass(frozen=True, slots=True)
class PlainProfile:
    """The HTTP status is the verdict and the body is for people (Prometheus's and Alertmanager's ``/-/healthy``
    and ``/-/ready``): 200 is up, anything else down. Such a body names no dependency."""

    name: str = "plain"
    endpoints: tuple[str, ...] = ("health", "live", "ready")
    default_base: str = "/-"
    default_paths: dict[str, str] = field(
        default_factory=lambda: {"health": "/healthy", "live": "/healthy", "ready": "/ready"}
    )
    content_types: tuple[str, ...] = ("text/plain",)
    service_endpoints: tuple[str, ...] = ()
    timestamp_endpoints: tuple[str, ...] = ()
    reports_latency: bool = False
    reports_errors: bool = False
    lists_dependencies: bool = False
    down_statuses: tuple[int, ...] = (503, 500)

    def normalize(self, endpoint: str, body: bytes) -> NormalizedHealth:
        # the status cannot be read from the body: the check reads the HTTP status (see ``lists_dependencies``)
        return NormalizedHealth("up")

    def validate(self, endpoint: str, body: bytes) -> tuple[str, ...]:
        return ()


class CustomProfileSpec(BaseModel):
    """A health dialect declared in the fleet file: where its bodies keep what the checks read.

    ``format: json`` (default): JSONPaths. ``dependencies`` points at an object keyed by dependency (or a list whose
    entries carry ``dependency_name``); within one entry ``dependency_status``, ``dependency_error`` and
    ``dependency_latency_ms`` are JSONPaths too. ``format: text``: the HTTP status is the verdict and the body is for
    people (a landing page). ``format: metrics``: the body is a Prometheus exposition and each dependency is a gauge
    of ``dependency_metrics`` (1 up, 0 down), as exporters report theirs (``pg_up``, ``redis_up``); such an endpoint
    stays 200 while a dependency is down (``down_statuses: [200]``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    format: Literal["json", "text", "metrics"] = "json"
    dependency_metrics: dict[str, str] = Field(default_factory=dict, description="dependency -> its 0/1 gauge")
    endpoints: tuple[Literal["health", "live", "ready", "stats", "dependencies"], ...] = ("health", "live", "ready")
    base: str = "/health"
    paths: dict[str, str] = Field(default_factory=lambda: dict(_UNDER_HEALTH))
    content_types: tuple[str, ...] = ("application/json",)
    status: str = "$.status"
    up: tuple[str, ...] = ("ok", "up", "UP", "pass", "healthy", "true")
    down: tuple[str, ...] = ()
    dependencies: str | None = None
    dependency_name: str | None = None
    dependency_status: str = "$.status"
    dependency_error: str | None = None
    dependency_latency_ms: str | None = None
    service: str | None = None
    timestamp: str | None = None
    down_statuses: tuple[int, ...] = (503,)


@cache
def json_path(expression: str) -> Any:
    """A compiled JSONPath (jsonpath-ng's extended syntax, filters included).

    Raises:
        ValueError: the expression does not parse; the message names it.
    """
    try:
        return parse_jsonpath(expression)
    except (JsonPathParserError, Exception) as exc:  # jsonpath-ng raises several types for a bad expression
        raise ValueError(f"not a JSONPath expression: {expression!r} ({exc})") from None


def _first(expression: str | None, data: Any) -> Any:
    if expression is None:
        return None
    found = json_path(expression).find(data)
    return found[0].value if found else None


@dataclass(frozen=True)
class _CustomProfile:
    name: str
    spec: CustomProfileSpec

    @property
    def endpoints(self) -> tuple[str, ...]:
        return tuple(self.spec.endpoints)

    @property
    def default_base(self) -> str:
        return self.spec.base

    @property
    def default_paths(self) -> dict[str, str]:
        return {e: self.spec.paths.get(e, f"/{e}") for e in self.spec.endpoints}

    @property
    def content_types(self) -> tuple[str, ...]:
        return self.spec.content_types

    @property
    def service_endpoints(self) -> tuple[str, ...]:
        return self.endpoints if self.spec.service else ()

    @property
    def timestamp_endpoints(self) -> tuple[str, ...]:
        return self.endpoints if self.spec.timestamp else ()

    @property
    def reports_latency(self) -> bool:
        return self.spec.dependency_latency_ms is not None

    @property
    def reports_errors(self) -> bool:
        return self.spec.dependency_error is not None

    @property
    def lists_dependencies(self) -> bool:
        if self.spec.format == "metrics":
            return bool(self.spec.dependency_metrics)
        return self.spec.format == "json" and self.spec.dependencies is not None

    @property
    def down_statuses(self) -> tuple[int, ...]:
        return self.spec.down_statuses

    def _status(self, raw: Any) -> HealthStatus:
        word = str(raw).lower() if isinstance(raw, bool) else raw
        if word in self.spec.up:
            return "up"
        if self.spec.down:
            return "down" if word in self.spec.down else "unknown"
        return "unknown" if word is None else "down"

    def normalize(self, endpoint: str, body: bytes) -> NormalizedHealth:
        if self.spec.format == "text":
            return NormalizedHealth("up")  # the HTTP status is the verdict (see lists_dependencies)
        if self.spec.format == "metrics":
            return self._from_metrics(body)
        data, problem = _load_json(body)
        if data is None:
            return NormalizedHealth("unknown", problems=(problem or "body is empty",))
        raw = _first(self.spec.status, data)
        status = self._status(raw)
        problems = () if status != "unknown" else (f"{self.spec.status} is {raw!r}, expected one of {self.spec.up}",)
        return NormalizedHealth(
            status=status,
            dependencies=self._dependencies(data),
            timestamp=_text(_first(self.spec.timestamp, data)),
            service=_text(_first(self.spec.service, data)),
            problems=problems,
        )

    def _from_metrics(self, body: bytes) -> NormalizedHealth:
        values = _gauges(body, set(self.spec.dependency_metrics.values()))
        deps: dict[str, DependencyState] = {}
        problems = []
        for name, metric in self.spec.dependency_metrics.items():
            value = values.get(metric)
            if value is None:
                problems.append(f"the exposition has no {metric} sample")
                continue
            state: HealthStatus = "up" if value == 1 else "down"
            deps[name] = DependencyState(state, error=f"{metric} is {value:g}" if state == "down" else None)
        status: HealthStatus = "down" if any(d.status == "down" for d in deps.values()) else "up"
        return NormalizedHealth("unknown" if problems else status, deps, problems=tuple(problems))

    def _dependencies(self, data: Any) -> dict[str, DependencyState]:
        found = _first(self.spec.dependencies, data)
        if isinstance(found, dict):
            entries = list(found.items())
        elif isinstance(found, list) and self.spec.dependency_name:
            entries = [(str(_first(self.spec.dependency_name, e)), e) for e in found]
        else:
            return {}
        return {name: self._dependency(entry) for name, entry in entries}

    def _dependency(self, entry: Any) -> DependencyState:
        status = self._status(_first(self.spec.dependency_status, entry))
        return DependencyState(
            status=status,
            latency_ms=_number(_first(self.spec.dependency_latency_ms, entry)),
            error=_text(_first(self.spec.dependency_error, entry)) if status == "down" else None,
        )

    def validate(self, endpoint: str, body: bytes) -> tuple[str, ...]:
        return self.normalize(endpoint, body).problems


_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})?\s+(\S+)", re.MULTILINE)


def _gauges(body: bytes, names: set[str]) -> dict[str, float]:
    """The first sample of each named family in a text exposition. Read by hand (not prometheus_client's parser):
    one line per sample is all it takes, and a partial or odd exposition must still yield the samples it has."""
    found: dict[str, float] = {}
    for match in _SAMPLE.finditer(body.decode("utf-8", "replace")):
        name = match.group(1)
        if name in names and name not in found:
            try:
                found[name] = float(match.group(2))
            except ValueError:
                continue
    return found


def custom_profile(name: str, spec: CustomProfileSpec) -> HealthProfile:
    """The profile a fleet file declares under ``health_profiles.<name>``."""
    return _CustomProfile(name, spec)


BUILTIN_PROFILES: dict[str, HealthProfile] = {
    "fleet": FleetProfile(),
    "terminus": TerminusProfile(),
    "health+json": HealthJsonProfile(),
    "spring": SpringProfile(),
    "kubernetes": KubernetesProfile(),
    "plain": PlainProfile(),
}


def profile_for(name: str) -> HealthProfile:
    """The built-in profile called ``name`` (a fleet's own profiles: ``Fleet.profile``).

    Raises:
        KeyError: no such profile; the message lists the known ones.
    """
    try:
        return BUILTIN_PROFILES[name]
    except KeyError:
        raise KeyError(f"no health profile {name!r}; known profiles: {', '.join(BUILTIN_PROFILES)}") from None
