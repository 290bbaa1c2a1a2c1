"""Targets: what fleetcheck verifies. A deployed fleet described by a target file, or the reference fleet it starts.

A :class:`Target` tells the runner, per service, where it answers (:class:`Endpoint`), which services cannot be
observed and why, how to break each dependency on purpose (fault hooks, by hook name), which credentials to use and
the bounds checks judge against. Observers and the runner only see this protocol.

The fleet file says what each service must do (its contract: paths, profiles, steps); the target file says where a
deployment of it is and how to reach into it (URLs, credentials, DSNs, the commands that break a dependency), and may
override a service's paths and profile where the deployment mounts it differently.

Example:
    >>> from fleetcheck.targets import TargetFile
    >>> target = TargetFile.load("target.yaml")  # doctest: +SKIP
    >>> sorted(target.endpoints)  # doctest: +SKIP
    ['auth', 'master-data']
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from fleetcheck.contracts.fleet import HealthEndpoint, describe_validation_error, load_fleet
from fleetcheck.contracts.observability import ObservabilityFiles
from fleetcheck.contracts.registry import CheckSettings
from fleetcheck.contracts.yamlfile import read_yaml_mapping
from fleetcheck.login import LoginFailed, TokenSource, jwt_claim

if TYPE_CHECKING:
    from collections.abc import Mapping

    from fleetcheck.boot import Lifecycle
    from fleetcheck.contracts.fleet import Fleet
    from fleetcheck.fixtures.faults import FaultHook

__all__ = [
    "Credentials",
    "Endpoint",
    "Target",
    "TargetFile",
    "TargetFileError",
    "fault_hook_names",
    "missing_fault_reason",
]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where one service answers: its base URL, its health endpoints (path and profile each) and its metrics path."""

    service: str
    base_url: str
    health: tuple[HealthEndpoint, ...] = ()
    metrics_path: str = "/metrics"

    @classmethod
    def of(cls, fleet: Fleet, service: str, base_url: str) -> Endpoint:
        """The endpoint the fleet file declares for ``service``, at ``base_url``."""
        spec = fleet.service(service)
        return cls(service, base_url, fleet.health_endpoints(spec), spec.metrics_path)

    def url(self, path: str) -> str:
        return f"{self.base_url.rstrip('/')}/{path.lstrip('/')}"

    def health_path(self, endpoint: str) -> str | None:
        """The path of one health endpoint (``ready``), or ``None`` when the service declares none."""
        return next((h.path for h in self.health if h.endpoint == endpoint), None)

    def health_profile(self, endpoint: str) -> str:
        return next((h.profile for h in self.health if h.endpoint == endpoint), "fleet")


@dataclass(frozen=True, slots=True)
class Credentials:
    """Bearer credentials for steps. ``missing_reason`` says why one is absent (e.g. the login failed).

    ``tenant_fields`` are the target file's fields of the tenant (email, username, ...), which steps and the login
    use as ``{tenant.<field>}``; ``other_tenant_*`` is a second tenant, for checks that cross tenants.
    """

    tenant_token: str | None = None
    tenant_id: str | None = None
    platform_admin_token: str | None = None
    missing_reason: str = ""
    tenant_fields: tuple[tuple[str, str], ...] = ()
    other_tenant_token: str | None = None
    other_tenant_id: str | None = None
    #: the fleet's token signing key (PEM, or an HS256 secret) on a test deployment: forges expired and other-issuer
    #: tokens the verifier would otherwise accept (TENANCY-TOKENS-REFUSED)
    signing_key: str | None = None
    signing_kid: str | None = None


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
        """Fault hooks by hook name (a dependency's ``fault``, default its name: ``postgres``, ``kafka``)."""

    @property
    def credentials(self) -> Credentials: ...

    @property
    def settings(self) -> CheckSettings: ...

    def missing_fault_reason(self, dependency: str, mode: str) -> str:
        """Why the fault checks for ``dependency`` in ``mode`` cannot run (no hook, or the hook lacks the mode)."""

    def lifecycle(self, service: str) -> Lifecycle | None:
        """The commands that stop and start ``service`` (the boot check), if the target has them."""

    def missing_lifecycle_reason(self, service: str) -> str:
        """Why the boot check cannot restart ``service``."""


def missing_fault_reason(dependency: str, mode: str, where: str) -> str:
    """The standard not-run reason; ``where`` names what has no hook ("the target file has none: add ...")."""
    return f"needs a fault hook for {dependency} (mode {mode}); {where}"


def fault_hook_names(fleet: Fleet) -> list[str]:
    """Every fault hook name a dependency of the fleet uses."""
    return sorted({d.hook for s in fleet.services for d in s.depends_on})


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


class _Lifecycle(_Model):
    """Shell commands that start and stop the service (the boot check starts it with a dependency down)."""

    start: str
    stop: str
    timeout_s: float = Field(default=60.0, gt=0)


class _Service(_Model):
    base_url: str
    profile: str | None = None
    paths: _Paths = Field(default_factory=_Paths)
    lifecycle: _Lifecycle | None = None

    _url = field_validator("base_url")(_http_url)


class _Tenant(BaseModel):
    """A tenant's credentials: a token, a command printing one, or the fields the fleet's login sends."""

    model_config = ConfigDict(extra="allow", frozen=True)

    token: str | None = None
    token_command: str | None = None
    tenant_id: str | None = None

    @model_validator(mode="after")
    def _strings(self) -> _Tenant:
        for key, value in (self.model_extra or {}).items():
            if not isinstance(value, str | int):
                raise ValueError(f"credential field {key} must be a string (it fills {{tenant.{key}}})")
        return self

    def fields(self) -> dict[str, str]:
        given = {k: str(v) for k, v in (self.model_extra or {}).items()}
        if self.tenant_id:
            given["tenant_id"] = given.setdefault("id", self.tenant_id)
        return given


class _Credentials(_Model):
    platform_admin_token: str | None = None
    tenant: _Tenant | None = None
    other_tenant: _Tenant | None = Field(default=None, description="a second tenant, for the isolation matrix")
    signing_key: str | None = Field(
        default=None, description="a test deployment's token signing key: a PEM (RS256/ES256) or an HS256 secret"
    )
    signing_key_file: str | None = Field(default=None, description="the same, read from a file")
    signing_kid: str | None = None


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
    boot_bound_s: float | None = None
    series_budget: int | None = None
    event_slack_s: float | None = Field(default=None, gt=0)
    event_settle_s: float | None = Field(default=None, ge=0)
    delivery_drain_s: float | None = Field(default=None, gt=0)
    flow_events_s: float | None = Field(default=None, gt=0)
    flow_audit_s: float | None = Field(default=None, gt=0)
    flow_process_s: float | None = Field(default=None, gt=0)
    flow_notification_s: float | None = Field(default=None, gt=0)


class _Kafka(_Model):
    bootstrap: str


class _Pact(_Model):
    """Provider verification (``fleetcheck pact verify``): where the deployment sets up provider states."""

    state_change_url: str = Field(
        description="the deployment's provider-state hook: Pact POSTs {state, params, action} as JSON and injects "
        "the JSON object it answers; without it the built-in handler seeds states through the services' APIs"
    )

    _url = field_validator("state_change_url")(_http_url)


class _Prometheus(_Model):
    url: str

    _url = field_validator("url")(_http_url)


class _Observability(_Model):
    """Area observability: the dashboards and alert rule files to prove against ``prometheus.url``."""

    dashboards: str | None = Field(default=None, description="a folder of Grafana dashboard JSON files")
    alerts: list[str] = Field(default_factory=list, description="Prometheus rule files (<name>.test.yml beside each)")
    service_label: str = Field(default="service", description="the label the scrape configuration names services by")


class _Database(_Model):
    """A service's database: a read-only DSN to inspect the catalog, and the role the service runs as (RLS probes)."""

    inspect: str
    runtime: str | None = None
    records: str | None = Field(
        default=None, description="a DSN that sees every tenant's rows, to count a recording consumer's records"
    )
    owner: str | None = Field(
        default=None,
        description="a role that may switch row-level security off for one request (test deployments only): "
        "measures the application's own tenant filter (TENANCY-DEFENCE-IN-DEPTH)",
    )


class _TargetFileModel(_Model):
    fleet: str | None = None
    settings: _Settings = Field(default_factory=_Settings)
    services: dict[str, _Service]
    credentials: _Credentials = Field(default_factory=_Credentials)
    databases: dict[str, str | _Database] = Field(default_factory=dict)
    postgres_admin_dsn: str | None = Field(
        default=None, description="a role that may create databases: scratch databases for command-driven migrations"
    )
    kafka: _Kafka | None = None
    pact: _Pact | None = None
    prometheus: _Prometheus | None = None
    observability: _Observability | None = None
    faults: dict[str, _FaultCommands] = Field(default_factory=dict)


# ---- the target file ----------------------------------------------------------------------------------------------


class TargetFile:
    """A deployed fleet, described by a YAML target file. Build it with :meth:`load`."""

    def __init__(self, path: Path, model: _TargetFileModel, fleet: Fleet) -> None:
        self.path = path
        self._model = model
        self._fleet = fleet
        self._hooks: dict[str, FaultHook] | None = None
        self._tenant = self._token_source(model.credentials.tenant, "credentials.tenant")
        self._other = self._token_source(model.credentials.other_tenant, "credentials.other_tenant")

    @classmethod
    def load(cls, path: Path | str, *, fleet_file: Path | str | None = None) -> TargetFile:
        """Read and validate a target file.

        ``fleet_file`` overrides the file's own ``fleet`` key (the CLI's ``--fleet``).

        Raises:
            TargetFileError: missing file, not YAML, wrong keys or types, a non-http(s) URL, an unknown profile, a
                service the fleet does not declare, or a fault hook no dependency uses; the message names the file,
                the key path and the allowed values.
            fleetcheck.contracts.fleet.FleetFileError: the fleet file it names is itself malformed.
        """
        file = Path(path)
        raw = _read_yaml(file)
        try:
            model = _TargetFileModel.model_validate(raw)
        except ValidationError as exc:
            raise TargetFileError(
                f"{file}: invalid target file\n{describe_validation_error(exc, raw, _TargetFileModel)}"
            ) from None
        if fleet_file is None and model.fleet:
            fleet_file = file.parent / model.fleet  # relative to the target file, not the working directory
        fleet = load_fleet(fleet_file)
        _check_against(file, model, fleet)
        key_file = model.credentials.signing_key_file
        if key_file and not (file.parent / key_file).is_file():
            raise TargetFileError(f"{file}: credentials.signing_key_file: no such file {file.parent / key_file}")
        return cls(file, model, fleet)

    @property
    def description(self) -> str:
        return f"target file {self.path}"

    @property
    def fleet(self) -> Fleet:
        return self._fleet

    @property
    def endpoints(self) -> dict[str, Endpoint]:
        return {name: _endpoint(self._fleet, name, svc) for name, svc in self._model.services.items()}

    @property
    def unavailable(self) -> dict[str, str]:
        return {n: "not in the target file" for n in self._fleet.names() if n not in self._model.services}

    @property
    def fault_hooks(self) -> dict[str, FaultHook]:
        if self._hooks is None:
            from fleetcheck.fixtures.faults import CommandFaultHook

            self._hooks = {
                name: CommandFaultHook(f.stop, f.start, f.freeze, f.thaw, timeout=f.timeout_s)
                for name, f in self._model.faults.items()
            }
        return self._hooks

    def lifecycle(self, service: str) -> _Lifecycle | None:
        """The start/stop commands of ``service``, if the target file gives them."""
        given = self._model.services.get(service)
        return given.lifecycle if given is not None else None

    def missing_lifecycle_reason(self, service: str) -> str:
        return (
            f"the target file gives no lifecycle for {service}: add services.{service}.lifecycle.start/stop "
            "(shell commands) to boot it with a dependency down"
        )

    def missing_fault_reason(self, dependency: str, mode: str) -> str:
        hook = _hook_of(self._fleet, dependency)
        if hook not in self._model.faults:
            add = "stop/start" if mode == "stop" else "freeze/thaw"
            return missing_fault_reason(dependency, mode, f"the target file has none: add faults.{hook}.{add}")
        where = f"the target file's faults.{hook} has no {mode}: add faults.{hook}.freeze/thaw"
        return missing_fault_reason(dependency, mode, where)

    @property
    def settings(self) -> CheckSettings:
        given = {k: v for k, v in self._model.settings.model_dump().items() if v is not None}
        return CheckSettings(**given)

    @property
    def credentials(self) -> Credentials:
        """The tenants' current tokens (renewed before they expire, so a long run never sends an expired one)."""
        tenant = self._model.credentials.tenant
        admin = self._model.credentials.platform_admin_token
        if tenant is None:
            return Credentials(platform_admin_token=admin, missing_reason="the target file has no credentials.tenant")
        fields = tuple(sorted(tenant.fields().items()))
        token, why = _token(self._tenant)
        other_token, _ = _token(self._other)
        other = self._model.credentials.other_tenant
        given = self._model.credentials
        key = given.signing_key
        if key is None and given.signing_key_file:
            key = (self.path.parent / given.signing_key_file).read_text(encoding="utf-8")
        return Credentials(
            tenant_token=token,
            tenant_id=self._tenant_id(tenant, token),
            platform_admin_token=admin,
            missing_reason=why,
            tenant_fields=fields,
            other_tenant_token=other_token,
            other_tenant_id=self._tenant_id(other, other_token) if other is not None else None,
            signing_key=key,
            signing_kid=given.signing_kid,
        )

    def _tenant_id(self, tenant: _Tenant, token: str | None) -> str | None:
        given = tenant.fields().get("tenant_id") or tenant.fields().get("id")
        if given:
            return given
        claim = jwt_claim(token, self._fleet.auth.tenant_claim) if token else None
        return str(claim) if claim is not None else None

    def _token_source(self, tenant: _Tenant | None, key: str) -> TokenSource | str | None:
        """How the tenant's token is had, or why it cannot be (a string)."""
        if tenant is None:
            return None
        if tenant.token:
            return TokenSource.fixed(tenant.token)
        if tenant.token_command:
            return TokenSource.command(tenant.token_command)
        login = self._fleet.auth.login
        if login is None:
            return f"{key} gives no token or token_command, and the fleet file declares no auth.login"
        service = self._model.services.get(login.service)
        if service is None:
            return f"{key} logs in through {login.service} (auth.login), which the target file does not list"
        endpoint = _endpoint(self._fleet, login.service, service)
        api_base = self._fleet.service(login.service).api_base
        return TokenSource.login(self._fleet.auth, endpoint, tenant.fields(), api_base)

    @property
    def databases(self) -> dict[str, str]:
        """Read-only inspection DSNs by service."""
        return {s: d if isinstance(d, str) else d.inspect for s, d in self._model.databases.items()}

    @property
    def record_databases(self) -> dict[str, str]:
        """DSNs that see every tenant's rows (``databases.<svc>.records``, else the inspection DSN)."""
        return {s: d if isinstance(d, str) else d.records or d.inspect for s, d in self._model.databases.items()}

    @property
    def runtime_databases(self) -> dict[str, str]:
        """DSNs of the role each service runs as (for the RLS and role checks), where the file gives one."""
        return {s: d.runtime for s, d in self._model.databases.items() if not isinstance(d, str) and d.runtime}

    @property
    def owner_databases(self) -> dict[str, str]:
        """DSNs of a role that may switch row-level security off (``databases.<svc>.owner``), where given."""
        return {s: d.owner for s, d in self._model.databases.items() if not isinstance(d, str) and d.owner}

    @property
    def postgres_admin_dsn(self) -> str | None:
        return self._model.postgres_admin_dsn

    @property
    def kafka_bootstrap(self) -> str | None:
        return self._model.kafka.bootstrap if self._model.kafka else None

    @property
    def pact_state_change_url(self) -> str | None:
        return self._model.pact.state_change_url if self._model.pact else None

    @property
    def prometheus_url(self) -> str | None:
        return self._model.prometheus.url if self._model.prometheus else None

    @property
    def observability(self) -> ObservabilityFiles:
        """The dashboards and rule files, relative to the target file's folder."""
        given, folder = self._model.observability, self.path.parent
        if given is None:
            return ObservabilityFiles()
        dashboards = folder / given.dashboards if given.dashboards else None
        return ObservabilityFiles(dashboards, tuple(folder / a for a in given.alerts), given.service_label)


def _token(source: TokenSource | str | None) -> tuple[str | None, str]:
    if source is None:
        return None, "the target file gives no such tenant"
    if isinstance(source, str):
        return None, source
    try:
        return source.token(), ""
    except LoginFailed as exc:
        return None, str(exc)


def _hook_of(fleet: Fleet, dependency: str) -> str:
    for service in fleet.services:
        for dep in service.depends_on:
            if dep.name == dependency:
                return dep.hook
    return dependency


def _check_against(file: Path, model: _TargetFileModel, fleet: Fleet) -> None:
    """What only the fleet can say is wrong: an unknown service, profile or fault hook."""
    unknown = sorted(set(model.services) - set(fleet.names()))
    if unknown:
        raise TargetFileError(
            f"{file}: services.{unknown[0]}: the fleet {fleet.name} declares no such service "
            f"(saw {', '.join(unknown)}); allowed: {', '.join(fleet.names())}"
        )
    for name, service in model.services.items():
        if service.profile is not None:
            try:
                fleet.profile(service.profile)
            except KeyError as exc:
                raise TargetFileError(f"{file}: services.{name}.profile: {exc.args[0]}") from None
    hooks = fault_hook_names(fleet)
    for hook in model.faults:
        if hook not in hooks:
            raise TargetFileError(
                f"{file}: faults.{hook}: no dependency of the fleet {fleet.name} uses the fault hook {hook!r}, so it "
                f"would never be used; hooks the fleet's dependencies use: {', '.join(hooks) or 'none'}. Declare "
                f"the dependency in the fleet file (depends_on: {{name: {hook}, type: ...}}) or remove the entry."
            )


def _endpoint(fleet: Fleet, name: str, svc: _Service) -> Endpoint:
    """The fleet file's endpoint of ``name``, with the target file's profile and path overrides applied."""
    declared = Endpoint.of(fleet, name, svc.base_url)
    given = svc.paths
    health = {h.endpoint: h for h in declared.health}
    profile = svc.profile
    if given.health is not None or profile is not None:
        # a new base (or profile) moves every endpoint the profile has, as the target file always did
        spec = fleet.service(name)
        moved = spec.health.model_copy(update={"base": given.health or spec.health.base, "endpoints": {}})
        if profile is not None:
            moved = moved.model_copy(update={"profile": profile})
        health = {h.endpoint: h for h in fleet.health_endpoints(spec.model_copy(update={"health": moved}))}
    for endpoint in ("live", "ready", "stats", "dependencies"):
        path = getattr(given, endpoint)
        if path is not None:
            current = health.get(endpoint)
            profile_of = current.profile if current else (profile or fleet.service(name).health.profile)
            health[endpoint] = HealthEndpoint(endpoint=endpoint, path=path, profile=profile_of)
    order = ("health", "live", "ready", "stats", "dependencies")
    return Endpoint(
        name, svc.base_url, tuple(health[e] for e in order if e in health), given.metrics or declared.metrics_path
    )


def _read_yaml(file: Path) -> dict[str, Any]:
    return read_yaml_mapping(
        file,
        TargetFileError,
        missing="no such target file. Pass an existing YAML file to --target.",
        keys="services (required), fleet, settings, credentials, databases, postgres_admin_dsn, kafka, prometheus, "
        "observability, faults",
    )
