"""Targets: what fleetcheck verifies. A deployed fleet described by a target file, or the reference fleet it starts.

A :class:`Target` tells the runner, per service, where it answers (:class:`Endpoint`), which services cannot be
observed and why, how to break each dependency on purpose (fault hooks), which credentials to use and the bounds
checks judge against. Observers and the runner only see this protocol.

Example:
    >>> from fleetcheck.targets import TargetFile
    >>> target = TargetFile.load("target.yaml")  # doctest: +SKIP
    >>> sorted(target.endpoints)  # doctest: +SKIP
    ['auth', 'master-data']
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from fleetcheck.contracts.fleet import describe_validation_error, load_fleet
from fleetcheck.contracts.health_profiles import PROFILES, profile_for
from fleetcheck.contracts.registry import CheckSettings

if TYPE_CHECKING:
    from collections.abc import Mapping

    from fleetcheck.contracts.fleet import Fleet
    from fleetcheck.fixtures.faults import FaultHook

__all__ = [
    "HEALTH_PROFILES",
    "Credentials",
    "Endpoint",
    "EndpointPaths",
    "Target",
    "TargetFile",
    "TargetFileError",
    "missing_fault_reason",
]

#: Health profile names the catalogue knows (``fleetcheck.contracts.health_profiles``).
HEALTH_PROFILES: tuple[str, ...] = tuple(PROFILES)


def _has_details(profile: str) -> bool:
    """Whether the profile defines the stats and dependencies endpoints (Terminus and health+json do not)."""
    endpoints = profile_for(profile).endpoints
    return "stats" in endpoints and "dependencies" in endpoints


@dataclass(frozen=True, slots=True)
class EndpointPaths:
    """Paths of the five health endpoints and ``/metrics``; ``stats``/``dependencies`` are ``None`` if not offered."""

    health: str = "/health"
    live: str = "/health/live"
    ready: str = "/health/ready"
    stats: str | None = "/health/stats"
    dependencies: str | None = "/health/dependencies"
    metrics: str = "/metrics"

    @classmethod
    def under(cls, health: str = "/health", *, details: bool = True, metrics: str = "/metrics") -> EndpointPaths:
        """The five endpoints under one base path (``/api/v1/health`` -> ``/api/v1/health/live`` ...)."""
        base = health.rstrip("/") or ""
        return cls(
            health=health,
            live=f"{base}/live",
            ready=f"{base}/ready",
            stats=f"{base}/stats" if details else None,
            dependencies=f"{base}/dependencies" if details else None,
            metrics=metrics,
        )


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where one service answers: its base URL, the health profile it speaks and its paths."""

    service: str
    base_url: str
    profile: str = "fleet"
    paths: EndpointPaths = field(default_factory=EndpointPaths)

    @classmethod
    def at(cls, service: str, base_url: str, profile: str = "fleet") -> Endpoint:
        return cls(service, base_url, profile, EndpointPaths.under(details=_has_details(profile)))

    def url(self, path: str) -> str:
        return f"{self.base_url.rstrip('/')}/{path.lstrip('/')}"


@dataclass(frozen=True, slots=True)
class Credentials:
    """Bearer credentials for operations. ``missing_reason`` says why one is absent (e.g. the login failed)."""

    tenant_token: str | None = None
    tenant_id: str | None = None
    platform_admin_token: str | None = None
    missing_reason: str = ""


class Target(Protocol):
    """What the runner verifies. Implemented by :class:`TargetFile` and :class:`fleetcheck.reference.ReferenceFleet`."""

    @property
    def description(self) -> str:
        """One line naming the target (file path, or "reference fleet on embedded infrastructure")."""

    @property
    def fleet(self) -> Fleet: ...

    @property
    def endpoints(self) -> Mapping[str, Endpoint]:
        """Available services by name."""

    @property
    def unavailable(self) -> Mapping[str, str]:
        """Services of the fleet that cannot be observed, with the reason."""

    @property
    def fault_hooks(self) -> Mapping[str, FaultHook]:
        """Fault hooks by dependency name (``postgres``, ``kafka``)."""

    @property
    def credentials(self) -> Credentials: ...

    @property
    def settings(self) -> CheckSettings: ...

    def missing_fault_reason(self, dependency: str, mode: str) -> str:
        """Why the fault checks for ``dependency`` in ``mode`` cannot run (no hook, or the hook lacks the mode)."""


def missing_fault_reason(dependency: str, mode: str, where: str) -> str:
    """The standard not-run reason; ``where`` names what has no hook ("the target file has none: add ...")."""
    return f"needs a fault hook for {dependency} (mode {mode}); {where}"


class TargetFileError(ValueError):
    """A target file that cannot be used; the message names the file, the key path and the allowed values."""


# ---- the target file's schema -------------------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError("must be an http:// or https:// URL, e.g. http://127.0.0.1:3001")
    return value


def _absolute_path(value: str | None) -> str | None:
    if value is not None and not value.startswith("/"):
        raise ValueError("must be an absolute path starting with '/', e.g. /api/v1/health")
    return value


class _Paths(_Model):
    health: str | None = None
    live: str | None = None
    ready: str | None = None
    stats: str | None = None
    dependencies: str | None = None
    metrics: str | None = None

    _absolute = field_validator("*")(_absolute_path)


class _Service(_Model):
    base_url: str
    profile: str = "fleet"
    paths: _Paths = Field(default_factory=_Paths)

    _url = field_validator("base_url")(_http_url)

    @field_validator("profile")
    @classmethod
    def _known_profile(cls, value: str) -> str:
        if value not in HEALTH_PROFILES:
            raise ValueError(f"unknown health profile; allowed: {', '.join(HEALTH_PROFILES)}")
        return value


class _TenantLogin(_Model):
    tenant_id: str
    email: str
    password: str


class _TenantToken(_Model):
    token: str
    tenant_id: str | None = None


class _Credentials(_Model):
    platform_admin_token: str | None = None
    tenant: _TenantToken | _TenantLogin | None = None


class _FaultCommands(_Model):
    stop: str
    start: str
    freeze: str | None = None
    thaw: str | None = None
    timeout_s: float = Field(default=60.0, gt=0)


class _Settings(_Model):
    timestamp_skew_s: float | None = None
    health_latency_budget_s: float | None = None
    ready_bound_s: float | None = None
    recovery_bound_s: float | None = None
    series_budget: int | None = None


class _Kafka(_Model):
    bootstrap: str


class _Prometheus(_Model):
    url: str

    _url = field_validator("url")(_http_url)


class _TargetFileModel(_Model):
    fleet: str | None = None
    settings: _Settings = Field(default_factory=_Settings)
    services: dict[str, _Service]
    credentials: _Credentials = Field(default_factory=_Credentials)
    databases: dict[str, str] = Field(default_factory=dict)
    kafka: _Kafka | None = None
    prometheus: _Prometheus | None = None
    faults: dict[str, _FaultCommands] = Field(default_factory=dict)


# ---- the target file ----------------------------------------------------------------------------------------------


class TargetFile:
    """A deployed fleet, described by a YAML target file. Build it with :meth:`load`."""

    def __init__(self, path: Path, model: _TargetFileModel, fleet: Fleet) -> None:
        self.path = path
        self._model = model
        self._fleet = fleet
        self._credentials: Credentials | None = None
        self._hooks: dict[str, FaultHook] | None = None

    @classmethod
    def load(cls, path: Path | str, *, fleet_file: Path | str | None = None) -> TargetFile:
        """Read and validate a target file.

        ``fleet_file`` overrides the file's own ``fleet`` key (the CLI's ``--fleet``).

        Raises:
            TargetFileError: missing file, not YAML, wrong keys or types, a non-http(s) URL, an unknown profile, or a
                service the fleet does not declare; the message names the file, the key path and the allowed values.
            contracts.fleet.FleetFileError: the fleet file it names is itself malformed.
        """
        file = Path(path)
        raw = _read_yaml(file)
        try:
            model = _TargetFileModel.model_validate(raw)
        except ValidationError as exc:
            raise TargetFileError(f"{file}: invalid target file\n{describe_validation_error(exc, raw)}") from None
        if fleet_file is None and model.fleet:
            fleet_file = file.parent / model.fleet  # relative to the target file, not the working directory
        fleet = load_fleet(fleet_file)
        unknown = sorted(set(model.services) - set(fleet.names()))
        if unknown:
            raise TargetFileError(
                f"{file}: services.{unknown[0]}: the fleet {fleet.name} declares no such service "
                f"(saw {', '.join(unknown)}); allowed: {', '.join(fleet.names())}"
            )
        return cls(file, model, fleet)

    @property
    def description(self) -> str:
        return f"target file {self.path}"

    @property
    def fleet(self) -> Fleet:
        return self._fleet

    @property
    def endpoints(self) -> dict[str, Endpoint]:
        return {name: _endpoint(name, svc) for name, svc in self._model.services.items()}

    @property
    def unavailable(self) -> dict[str, str]:
        return {n: "not in the target file" for n in self._fleet.names() if n not in self._model.services}

    @property
    def fault_hooks(self) -> dict[str, FaultHook]:
        if self._hooks is None:
            from fleetcheck.fixtures.faults import CommandFaultHook

            self._hooks = {
                dep: CommandFaultHook(f.stop, f.start, f.freeze, f.thaw, timeout=f.timeout_s)
                for dep, f in self._model.faults.items()
            }
        return self._hooks

    def missing_fault_reason(self, dependency: str, mode: str) -> str:
        if dependency not in self._model.faults:
            add = "stop/start" if mode == "stop" else "freeze/thaw"
            return missing_fault_reason(dependency, mode, f"the target file has none: add faults.{dependency}.{add}")
        where = f"the target file's faults.{dependency} has no {mode}: add faults.{dependency}.freeze/thaw"
        return missing_fault_reason(dependency, mode, where)

    @property
    def settings(self) -> CheckSettings:
        given = {k: v for k, v in self._model.settings.model_dump().items() if v is not None}
        return CheckSettings(**given)

    @property
    def credentials(self) -> Credentials:
        if self._credentials is None:
            self._credentials = self._resolve_credentials()
        return self._credentials

    @property
    def databases(self) -> dict[str, str]:
        return dict(self._model.databases)

    @property
    def kafka_bootstrap(self) -> str | None:
        return self._model.kafka.bootstrap if self._model.kafka else None

    @property
    def prometheus_url(self) -> str | None:
        return self._model.prometheus.url if self._model.prometheus else None

    def _resolve_credentials(self) -> Credentials:
        given = self._model.credentials
        admin = given.platform_admin_token
        tenant = given.tenant
        if tenant is None:
            return Credentials(platform_admin_token=admin, missing_reason="the target file has no credentials.tenant")
        if isinstance(tenant, _TenantToken):
            return Credentials(tenant.token, tenant.tenant_id or _jwt_claim(tenant.token, "tenant_id"), admin)
        auth = self._model.services.get("auth")
        if auth is None:
            return Credentials(
                tenant_id=tenant.tenant_id,
                platform_admin_token=admin,
                missing_reason="credentials.tenant logs in through auth, but the target file lists no auth service",
            )
        token, why = login(_endpoint("auth", auth), tenant.tenant_id, tenant.email, tenant.password)
        return Credentials(token, tenant.tenant_id, admin, missing_reason=why)


def _endpoint(name: str, svc: _Service) -> Endpoint:
    given = svc.paths
    base = EndpointPaths.under(
        given.health or "/health", details=_has_details(svc.profile), metrics=given.metrics or "/metrics"
    )
    overrides = {f.name: getattr(given, f.name) for f in fields(EndpointPaths) if getattr(given, f.name) is not None}
    values = {f.name: getattr(base, f.name) for f in fields(EndpointPaths)} | overrides
    return Endpoint(name, svc.base_url, svc.profile, EndpointPaths(**values))


def _read_yaml(file: Path) -> Any:
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TargetFileError(f"{file}: no such target file. Pass an existing YAML file to --target.") from None
    except yaml.YAMLError as exc:
        raise TargetFileError(f"{file}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise TargetFileError(
            f"{file}: expected a mapping with keys services (required), fleet, settings, credentials, databases, "
            f"kafka, prometheus, faults; saw {type(raw).__name__}"
        )
    return raw


def _jwt_claim(token: str, claim: str) -> str | None:
    """A claim from a JWT's payload, unverified: only to fill ``{tenant_id}`` placeholders, never to trust it."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError):
        return None
    value = payload.get(claim) if isinstance(payload, dict) else None
    return str(value) if value is not None else None


def login(auth: Endpoint, tenant_id: str, email: str, password: str) -> tuple[str | None, str]:
    """``POST /auth/login``; returns ``(access_token, "")`` or ``(None, why it failed)``; never raises."""
    from fleetcheck.observe import exchange, observe_client

    body = {"tenant_id": tenant_id, "email": email, "password": password}
    with observe_client() as client:
        answer = exchange(client, "POST", auth.url("/auth/login"), json_body=body)
    if answer.status != 200:
        seen = answer.error or f"{answer.status} {answer.body[:200].decode('utf-8', 'replace')}"
        return None, f"login of {email} at {auth.url('/auth/login')} failed: {seen}"
    try:
        token = json.loads(answer.body)["access_token"]
    except (ValueError, KeyError, TypeError):
        return None, f"login at {auth.url('/auth/login')} answered 200 without access_token"
    return str(token), ""
