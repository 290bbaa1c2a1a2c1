"""The fleet file: the contract a fleet's owners declare, as typed data.

Everything a check needs is declared here: per service its API base path, health endpoints (a path and a profile
each), dependencies of any kind (each with the key health bodies report it under and the fault hook that breaks
it), metric families and lint waivers, topics and their payload schemas, tables (schema-qualified where they live
outside ``public``), migrations (Alembic, or commands), and its operations, event scenario, burst write and flows as
declared steps (``fleetcheck.contracts.steps``); fleet-wide: the login, event and tenancy conventions, custom health
profiles, metric conventions. ``contracts/fleet.yaml`` is the reference fleet's instance; a user's own file is passed
with ``--fleet``. The JSON Schema of the format is ``contracts/schemas/fleet-file.schema.json`` (generated from these
models: ``python -m fleetcheck.contracts.fleet``).

``load_fleet()`` reads and validates a file. A malformed file fails at load with the file, the key path, what was
seen and the allowed values.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from fleetcheck.contracts.health_profiles import (
    BUILTIN_PROFILES,
    ENDPOINTS,
    CustomProfileSpec,
    HealthProfile,
    custom_profile,
)
from fleetcheck.contracts.steps import CounterExpectation, SequenceSpec, StepSpec, unbound
from fleetcheck.contracts.yamlfile import read_yaml_mapping

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "BOOKKEEPING_TABLES",
    "DEFAULT_FLEET_FILE",
    "DEPENDENCY_TYPES",
    "FLEET_SCHEMA_FILE",
    "AuthSpec",
    "BurstSpec",
    "BurstUpdateSpec",
    "CounterExpectation",
    "DependencySpec",
    "EventConventions",
    "Fleet",
    "FleetFileError",
    "FlowDeclaration",
    "HealthEndpoint",
    "HealthSpec",
    "HttpMetricsSpec",
    "LintWaiver",
    "LoginSpec",
    "MetricFamilySpec",
    "MigrationsSpec",
    "OperationSpec",
    "RecordStoreSpec",
    "ServiceSpec",
    "ServiceTenancy",
    "TableSpec",
    "TenancySpec",
    "TenantResourceSpec",
    "TokenSpec",
    "TopicSpec",
    "fleet_json_schema",
    "load_fleet",
]

DEFAULT_FLEET_FILE = Path(__file__).with_name("fleet.yaml")
FLEET_SCHEMA_FILE = Path(__file__).parent / "schemas" / "fleet-file.schema.json"

#: Dependency kinds the catalogue knows how to talk about (readiness hints, fault hooks). Others are declared as
#: ``custom:<kind>`` (``custom:vault``), so a typo of a known kind is an error rather than a new kind.
DEPENDENCY_TYPES = ("postgres", "kafka", "redis", "elasticsearch", "temporal", "s3", "http", "service", "storage")
_CUSTOM_KIND = re.compile(r"^custom:[a-z][a-z0-9_-]*$")

#: Tables migration tools keep for themselves (Alembic, TypeORM, Flyway, Liquibase, Knex, Rails/golang-migrate):
#: never business tables, so the table rules do not judge them. A fleet file may replace the list.
BOOKKEEPING_TABLES = (
    "alembic_version",
    "migrations",
    "typeorm_metadata",
    "flyway_schema_history",
    "databasechangelog",
    "databasechangeloglock",
    "knex_migrations",
    "knex_migrations_lock",
    "schema_migrations",
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _absolute(value: str | None) -> str | None:
    if value is not None and not value.startswith("/"):
        raise ValueError("must be an absolute path starting with '/', e.g. /api/v1/health")
    return value


class DependencySpec(_Model):
    """A dependency ``/health/ready`` must check: a database, a broker, a cache, another service, ...

    ``health_key`` is the key health bodies report it under (default: its name, or the usual key of its kind in
    the profile, such as Terminus's ``database`` for postgres). ``fault`` names the fault hook that breaks it (the
    target file's ``faults.<hook>``; default: its name).
    """

    name: str
    type: str = Field(description=f"one of {', '.join(DEPENDENCY_TYPES)}, or custom:<kind>")
    required: bool = True
    health_key: str | None = None
    fault: str | None = None

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value in DEPENDENCY_TYPES or _CUSTOM_KIND.fullmatch(value):
            return value
        raise ValueError(f"unknown dependency type; allowed: {', '.join(DEPENDENCY_TYPES)}, or custom:<kind>")

    @property
    def hook(self) -> str:
        """The name of the fault hook that breaks this dependency."""
        return self.fault or self.name


class HealthEndpointSpec(_Model):
    """One health endpoint: its path and, where it differs from the service's, the profile its body speaks."""

    path: str
    profile: str | None = None

    _path = field_validator("path")(_absolute)


class HealthSpec(_Model):
    """Which health endpoints a service has, where, and in which dialect.

    ``profile`` is the dialect of every endpoint unless one says otherwise; ``base`` moves the profile's usual
    endpoints under another path (``/api/v1/health`` -> ``/api/v1/health/live``, ...); ``endpoints`` overrides one
    endpoint (a path, or ``{path, profile}``) or removes it (``null``: the service has no such endpoint).
    """

    profile: str = "fleet"
    base: str | None = None
    endpoints: dict[Literal["health", "live", "ready", "stats", "dependencies"], HealthEndpointSpec | str | None] = (
        Field(default_factory=dict)
    )

    _base = field_validator("base")(_absolute)


class HealthEndpoint(_Model):
    """A resolved health endpoint of a service: which one, its path, its profile."""

    endpoint: str
    path: str
    profile: str


class MetricFamilySpec(_Model):
    """A metric family a service must expose. ``name`` is the family name as the text format prints it."""

    name: str
    type: Literal["counter", "gauge", "histogram", "summary"]
    labels: tuple[str, ...] = ()
    tenant_label: bool = False
    series_budget: int | None = None


class LintWaiver(_Model):
    """A lint rule not applied to named families, with the reason (library defaults a team cannot rename).

    ``family`` may end in ``*`` (``nodejs_*``); ``rule`` is a METRICS-LINT rule id, or ``*`` for every rule.
    """

    family: str
    rule: str = "*"
    reason: str = Field(min_length=3)

    def covers(self, family: str, rule: str) -> bool:
        name = family == self.family or (self.family.endswith("*") and family.startswith(self.family[:-1]))
        return name and self.rule in ("*", rule)


class TopicSpec(_Model):
    """A topic: who produces it, who consumes it, its partitions, and its payload schema (a file or inline)."""

    name: str
    producer: str
    consumers: tuple[str, ...] = ()
    partitions: int = Field(default=3, ge=1)
    schema_: str | None = Field(
        default=None, alias="schema", description="payload schema file, relative to the fleet file"
    )
    payload_schema: dict[str, Any] | None = Field(default=None, description="the payload schema itself")


class TableSpec(_Model):
    """A table a service owns; ``name`` may be schema-qualified (``auth.users``). ``rls_exempt`` says why a table
    is not tenant-scoped (e.g. the tenant registry)."""

    name: str
    columns: tuple[str, ...] = ()
    tenant_scoped: bool = True
    mutable: bool = True
    business_key: tuple[str, ...] = ()
    rls_exempt: str | None = None

    @property
    def schema_name(self) -> str:
        return self.name.rpartition(".")[0] or "public"

    @property
    def table(self) -> str:
        return self.name.rpartition(".")[2]


class MigrationsSpec(_Model):
    """How a service's migrations are driven: with Alembic's API, or by shell commands of the service's own tool.

    Commands run with ``DATABASE_URL`` (and ``{database_url}`` in the command) set to a scratch database the suite
    creates; ``down`` reverts one step, ``down_all`` (optional) everything at once.
    """

    tool: Literal["alembic", "commands"] = "alembic"
    script_location: str | None = Field(
        default=None, description="the Alembic folder (env.py, versions/), relative to the fleet file"
    )
    up: str | None = None
    down: str | None = None
    down_all: str | None = None
    env: dict[str, str] = Field(default_factory=dict)
    cwd: str | None = Field(default=None, description="working directory, relative to the fleet file")
    timeout_s: float = Field(default=300.0, gt=0)

    @model_validator(mode="after")
    def _commands(self) -> MigrationsSpec:
        if self.tool == "commands" and (not self.up or not self.down):
            raise ValueError("tool: commands needs both up and down (a command that reverts one step)")
        return self


class OperationSpec(SequenceSpec):
    """A business operation and the counters it must move: the fleet file's statement of "counters move with work"."""

    name: str
    moves: tuple[CounterExpectation, ...]


class FlowDeclaration(SequenceSpec):
    """A flow across services, declared as steps: it enters at ``entry``, and every step must answer as declared,
    cause its events and see what it waits for happen. Judged by FLOWS-DECLARED."""

    name: str
    entry: str
    requires: tuple[str, ...] = ()


class HttpMetricsSpec(_Model):
    """The request counter every service exposes, its request duration histogram (seconds) and their labels
    (``null``: the fleet declares none)."""

    requests: str | None = "http_requests_total"
    duration: str | None = "http_request_duration_seconds"
    route_label: str = "route"
    status_label: str = "status_code"


class TenantResourceSpec(_Model):
    """A tenant-scoped resource the isolation matrix plants canaries in (area ``tenancy``).

    ``create`` makes one as the owning tenant (``{canary}`` in every text field it has) and saves its id as ``id``;
    ``item`` is its path with ``{id}`` (default: the create request's path + ``/{id}``). Which methods the item and
    its sub-resources answer comes from the service's OpenAPI document (``services[].openapi``), else from
    ``methods`` and ``sub_resources``. ``update`` is the body a wrong-tenant update sends (``{canary}`` is the
    attacker's; default: every top-level field of the create body that holds ``{canary}``). ``table`` names the table
    its rows live in, for the defence-in-depth probe (which layer stopped a cross-tenant read).
    """

    name: str
    create: SequenceSpec
    item: str | None = None
    methods: tuple[Literal["GET", "PUT", "PATCH", "DELETE"], ...] | None = Field(
        default=None, description="the item's methods where the service has no OpenAPI document (default: GET)"
    )
    sub_resources: tuple[str, ...] = Field(
        default=(), description="GET paths under the item (``/content``) where there is no OpenAPI document"
    )
    update: dict[str, Any] | None = None
    actions: dict[str, Any] = Field(
        default_factory=dict, description="POST sub-paths (``/complete``) -> the JSON body a wrong-tenant call sends"
    )
    list_route: str | None = Field(
        default=None, alias="list", description="the list route (default: the create request's path)"
    )
    listed: bool = Field(default=True, description="false: the resource has no list route")
    list_params: dict[str, str] = Field(
        default_factory=dict, description="query parameters of the list route and the value to send (``{id}``)"
    )
    page_params: tuple[str, str] | None = Field(
        default=None, description="the list's (size, offset or page) parameters, default from OpenAPI"
    )
    max_page: int = Field(default=100, ge=1, description="the largest page size the list accepts")
    unchanged: tuple[str, ...] = Field(
        default=(),
        description="top-level fields of the owner's re-read a wrong-tenant write must leave as they were "
        "(default: the create body's fields that hold {canary})",
    )
    table: str | None = None
    consumed_from: str | None = Field(
        default=None, description="the resource is a consumer's record of this topic (audit, notification)"
    )

    @model_validator(mode="after")
    def _saves_id(self) -> TenantResourceSpec:
        if not any("id" in s.save for s in self.create.steps):
            raise ValueError(f"tenancy resource {self.name}: a create step must save the resource's id as `id`")
        return self

    @property
    def create_request(self) -> Any:
        """The request of the step that saves the id (its path is the collection, its body the canary fields)."""
        return next(s.sends for s in reversed(self.create.steps) if "id" in s.save)


class ServiceTenancy(_Model):
    """What the isolation matrix needs of one service: its OpenAPI document (to enumerate the routes), its
    tenant-scoped resources, the route token and header attacks go to, or why it has none."""

    openapi: str | None = Field(default=None, description="the path of the service's OpenAPI document")
    resources: tuple[TenantResourceSpec, ...] = ()
    probe: str | None = Field(default=None, description="a tenant-scoped GET route for token and header attacks")
    graphql: str | None = Field(default=None, description="the GraphQL path (the api-gateway's /graphql)")
    none_reason: str | None = Field(default=None, description="why the service has no tenant-scoped resource")


class TokenSpec(_Model):
    """How the fleet's tokens are verified: the algorithm, where public keys are published (JWKS), the issuer and
    audience its tokens carry. The token attacks (TENANCY-TOKENS-REFUSED) are built from it."""

    algorithm: Literal["RS256", "ES256", "HS256"] = "RS256"
    jwks: str | None = Field(
        default=None, description="<service> <path> of the JWKS, e.g. 'auth /.well-known/jwks.json'"
    )
    issuer: str | None = None
    audience: str | None = None


class BurstUpdateSpec(_Model):
    """An update of the aggregate the burst write creates, repeated ``times`` times in a row while Kafka is down
    (EVENTS-OUTAGE-ORDER): steps with exactly one event in all, keyed by the aggregate. The steps may use what the
    burst's steps saved (the aggregate's id) and ``{n}``, the update's number (1 to ``times``)."""

    steps: tuple[StepSpec, ...]
    times: int = Field(default=5, ge=2, le=50, description="how many updates are queued during the outage")

    @property
    def sequence(self) -> SequenceSpec:
        """The update's steps as a sequence to run (built unvalidated: the burst's bindings fill its placeholders)."""
        return SequenceSpec.model_construct(steps=self.steps, cleanup=())


class BurstSpec(SequenceSpec):
    """One write a burst repeats (EVENTS-NO-LOSS), and optionally an update of what it creates (``update``)."""

    update: BurstUpdateSpec | None = Field(
        default=None,
        description="an update of the aggregate the burst creates, sent several times in a row during the Kafka "
        "outage (EVENTS-OUTAGE-ORDER)",
    )
    no_update_reason: str | None = Field(
        default=None, description="why the burst declares no update (EVENTS-OUTAGE-ORDER's not-run reason)"
    )

    @model_validator(mode="after")
    def _update_bound(self) -> BurstSpec:
        if self.update is None:
            return self
        if sum(len(s.events or ()) for s in self.update.steps) != 1:
            raise ValueError("burst.update: its steps must declare exactly one event in all")
        # the update runs after the burst's steps, with their bindings: check it as if it followed them
        problems = unbound(SequenceSpec.model_construct(steps=(*self.steps, *self.update.steps), cleanup=()))
        if problems:
            raise ValueError("burst.update: " + "; ".join(problems))
        return self


class ServiceSpec(_Model):
    name: str
    kind: Literal["core", "infra"] | None = None
    port: int | None = Field(default=None, ge=1, le=65535, description="the deployed default port (informative)")
    topic_prefix: str = Field(default="", description="default: the service's name")
    graphql: Literal["subgraph", "gateway", "none"] = "none"
    database: str | None = None
    api_base: str = Field(default="", description="prefix of the business routes (steps' paths, id_routes)")
    health: HealthSpec = Field(default_factory=HealthSpec)
    metrics_path: str = "/metrics"
    openmetrics: bool = Field(default=True, description="whether /metrics answers OpenMetrics when asked")
    http_metrics: HttpMetricsSpec | None = Field(default=None, description="the service's own, if not the fleet's")
    depends_on: tuple[DependencySpec, ...] = ()
    metrics: tuple[MetricFamilySpec, ...] = ()
    lint_waivers: tuple[LintWaiver, ...] = ()
    produces: tuple[str, ...] = ()
    tables: tuple[TableSpec, ...] = ()
    migrations: MigrationsSpec | None = None
    operations: tuple[OperationSpec, ...] = ()
    scenario: SequenceSpec | None = Field(
        default=None, description="the event scenario: known actions and events (inline, or a YAML file's name)"
    )
    burst: BurstSpec | None = Field(
        default=None,
        description="one write a burst repeats (EVENTS-NO-LOSS): steps with exactly one event in all; its update "
        "(EVENTS-OUTAGE-ORDER) optional",
    )
    no_burst_reason: str | None = Field(default=None, description="why the service has no burst write")
    tenancy: ServiceTenancy = Field(default_factory=ServiceTenancy)
    id_routes: tuple[str, ...] = Field(
        default=(),
        description="GET paths with an id placeholder ({id}) that answer without credentials (404 is fine); used to "
        "prove route labels are templates.",
    )

    _metrics_path = field_validator("metrics_path")(_absolute)

    @model_validator(mode="before")
    @classmethod
    def _prefix(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("topic_prefix") and isinstance(data.get("name"), str):
            return {**data, "topic_prefix": data["name"]}
        return data

    @model_validator(mode="after")
    def _burst(self) -> ServiceSpec:
        if self.burst is not None and sum(len(s.events or ()) for s in self.burst.steps) != 1:
            raise ValueError(f"services[{self.name}].burst: its steps must declare exactly one event in all")
        return self

    @property
    def service_dependencies(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.depends_on if d.type == "service")

    def route(self, path: str) -> str:
        """A business route under the service's ``api_base``."""
        return f"{self.api_base.rstrip('/')}{path}"


class RecordStoreSpec(_Model):
    """The consumer that records every event it consumes (an audit log), and where its records are counted: one
    row per event in ``table`` (schema-qualified where needed), found by ``event_id_column`` holding the event's id,
    or by ``match`` (column -> the CloudEvent attribute it holds, e.g. ``{subject: subject, occurred_at: time}``),
    so a consumer that stored an event under another id is still seen recording it twice."""

    service: str
    table: str = "audit_logs"
    event_id_column: str = "event_id"
    match: dict[str, str] = Field(default_factory=dict, description="column -> CloudEvent attribute")
    consumed_metric: str | None = Field(
        default="events_consumed_total", description="its counter of consumed events (to know when a replay is in)"
    )
    retry_s: float = Field(
        default=1.0, gt=0, description="how long the consumer waits before it takes an event whose write failed again"
    )
    attempts: int | None = Field(
        default=None,
        ge=1,
        description="how many times the consumer takes an event whose write keeps failing before it gives up on it "
        "(and a record it cannot decode: at once), so the events behind it are still recorded; unset: the fleet "
        "declares no give-up policy (a consumer may deliberately stop its partition instead), and the checks of "
        "records it cannot take are not run",
    )

    def retry_window_s(self, slack_s: float) -> float:
        """How long a record may take after its first write failed: five of the consumer's retry waits, plus
        ``slack_s`` (the settings' ``event_slack_s``) for the event to be fetched and written on a loaded machine. A
        consumer that retries is seen well within it; one that lost the event is waited for this long and no longer."""
        return 5 * self.retry_s + slack_s

    def give_up_window_s(self, slack_s: float) -> float | None:
        """How long the event behind a poison one (every write fails) may take: ``attempts`` retry waits, plus the
        same ``slack_s``; ``None`` without a declared ``attempts``."""
        return None if self.attempts is None else self.attempts * self.retry_s + slack_s


class DeliverySpec(_Model):
    """The producers' relay, as far as an outage must outlast it: how often it retries pending rows (``poll_s``),
    how long one delivery attempt may take before its rows stay pending (``delivery_timeout_s``: the producer's
    message time-out and flush), and how many attempts an outage must outlast (``attempts``: a frozen broker still
    takes the batch in flight into its socket, so only the next attempt times out unsent). The events area's Kafka
    outage lasts ``attempts x (delivery_timeout_s + poll_s) + margin_s``: long enough that a relay which marks rows
    published before the broker acknowledged them must lose one."""

    poll_s: float = Field(default=1.0, gt=0)
    delivery_timeout_s: float = Field(default=3.0, gt=0)
    attempts: int = Field(default=2, ge=1)
    margin_s: float = Field(default=4.0, ge=0)

    @property
    def outage_s(self) -> float:
        return self.attempts * (self.delivery_timeout_s + self.poll_s) + self.margin_s

    def describe_outage(self) -> str:
        return (f"{self.attempts} x (delivery time-out {self.delivery_timeout_s:g} s + poll {self.poll_s:g} s) + "
                f"{self.margin_s:g} s margin, from the fleet file's events.delivery")  # fmt: skip


class EventConventions(_Model):
    """How the fleet's events carry what the checks read: the CloudEvents ``source`` (``{service}`` is the
    producer's name), the tenant attribute and header, the correlation attribute and header, and the consumer whose
    records prove delivery (``records``; without one, bursts and replays are judged on Kafka alone), and the relay's
    timing an outage must outlast (``delivery``)."""

    source: str = "/{service}"
    tenant_attribute: str = "tenantid"
    tenant_header: str = "x-tenant-id"
    correlation_attribute: str | None = "correlationid"
    correlation_header: str = "X-Correlation-ID"
    records: RecordStoreSpec | None = None
    delivery: DeliverySpec = Field(default_factory=DeliverySpec)


class TenancySpec(_Model):
    """The fleet's tenancy conventions: the PostgreSQL setting row-level security reads, what a query with no tenant
    set must do (``no-rows``, the default: see nothing; ``error``: fail loudly, where the fleet prefers that), the
    tenant header a caller may send (``null``: none is read) and what a mismatch with the token must get
    (``refuse``: 403; ``ignore``: the token's tenant wins), the status another tenant's resource answers, and how
    tokens are verified."""

    setting: str = "app.tenant_id"
    unset: Literal["no-rows", "error"] = "no-rows"
    tenant_header: str | None = "X-Tenant-ID"
    header_mismatch: Literal["refuse", "ignore"] = "refuse"
    foreign_status: int = 404
    tokens: TokenSpec = Field(default_factory=TokenSpec)


class LoginSpec(_Model):
    """How a tenant's user logs in: the request (placeholders ``{tenant.<field>}`` from the target's credentials)
    and where the answer holds the token, its lifetime and the refresh token (JSONPath)."""

    service: str
    method: Literal["POST", "PUT", "GET"] = "POST"
    path: str
    json_body: dict[str, Any] = Field(default_factory=dict, alias="json")
    expect_status: tuple[int, ...] = (200, 201)
    token: str = "$.access_token"
    expires_in: str | None = "$.expires_in"
    refresh_token: str | None = "$.refresh_token"

    _path = field_validator("path")(_absolute)


class RefreshSpec(_Model):
    """How a token is refreshed before it expires (``{refresh_token}`` is the last one)."""

    method: Literal["POST", "PUT", "GET"] = "POST"
    path: str
    json_body: dict[str, Any] = Field(default_factory=dict, alias="json")
    expect_status: tuple[int, ...] = (200, 201)
    token: str = "$.access_token"
    refresh_token: str | None = "$.refresh_token"
    expires_in: str | None = "$.expires_in"

    _path = field_validator("path")(_absolute)


class AuthSpec(_Model):
    """The fleet's login; ``tenant_claim`` is the JWT claim naming the tenant (to read it from a given token)."""

    login: LoginSpec | None = None
    refresh: RefreshSpec | None = None
    tenant_claim: str = "tenant_id"


class Fleet(_Model):
    name: str
    common_metrics: tuple[MetricFamilySpec, ...] = ()
    event_metrics: tuple[MetricFamilySpec, ...] = ()
    lint_waivers: tuple[LintWaiver, ...] = ()
    http_metrics: HttpMetricsSpec = Field(default_factory=HttpMetricsSpec)
    pii: tuple[Literal["email", "uuid", "bd-mobile", "bd-tin-nid"], ...] = Field(
        default=("email", "uuid"),
        description="personal data no metric label may hold: e-mail addresses and uuids everywhere; Bangladeshi "
        "mobile numbers and TIN/NIDs where the fleet handles them (a long number is an id elsewhere)",
    )
    events: EventConventions = Field(default_factory=EventConventions)
    tenancy: TenancySpec = Field(default_factory=TenancySpec)
    auth: AuthSpec = Field(default_factory=AuthSpec)
    health_profiles: dict[str, CustomProfileSpec] = Field(default_factory=dict)
    payload_schemas: str | None = Field(default=None, description="a folder of <topic>.json payload schemas")
    bookkeeping_tables: tuple[str, ...] = BOOKKEEPING_TABLES
    services: tuple[ServiceSpec, ...]
    topics: tuple[TopicSpec, ...] = ()
    flows: tuple[FlowDeclaration, ...] = ()
    seed_flows: tuple[
        Literal["flow-login-gateway", "flow-audit", "flow-workflow-notifies", "flow-rules-steer"], ...
    ] = Field(default=(), description="the seed's built-in ERP flows this fleet runs (the reference fleet's)")

    @model_validator(mode="after")
    def _consistent(self) -> Fleet:
        names = [s.name for s in self.services]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"service names must be unique; repeated: {', '.join(dupes)}")
        for s in self.services:
            for dep in s.service_dependencies:
                if dep not in names:
                    raise ValueError(
                        f"services[{s.name}].depends_on names service {dep!r}, which the fleet does not declare; "
                        f"declared services: {', '.join(names)}"
                    )
            self._check_profiles(s)
            self._check_steps(s, names)
        self._check_topics(names)
        for flow in self.flows:
            unknown = [n for n in (flow.entry, *flow.requires) if n not in names]
            if unknown:
                raise ValueError(
                    f"flows[{flow.name}] names {', '.join(unknown)}; declared services: {', '.join(names)}"
                )
        if self.events.records is not None and self.events.records.service not in names:
            raise ValueError(f"events.records.service {self.events.records.service!r} is not a declared service")
        if self.auth.login is not None and self.auth.login.service not in names:
            raise ValueError(f"auth.login.service {self.auth.login.service!r} is not a declared service")
        return self

    def _check_profiles(self, service: ServiceSpec) -> None:
        known = [*BUILTIN_PROFILES, *self.health_profiles]
        wanted = {service.health.profile}
        wanted |= {
            e.profile for e in service.health.endpoints.values() if isinstance(e, HealthEndpointSpec) and e.profile
        }
        for name in sorted(wanted):
            if name not in known:
                raise ValueError(
                    f"services[{service.name}].health names profile {name!r}; known profiles: {', '.join(known)} "
                    "(declare your own under health_profiles)"
                )

    @staticmethod
    def _check_steps(service: ServiceSpec, names: list[str]) -> None:
        steps = [s for op in service.operations for s in (*op.steps, *op.cleanup)]
        if service.scenario is not None:
            steps += [*service.scenario.steps, *service.scenario.cleanup]
        steps += [*service.burst.steps, *service.burst.cleanup] if service.burst is not None else []
        if service.burst is not None and service.burst.update is not None:
            steps += service.burst.update.steps
        for step in steps:
            target = step.sends.service
            if target is not None and target not in names:
                raise ValueError(
                    f"services[{service.name}] step {step.name!r} sends to {target!r}, which the fleet does not "
                    f"declare; declared services: {', '.join(names)}"
                )

    def _check_topics(self, names: list[str]) -> None:
        prefixes = {s.name: s.topic_prefix for s in self.services}
        for topic in self.topics:
            if topic.producer not in prefixes:
                raise ValueError(
                    f"topics[{topic.name}].producer names service {topic.producer!r}, which the fleet does not "
                    f"declare; declared services: {', '.join(names)}"
                )
            if not topic.name.startswith(prefixes[topic.producer] + "."):
                raise ValueError(
                    f"topics[{topic.name}] is produced by {topic.producer}, whose topic_prefix is "
                    f"{prefixes[topic.producer]!r}; a service produces only under its own prefix "
                    f"(<prefix>.<entity>.<action>)"
                )
            unknown = [c for c in topic.consumers if c not in prefixes]
            if unknown:
                raise ValueError(
                    f"topics[{topic.name}].consumers names {', '.join(unknown)}, which the fleet does not declare; "
                    f"declared services: {', '.join(names)}"
                )

    def service(self, name: str) -> ServiceSpec:
        for s in self.services:
            if s.name == name:
                return s
        raise KeyError(f"no service {name!r} in fleet {self.name}; known: {', '.join(self.names())}")

    def names(self) -> list[str]:
        return [s.name for s in self.services]

    def topic(self, name: str) -> TopicSpec | None:
        return next((t for t in self.topics if t.name == name), None)

    def required_metrics(self, service: ServiceSpec) -> tuple[MetricFamilySpec, ...]:
        """Every family the service must expose: the common ones, event ones if it has events, its own."""
        events = self.event_metrics if (service.produces or self.consumed_by(service.name)) else ()
        return self.common_metrics + events + service.metrics

    def http_metrics_of(self, service: ServiceSpec) -> HttpMetricsSpec:
        """The HTTP request counter conventions of a service: its own, else the fleet's."""
        return service.http_metrics or self.http_metrics

    def waiver(self, service: ServiceSpec, family: str, rule: str) -> LintWaiver | None:
        """The lint waiver (the service's or the fleet's) that covers ``rule`` on ``family``, if any."""
        return next((w for w in (*service.lint_waivers, *self.lint_waivers) if w.covers(family, rule)), None)

    def consumed_by(self, service: str) -> tuple[str, ...]:
        return tuple(t.name for t in self.topics if service in t.consumers)

    def event_source(self, service: str) -> str:
        """The CloudEvents ``source`` the service's events carry."""
        return self.events.source.replace("{service}", service)

    def profile(self, name: str) -> HealthProfile:
        """A health profile by name: one the fleet file declares, else a built-in.

        Raises:
            KeyError: no such profile; the message lists the known ones.
        """
        if name in self.health_profiles:
            return custom_profile(name, self.health_profiles[name])
        if name in BUILTIN_PROFILES:
            return BUILTIN_PROFILES[name]
        known = ", ".join([*BUILTIN_PROFILES, *self.health_profiles])
        raise KeyError(f"no health profile {name!r}; known profiles: {known}")

    def health_endpoints(self, service: ServiceSpec) -> tuple[HealthEndpoint, ...]:
        """The service's health endpoints, resolved: the profile's usual ones (under ``base`` if given), with the
        service's overrides applied, in the order of ``ENDPOINTS``."""
        spec = service.health
        profile = self.profile(spec.profile)
        base = spec.base if spec.base is not None else profile.default_base
        paths: dict[str, tuple[str, str]] = {
            e: (f"{base.rstrip('/')}{suffix}" or "/", spec.profile) for e, suffix in profile.default_paths.items()
        }
        for endpoint, given in spec.endpoints.items():
            if given is None:
                paths.pop(endpoint, None)
            elif isinstance(given, str):
                paths[endpoint] = (_absolute(given) or given, spec.profile)
            else:
                paths[endpoint] = (given.path, given.profile or spec.profile)
        return tuple(HealthEndpoint(endpoint=e, path=paths[e][0], profile=paths[e][1]) for e in ENDPOINTS if e in paths)

    def start_order(self) -> list[str]:
        """Service names so that every service starts after the services it depends on."""
        order: list[str] = []
        pending = {s.name: set(s.service_dependencies) for s in self.services}
        while pending:
            ready = sorted(n for n, deps in pending.items() if deps <= set(order))
            if not ready:
                raise ValueError(f"service dependencies form a cycle among: {', '.join(sorted(pending))}")
            order.extend(ready)
            for n in ready:
                del pending[n]
        return order

    def is_bookkeeping(self, table: str) -> bool:
        """Whether ``table`` (``schema.table`` or bare) belongs to a migration tool, not to the service."""
        return table.rpartition(".")[2] in self.bookkeeping_tables


class FleetFileError(ValueError):
    """A fleet file that cannot be used, with the file, the key path, what was seen and what is allowed."""


def load_fleet(path: Path | str | None = None) -> Fleet:
    """Load and validate a fleet file (the packaged one by default), with the payload schemas it names.

    Raises:
        FleetFileError: the file is missing, is not YAML, does not match the model, or names a payload schema that
            cannot be read; the message names the file, each bad key path, the value seen and the allowed values.
    """
    file = Path(path) if path is not None else DEFAULT_FLEET_FILE
    raw = read_yaml_mapping(file, FleetFileError, missing="no such fleet file. Pass an existing YAML file.",
                            keys="name, services, topics")  # fmt: skip
    raw = _with_included_scenarios(raw, file)
    try:
        fleet = Fleet.model_validate(raw)
    except ValidationError as exc:
        raise FleetFileError(f"{file}: invalid fleet file\n{describe_validation_error(exc, raw)}") from None
    return _with_payload_schemas(_with_absolute_paths(fleet, file.parent), file.parent)


def _with_absolute_paths(fleet: Fleet, folder: Path) -> Fleet:
    """Migration folders and working directories made absolute, so they mean the same from any working directory."""
    services = []
    for service in fleet.services:
        spec = service.migrations
        if spec is not None:
            update = {k: str((folder / v).resolve()) for k in ("script_location", "cwd") if (v := getattr(spec, k))}
            service = service.model_copy(update={"migrations": spec.model_copy(update=update)})
        services.append(service)
    return fleet.model_copy(update={"services": tuple(services)})


def _with_included_scenarios(raw: dict[str, Any], file: Path) -> dict[str, Any]:
    """A service's ``scenario`` given as a file name (relative to the fleet file) replaced by that file's content."""
    services = raw.get("services")
    if not isinstance(services, list):
        return raw
    included = []
    for service in services:
        if isinstance(service, dict) and isinstance(service.get("scenario"), str):
            scenario_file = file.parent / service["scenario"]
            name = service.get("name", "?")
            missing = f"no such scenario file (services[{name}].scenario of {file}, relative to it)"
            content = read_yaml_mapping(scenario_file, FleetFileError, missing=missing, keys="steps")
            service = {**service, "scenario": content}
        included.append(service)
    return {**raw, "services": included}


def _with_payload_schemas(fleet: Fleet, folder: Path) -> Fleet:
    """The fleet with every topic's payload schema read: its own ``schema`` file, else ``<payload_schemas>/<topic>
    .json`` where that exists. A topic with neither has no payload schema (EVENTS-PAYLOAD-SCHEMA is then not run for
    it, with that reason)."""
    topics = []
    for topic in fleet.topics:
        if topic.payload_schema is not None:
            topics.append(topic)
            continue
        if topic.schema_:
            file = folder / topic.schema_
        elif fleet.payload_schemas:
            file = folder / fleet.payload_schemas / f"{topic.name}.json"
            if not file.is_file():
                topics.append(topic)
                continue
        else:
            topics.append(topic)
            continue
        topics.append(topic.model_copy(update={"payload_schema": _read_schema(file, topic.name)}))
    return fleet.model_copy(update={"topics": tuple(topics)})


def _read_schema(file: Path, topic: str) -> dict[str, Any]:
    try:
        schema = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FleetFileError(f"topics[{topic}].schema: no such file {file}") from None
    except (OSError, ValueError) as exc:
        raise FleetFileError(f"topics[{topic}].schema: {file} is not a JSON document: {exc}") from None
    if not isinstance(schema, dict):
        raise FleetFileError(f"topics[{topic}].schema: {file} must hold a JSON Schema object")
    return schema


def fleet_json_schema() -> dict[str, Any]:
    """The JSON Schema of the fleet-file format (``contracts/schemas/fleet-file.schema.json``)."""
    schema = Fleet.model_json_schema(by_alias=True)
    scenario = schema["$defs"]["ServiceSpec"]["properties"]["scenario"]
    scenario["anyOf"].append({"type": "string", "description": "a YAML file of the scenario, relative to this file"})
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "fleetcheck fleet file"
    return schema


def describe_validation_error(exc: ValidationError, raw: Any, root: type[BaseModel] | None = None) -> str:
    """One line per problem: the key path (service names instead of list indexes), what was seen, what is allowed
    (the keys of the model at that path, under ``root``: the file's model, the fleet file's by default)."""
    lines = []
    for err in exc.errors():
        path = _readable_path(raw, err["loc"])
        seen = repr(err.get("input"))[:80]
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            allowed = _allowed_keys(err["loc"][:-1], root or Fleet)
            if allowed:
                msg = f"{msg}; allowed keys: {', '.join(allowed)}"
        lines.append(f"  {path}: {msg} (saw {seen})")
    return "\n".join(_unique(lines))


def _unique(lines: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(lines))


def _allowed_keys(loc: tuple[int | str, ...], root: type[BaseModel] = Fleet) -> list[str]:
    """The keys the model at ``loc`` accepts (aliases where a field has one), to say what a typo should have been."""
    model: Any = root
    for key in loc:
        if isinstance(key, int):
            continue
        fields = model.model_fields if isinstance(model, type) and issubclass(model, BaseModel) else {}
        field_info = fields.get(key) or next((f for f in fields.values() if f.alias == key), None)
        if field_info is None:
            # a union member's tag (pydantic names it by class), or a dict key: look inside what the loc names
            candidate = _model_named(model, key)
            if candidate is None:
                if isinstance(key, str) and fields == {}:
                    return []
                continue
            model = candidate
            continue
        model = _model_in(field_info.annotation)
        if model is None:
            return []
    return [f.alias or name for name, f in model.model_fields.items()]


def _model_named(model: Any, name: str) -> type[BaseModel] | None:
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return None
    for field_info in model.model_fields.values():
        found = _model_in(field_info.annotation)
        if found is not None and found.__name__ == name:
            return found
    return None


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation such as ``tuple[ServiceSpec, ...]``, or ``None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _readable_path(raw: Any, loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    node = raw
    for key in loc:
        if isinstance(key, str) and key[:1].isupper() and not (isinstance(node, dict) and key in node):
            continue  # a union member's name pydantic puts in the path (HealthEndpointSpec): not a key of the file
        if isinstance(key, int) and isinstance(node, list) and key < len(node):
            item = node[key]
            label = item.get("name") if isinstance(item, dict) else None
            parts.append(f"[{label}]" if label else f"[{key}]")
            node = item
        else:
            parts.append(f".{key}" if parts else str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return "".join(parts) or "(top level)"


if __name__ == "__main__":  # python -m fleetcheck.contracts.fleet: regenerate the published JSON Schema
    FLEET_SCHEMA_FILE.write_text(json.dumps(fleet_json_schema(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {FLEET_SCHEMA_FILE}")
