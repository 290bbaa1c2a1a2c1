"""The fleet file: services, dependencies, endpoints, metric families, topics, tables and operations, as typed data.

``load_fleet()`` reads the packaged ``contracts/fleet.yaml`` (the single machine-readable copy of SPEC.md) or a file
of the user's. A malformed file fails at load with the file, the key path, what was seen and the allowed values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

__all__ = [
    "DEFAULT_FLEET_FILE",
    "CounterExpectation",
    "DependencySpec",
    "Fleet",
    "FleetFileError",
    "MetricFamilySpec",
    "OperationRequest",
    "OperationSpec",
    "ServiceSpec",
    "TableSpec",
    "TopicSpec",
    "load_fleet",
]

DEFAULT_FLEET_FILE = Path(__file__).with_name("fleet.yaml")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DependencySpec(_Model):
    """A dependency that ``/health/ready`` must check. ``type`` says how: a query, a metadata request, a GET, a file."""

    name: str
    type: Literal["postgres", "kafka", "service", "storage"]
    required: bool = True


class MetricFamilySpec(_Model):
    """A metric family a service must expose. ``name`` is the family name as the text format prints it."""

    name: str
    type: Literal["counter", "gauge", "histogram", "summary"]
    labels: tuple[str, ...] = ()
    tenant_label: bool = False
    series_budget: int | None = None


class TopicSpec(_Model):
    name: str
    producer: str
    consumers: tuple[str, ...] = ()
    partitions: int = 3
    schema_: str | None = Field(default=None, alias="schema")


class TableSpec(_Model):
    """A table a service owns. ``rls_exempt`` states why a table is not tenant-scoped (e.g. the tenant registry)."""

    name: str
    columns: tuple[str, ...] = ()
    tenant_scoped: bool = True
    mutable: bool = True
    business_key: tuple[str, ...] = ()
    rls_exempt: str | None = None


class OperationRequest(_Model):
    """One request of a declared operation. ``auth`` says which credential the driver attaches.

    String values may hold ``{uuid}`` and ``{tenant_id}`` placeholders that the driver fills in.
    """

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
    path: str
    json_body: dict[str, Any] | None = Field(default=None, alias="json")
    auth: Literal["none", "tenant", "platform_admin"] = "none"
    expect_status: tuple[int, ...] = (200, 201)


class CounterExpectation(_Model):
    """A counter that must move by exactly ``delta`` (summed over the series matching ``labels``)."""

    family: str
    labels: dict[str, str] = Field(default_factory=dict)
    delta: float = 1.0


class OperationSpec(_Model):
    """A business operation and the metrics it must move: the fleet file's statement of "counters move with work"."""

    name: str
    requests: tuple[OperationRequest, ...]
    moves: tuple[CounterExpectation, ...]


class ServiceSpec(_Model):
    name: str
    kind: Literal["core", "infra"]
    port: int = Field(ge=1, le=65535)
    topic_prefix: str
    graphql: Literal["subgraph", "gateway", "none"] = "none"
    database: str | None = None
    depends_on: tuple[DependencySpec, ...] = ()
    metrics: tuple[MetricFamilySpec, ...] = ()
    produces: tuple[str, ...] = ()
    tables: tuple[TableSpec, ...] = ()
    operations: tuple[OperationSpec, ...] = ()
    id_routes: tuple[str, ...] = Field(
        default=(),
        description="GET paths with an id placeholder ({id}) that answer without credentials (404 is fine); used to "
        "prove route labels are templates.",
    )

    @property
    def service_dependencies(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.depends_on if d.type == "service")


class Fleet(_Model):
    name: str
    common_metrics: tuple[MetricFamilySpec, ...] = ()
    event_metrics: tuple[MetricFamilySpec, ...] = ()
    services: tuple[ServiceSpec, ...]
    topics: tuple[TopicSpec, ...] = ()

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
        self._check_topics(names)
        return self

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

    def required_metrics(self, service: ServiceSpec) -> tuple[MetricFamilySpec, ...]:
        """Every family the service must expose: the common ones, event ones if it has events, its own."""
        events = self.event_metrics if (service.produces or self.consumed_by(service.name)) else ()
        return self.common_metrics + events + service.metrics

    def consumed_by(self, service: str) -> tuple[str, ...]:
        return tuple(t.name for t in self.topics if service in t.consumers)

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


class FleetFileError(ValueError):
    """A fleet file that cannot be used, with the file, the key path, what was seen and what is allowed."""


def load_fleet(path: Path | str | None = None) -> Fleet:
    """Load and validate a fleet file (the packaged one by default).

    Raises:
        FleetFileError: the file is missing, is not YAML, or does not match the model; the message names the file,
            each bad key path, the value seen and the allowed values.
    """
    file = Path(path) if path is not None else DEFAULT_FLEET_FILE
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FleetFileError(f"{file}: no such fleet file. Pass an existing YAML file.") from None
    except yaml.YAMLError as exc:
        raise FleetFileError(f"{file}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise FleetFileError(f"{file}: expected a mapping with keys name, services, topics; saw {type(raw).__name__}")
    try:
        return Fleet.model_validate(raw)
    except ValidationError as exc:
        raise FleetFileError(f"{file}: invalid fleet file\n{describe_validation_error(exc, raw)}") from None


def describe_validation_error(exc: ValidationError, raw: Any) -> str:
    """One line per problem: the key path (service names instead of list indexes), what was seen, what is allowed."""
    lines = []
    for err in exc.errors():
        path = _readable_path(raw, err["loc"])
        seen = repr(err.get("input"))[:80]
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            allowed = _allowed_keys(err["loc"][:-1])
            if allowed:
                msg = f"{msg}; allowed keys: {', '.join(allowed)}"
        lines.append(f"  {path}: {msg} (saw {seen})")
    return "\n".join(lines)


def _allowed_keys(loc: tuple[int | str, ...]) -> list[str]:
    """The keys the model at ``loc`` accepts (aliases where a field has one), to say what a typo should have been."""
    model: Any = Fleet
    for key in loc:
        if isinstance(key, int):
            continue
        field_info = model.model_fields.get(key) if isinstance(model, type) and issubclass(model, BaseModel) else None
        if field_info is None:
            alias_match = [f for f in model.model_fields.values() if f.alias == key]
            field_info = alias_match[0] if alias_match else None
        if field_info is None:
            return []
        model = _model_in(field_info.annotation)
        if model is None:
            return []
    return [f.alias or name for name, f in model.model_fields.items()]


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
        if isinstance(key, int) and isinstance(node, list) and key < len(node):
            item = node[key]
            label = item.get("name") if isinstance(item, dict) else None
            parts.append(f"[{label}]" if label else f"[{key}]")
            node = item
        else:
            parts.append(f".{key}" if parts else str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return "".join(parts) or "(top level)"
