"""Health profiles: adapters that turn each health dialect into one model the checks judge.

Real fleets answer health in different shapes. A profile knows one shape: which of the five endpoints exist, which
content type they use, whether they carry a service name, a timestamp, latencies and errors, and how to read a body
into :class:`NormalizedHealth`. Checks only ever see the normalized model (plus headers and the shape verdict).

Example:
    >>> body = b'{"status": "ok", "details": {"database": {"status": "up"}}}'
    >>> health = profile_for("terminus").normalize("ready", body)
    >>> health.status, health.dependencies["postgres"].status
    ('up', 'up')
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal, Protocol

import jsonschema

__all__ = [
    "ENDPOINTS",
    "PROFILES",
    "DependencyState",
    "FleetProfile",
    "HealthJsonProfile",
    "HealthProfile",
    "HealthStatus",
    "NormalizedHealth",
    "TerminusProfile",
    "profile_for",
]

HealthStatus = Literal["up", "down", "unknown"]

#: The five health endpoints of SPEC.md, by the names observations and profiles use.
ENDPOINTS: tuple[str, ...] = ("health", "live", "ready", "stats", "dependencies")

# Indicator keys real fleets use for the dependencies the fleet file names by type; a key found here is reported
# under the fleet's name so checks compare like with like.
DEFAULT_ALIASES: dict[str, str] = {
    "database": "postgres",
    "db": "postgres",
    "typeorm": "postgres",
    "postgresql": "postgres",
    "pg": "postgres",
    "broker": "kafka",
    "disk": "storage",
}


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
    numbers of a stats body.
    """

    status: HealthStatus
    dependencies: dict[str, DependencyState] = field(default_factory=dict)
    timestamp: str | None = None
    service: str | None = None
    problems: tuple[str, ...] = ()
    statistics: dict[str, Any] = field(default_factory=dict)


class HealthProfile(Protocol):
    """A health dialect: what it exposes and how to read it."""

    @property
    def name(self) -> str: ...

    @property
    def endpoints(self) -> tuple[str, ...]:
        """The endpoints (of :data:`ENDPOINTS`) this dialect defines."""

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


def _canonical(key: str, aliases: dict[str, str]) -> str:
    return aliases.get(key.lower(), key)


@cache
def _fleet_schema(endpoint: str) -> dict[str, Any]:
    text = (
        resources.files("fleetcheck.contracts")
        .joinpath("schemas", "health", f"{endpoint}.json")
        .read_text(encoding="utf-8")
    )
    schema: dict[str, Any] = json.loads(text)
    return schema


@dataclass(frozen=True, slots=True)
class FleetProfile:
    """SPEC.md's own shape: five endpoints, ``status`` ok/error, ``checks`` keyed by dependency name."""

    name: str = "fleet"
    endpoints: tuple[str, ...] = ENDPOINTS
    content_types: tuple[str, ...] = ("application/json",)
    service_endpoints: tuple[str, ...] = ("health", "stats", "dependencies")
    timestamp_endpoints: tuple[str, ...] = ENDPOINTS
    reports_latency: bool = True
    reports_errors: bool = True

    def normalize(self, endpoint: str, body: bytes) -> NormalizedHealth:
        data, problem = _load_json(body)
        if not isinstance(data, dict):
            return NormalizedHealth("unknown", problems=(problem or "body is not a JSON object",))
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


def _fleet_dependency(entry: dict[str, Any]) -> DependencyState:
    raw = entry.get("status")
    status: HealthStatus = "up" if raw == "up" else "down" if raw == "down" else "unknown"
    required = entry.get("required")
    return DependencyState(
        status=status,
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

    Terminus has no service name, timestamp or latency; a down indicator's ``message`` is its error. Indicator keys
    are mapped to the fleet's dependency names through ``aliases`` (``database`` -> ``postgres``).
    """

    name: str = "terminus"
    endpoints: tuple[str, ...] = ("health", "live", "ready")
    content_types: tuple[str, ...] = ("application/json",)
    service_endpoints: tuple[str, ...] = ()
    timestamp_endpoints: tuple[str, ...] = ()
    reports_latency: bool = False
    reports_errors: bool = False
    aliases: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_ALIASES))

    def normalize(self, endpoint: str, body: bytes) -> NormalizedHealth:
        data, problem = _load_json(body)
        if not isinstance(data, dict):
            return NormalizedHealth("unknown", problems=(problem or "body is not a JSON object",))
        raw = data.get("status")
        status: HealthStatus = "up" if raw == "ok" else "down" if raw in ("error", "shutting_down") else "unknown"
        problems = () if status != "unknown" else (f"status is {raw!r}, expected 'ok', 'error' or 'shutting_down'",)
        deps: dict[str, DependencyState] = {}
        for section in ("info", "error", "details"):  # details wins: it is the union Terminus reports
            indicators = data.get(section)
            if isinstance(indicators, dict):
                for key, entry in indicators.items():
                    if isinstance(entry, dict):
                        deps[_canonical(key, self.aliases)] = _terminus_indicator(entry)
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
    raw = entry.get("status")
    status: HealthStatus = "up" if raw == "up" else "down" if raw == "down" else "unknown"
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
    content_types: tuple[str, ...] = ("application/health+json",)
    service_endpoints: tuple[str, ...] = ()
    timestamp_endpoints: tuple[str, ...] = ()
    reports_latency: bool = True
    reports_errors: bool = True
    aliases: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_ALIASES))

    def normalize(self, endpoint: str, body: bytes) -> NormalizedHealth:
        data, problem = _load_json(body)
        if not isinstance(data, dict):
            return NormalizedHealth("unknown", problems=(problem or "body is not a JSON object",))
        raw = data.get("status")
        status = _HEALTH_JSON_STATUS.get(raw, "unknown") if isinstance(raw, str) else "unknown"
        problems = () if status != "unknown" else (f"status is {raw!r}, expected 'pass', 'warn' or 'fail'",)
        grouped: dict[str, list[dict[str, Any]]] = {}
        checks = data.get("checks")
        for key, entries in (checks if isinstance(checks, dict) else {}).items():
            component, _, measurement = key.partition(":")
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, dict):
                    grouped.setdefault(_canonical(component, self.aliases), []).append({**entry, "_m": measurement})
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


PROFILES: dict[str, HealthProfile] = {
    "fleet": FleetProfile(),
    "terminus": TerminusProfile(),
    "health+json": HealthJsonProfile(),
}


def profile_for(name: str) -> HealthProfile:
    """The profile called ``name``.

    Raises:
        KeyError: no such profile; the message lists the known ones.
    """
    try:
        return PROFILES[name]
    except KeyError:
        raise KeyError(f"no health profile {name!r}; known profiles: {', '.join(PROFILES)}") from None
