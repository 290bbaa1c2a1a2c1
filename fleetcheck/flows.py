"""The flow observer: drive each FLOWS-* flow of the seed over real HTTP (and Kafka where the flow needs events).

``observe_flow(target, kind)`` runs one flow against any target (the reference fleet or a target file's base URLs) and
returns its observation (``fleetcheck.contracts.flow_observations``). A flow the target cannot run (a service it lacks,
no tenant credentials, no Kafka bootstrap) raises :class:`FlowNotRunnable` with the reason, before sending anything.

Every wait is bounded by a generous deadline: events cross Tansu and consumer groups, which take seconds on a loaded
machine; the observer stops waiting as soon as the check's own reader is satisfied (``fleetcheck.contracts.flows``).

Example:
    >>> observation = observe_flow(target, "flow-rules-steer")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import time
import uuid
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fleetcheck.contracts.flow_observations import (
    AuditFlowObservation,
    AuditLookup,
    DeclaredFlowObservation,
    DeclaredStep,
    FlowAction,
    FlowEvent,
    LoginGatewayObservation,
    ProcessRun,
    RulesSteerObservation,
    WorkflowNotifyObservation,
)
from fleetcheck.contracts.flows import (
    APPROVAL_THRESHOLD_BDT,
    FLOWS,
    audit_records,
    declared_flow_events,
    json_body,
    notifications_for,
)
from fleetcheck.observe import exchange, observe_client

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence
    from contextlib import AbstractContextManager

    import httpx

    from fleetcheck.contracts.events import CapturedEvent
    from fleetcheck.contracts.fleet import FlowDeclaration
    from fleetcheck.contracts.observations import HttpExchange
    from fleetcheck.contracts.registry import CheckSettings
    from fleetcheck.events import EventCapture
    from fleetcheck.targets import Endpoint, Target

__all__ = [
    "CREATE_CUSTOMER",
    "FLOW_KINDS",
    "GRAPHQL_TIMEOUT_S",
    "LIST_CUSTOMERS",
    "FlowDeadlines",
    "FlowNotRunnable",
    "FlowSession",
    "JourneyStep",
    "StepTimes",
    "audit_lookups",
    "capture_for",
    "caused_by",
    "flow_events",
    "flow_session",
    "login_as",
    "observe_declared_flow",
    "observe_flow",
    "observe_notifies",
]

FLOW_KINDS = tuple(FLOWS)
_POLL_S = 0.3
GRAPHQL_TIMEOUT_S = 20.0  # the gateway calls a subgraph, which verifies the token against auth's JWKS


class FlowNotRunnable(RuntimeError):
    """The target cannot run this flow (a service, a credential or Kafka is missing); the message says which."""


@dataclass(frozen=True, slots=True)
class FlowDeadlines:
    """How long a flow waits for what happens asynchronously (events, consumers): the target's settings
    (``flow_events_s`` and the rest, :meth:`of`). Generous by default: a miss is a finding."""

    events_s: float
    audit_s: float
    process_s: float
    notification_s: float
    settle_s: float = 2.0

    @classmethod
    def of(cls, settings: CheckSettings) -> FlowDeadlines:
        return cls(settings.flow_events_s, settings.flow_audit_s, settings.flow_process_s, settings.flow_notification_s)


@dataclass(frozen=True, slots=True)
class JourneyStep:
    """One step of a journey as it ran, and how long it took."""

    name: str
    duration_s: float


@dataclass(slots=True)
class StepTimes:
    """The named steps of a flow run as a journey (``fleetcheck.journeys``), in order, with how long each took."""

    steps: list[JourneyStep] = field(default_factory=list)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:  # a step that raised took its time too
            self.steps.append(JourneyStep(name, time.perf_counter() - started))


@dataclass(slots=True)
class FlowSession:
    """What every flow needs: the target's endpoints, the tenant's token and id, a client, Kafka if any; ``times``
    records the flow's steps when it runs as a journey."""

    target: Target
    client: httpx.Client
    token: str
    tenant_id: str
    bootstrap: str | None
    deadlines: FlowDeadlines
    times: StepTimes | None = None

    def step(self, name: str) -> AbstractContextManager[None]:
        return self.times.step(name) if self.times is not None else nullcontext()

    def url(self, service: str, path: str) -> str:
        return self.endpoint(service).url(path)

    def endpoint(self, service: str) -> Endpoint:
        return self.target.endpoints[service]

    def call(self, service: str, method: str, path: str, body: Any = None, *, token: str | None = None,
             correlation: str | None = None, timeout: float | None = None) -> HttpExchange:  # fmt: skip
        headers = {"Authorization": f"Bearer {token or self.token}"}
        if correlation:
            headers["X-Correlation-ID"] = correlation
        return exchange(self.client, method, self.url(service, path), headers=headers, json_body=body,
                        timeout=timeout)  # fmt: skip


def observe_flow(target: Target, kind: str, *, deadlines: FlowDeadlines | None = None) -> object:
    """Run the flow ``kind`` (a key of ``fleetcheck.contracts.flows.FLOWS``) once and return its observation.

    Raises:
        FlowNotRunnable: the target lacks a service, the tenant credentials or the Kafka bootstrap the flow needs.
        KeyError: ``kind`` is not a known flow.
    """
    with flow_session(target, (kind,), deadlines=deadlines) as flow:
        return _OBSERVERS[kind](flow)


@contextmanager
def flow_session(
    target: Target, kinds: Sequence[str], *, deadlines: FlowDeadlines | None = None, times: StepTimes | None = None
) -> Iterator[FlowSession]:
    """The session the flows ``kinds`` run in (one flow, or a journey made of several), its client closed after.

    Raises:
        FlowNotRunnable: before anything is sent, when the target lacks a service, the tenant credentials or the
            Kafka bootstrap one of the flows needs.
        KeyError: a kind is not a known flow.
    """
    specs = [FLOWS[kind] for kind in kinds]
    for spec in specs:
        missing = [s for s in spec.requires if s not in target.endpoints]
        if missing:
            why = "; ".join(f"{s}: {target.unavailable.get(s, 'not in the target')}" for s in missing)
            raise FlowNotRunnable(f"{spec.check_id} needs {', '.join(missing)}, which the target lacks ({why})")
    credentials = target.credentials
    if not credentials.tenant_token or not credentials.tenant_id:
        reason = credentials.missing_reason or "the target gives no tenant token"
        raise FlowNotRunnable(f"{specs[0].check_id} needs the synthetic tenant's token and id; {reason}")
    from fleetcheck.events import kafka_bootstrap_of

    bootstrap = kafka_bootstrap_of(target)
    for spec in specs:
        if spec.needs_kafka and not bootstrap:
            raise FlowNotRunnable(f"{spec.check_id} matches audit records to event ids read from Kafka; the target "
                                  "gives no Kafka bootstrap (add kafka.bootstrap to the target file)")  # fmt: skip
    with observe_client(10.0) as client:
        yield FlowSession(target, client, credentials.tenant_token, credentials.tenant_id, bootstrap,
                          deadlines or FlowDeadlines.of(target.settings), times)  # fmt: skip


# ---- flows the fleet file declares (FLOWS-DECLARED) -----------------------------------------------------------------


def observe_declared_flow(
    target: Target, flow: FlowDeclaration, *, deadlines: FlowDeadlines | None = None
) -> DeclaredFlowObservation:
    """Run a flow the fleet file declares, capturing the events its steps name, and wait (up to the events deadline)
    until each step's declared events were seen. A flow the target cannot run comes back with ``error`` set."""
    from fleetcheck.events import kafka_bootstrap_of
    from fleetcheck.steps import StepContext, StepsNotPossible, actions_of, run_sequence

    missing = [s for s in dict.fromkeys((flow.entry, *flow.requires)) if s not in target.endpoints]
    if missing:
        why = "; ".join(f"{s}: {target.unavailable.get(s, 'not in the target')}" for s in missing)
        return DeclaredFlowObservation(
            flow.name, (), error=f"needs {', '.join(missing)}, which the target lacks ({why})"
        )
    topics = sorted({e.topic for s in (*flow.steps, *flow.cleanup) for e in s.events or ()})
    bootstrap = kafka_bootstrap_of(target)
    if topics and not bootstrap:
        error = f"its steps expect events on {', '.join(topics)}; the target gives no Kafka bootstrap (kafka.bootstrap)"
        return DeclaredFlowObservation(flow.name, (), error=error)
    limits = deadlines or FlowDeadlines.of(target.settings)
    started = time.monotonic()
    capture = _capture_from(bootstrap, topics)
    try:
        with observe_client(15.0) as client:
            ctx = StepContext(client, target, target.fleet.service(flow.entry))
            try:
                runs = run_sequence(flow, ctx)
            except StepsNotPossible as exc:
                return DeclaredFlowObservation(flow.name, (), error=str(exc))
        by_name = {r.step.name: r for r in runs if r.exchange is not None}
        expects = [tuple(actions_of(r, by_name, ctx.bindings)) if r.as_declared else () for r in runs]
        wanted = [a for group in expects for a in group if a.topic]
        events: list[CapturedEvent] = []
        if capture is not None:
            conventions = target.fleet.events
            events = capture.read(until=lambda seen: all(declared_flow_events(conventions, a, seen) for a in wanted),
                                  deadline_s=limits.events_s, settle_s=limits.settle_s)  # fmt: skip
    finally:
        if capture is not None:
            capture.close()
    steps = tuple(
        DeclaredStep(r.step.name, r.exchange, r.as_declared or r.skipped, r.note, e)
        for r, e in zip(runs, expects, strict=True)
    )
    return DeclaredFlowObservation(flow.name, steps, tuple(events), time.monotonic() - started)


def _capture_from(bootstrap: str | None, topics: Sequence[str]) -> EventCapture | None:
    if not topics or not bootstrap:
        return None
    from fleetcheck.events import EventCapture

    return EventCapture(bootstrap, topics)


# ---- events --------------------------------------------------------------------------------------------------------


def capture_for(flow: FlowSession, topics: Sequence[str]) -> EventCapture | None:
    """A capture from the current end offsets of ``topics``, or ``None`` when the target has no Kafka."""
    if not flow.bootstrap:
        return None
    from fleetcheck.events import EventCapture

    return EventCapture(flow.bootstrap, topics)


def _flow_event(event: CapturedEvent) -> FlowEvent | None:
    envelope = event.envelope()
    if envelope is None or not envelope.get("id"):
        return None
    data = envelope.get("data")

    def text(name: str) -> str | None:
        value = envelope.get(name)
        return None if value is None else str(value)

    return FlowEvent(event.topic, str(envelope["id"]), text("subject"), text("tenantid"), text("correlationid"),
                     json.dumps(data if isinstance(data, dict) else {}))  # fmt: skip


def flow_events(events: Iterable[CapturedEvent]) -> list[FlowEvent]:
    """The captured events as flow events, once each (by topic and event id)."""
    unique: dict[tuple[str, str], FlowEvent] = {}
    for event in events:
        found = _flow_event(event)
        if found is not None:
            unique.setdefault((found.topic, found.event_id), found)  # a redelivered record is the same event
    return list(unique.values())


def _poll(read: Callable[[], HttpExchange], done: Callable[[HttpExchange], bool], deadline_s: float) -> HttpExchange:
    deadline = time.monotonic() + deadline_s
    answer = read()
    while not done(answer) and time.monotonic() < deadline:
        time.sleep(_POLL_S)
        answer = read()
    return answer


def _id_of(answer: HttpExchange) -> str:
    body = json_body(answer)
    return str(body.get("id", "")) if isinstance(body, dict) else ""


# ---- FLOWS-LOGIN-GATEWAY-MASTER-DATA ---------------------------------------------------------------------------------

CREATE_CUSTOMER = (
    "mutation CreateCustomer($input: CustomerInput!) { createCustomer(input: $input) { id tenantId code name } }"
)
LIST_CUSTOMERS = "query Customers($limit: Int!) { customers(limit: $limit) { id code } }"


def _register_and_login(flow: FlowSession, tenant_id: str) -> tuple[HttpExchange | None, str | None, str]:
    """Register a fresh user in ``tenant_id`` and log in: ``(login answer, token, why not)``."""
    email, password = f"flow-{uuid.uuid4().hex[:10]}@example.com", f"Flow-{uuid.uuid4().hex}-Aa1!"
    body = {"tenant_id": tenant_id, "email": email, "password": password, "first_name": "Flow", "last_name": "User"}
    registered = exchange(flow.client, "POST", flow.url("auth", "/auth/register"), json_body=body)
    if registered.status != 201:
        return None, None, f"registering a flow user at auth answered {registered.status} {registered.error}"
    login, token = login_as(flow, tenant_id, email, password)
    return login, token, ""


def login_as(flow: FlowSession, tenant_id: str, email: str, password: str) -> tuple[HttpExchange, str | None]:
    """Log in at auth: ``(the answer, its access token or None)``."""
    login = exchange(flow.client, "POST", flow.url("auth", "/auth/login"),
                     json_body={"tenant_id": tenant_id, "email": email, "password": password})  # fmt: skip
    token = json_body(login)
    return login, (str(token["access_token"]) if isinstance(token, dict) and token.get("access_token") else None)


def _foreign_token(flow: FlowSession) -> tuple[str | None, str]:
    """A token of a second, fresh tenant (needs organization and the platform-admin token)."""
    admin = flow.target.credentials.platform_admin_token
    if not admin or "organization" not in flow.target.endpoints:
        return None, "no second tenant: the target gives no platform-admin token or no organization service"
    code = f"flow-{uuid.uuid4().hex[:8]}"
    created = flow.call("organization", "POST", "/tenants", {"name": f"flow {code}", "code": code}, token=admin)
    if created.status != 201 or not _id_of(created):
        return None, f"no second tenant: organization POST /tenants answered {created.status}"
    _answer, token, why = _register_and_login(flow, _id_of(created))
    return token, why or ("" if token else "no second tenant: its user could not log in")


def _observe_login_gateway(flow: FlowSession) -> LoginGatewayObservation:
    code = f"FL-{uuid.uuid4().hex[:10]}"
    login, token, note = _register_and_login(flow, flow.tenant_id)
    if login is not None and token is None:  # the login itself failed: the check judges it, nothing else can run
        return LoginGatewayObservation(code, login, login, None, None, None)
    token = token or flow.token
    graphql = {"query": CREATE_CUSTOMER, "variables": {"input": {"code": code, "name": "Flow Customer"}}}
    create = flow.call("api-gateway", "POST", "/graphql", graphql, token=token, timeout=GRAPHQL_TIMEOUT_S)
    created = (json_body(create) or {}).get("data") if isinstance(json_body(create), dict) else None
    customer = (created or {}).get("createCustomer") if isinstance(created, dict) else None
    if not isinstance(customer, dict) or not customer.get("id"):
        return LoginGatewayObservation(code, login, create, None, None, None, login_note=note)
    listing = flow.call("api-gateway", "POST", "/graphql", {"query": LIST_CUSTOMERS, "variables": {"limit": 500}},
                        token=token, timeout=GRAPHQL_TIMEOUT_S)  # fmt: skip
    path = f"/customers/{customer['id']}"
    rest_read = flow.call("master-data", "GET", path, token=token)
    foreign, foreign_note = _foreign_token(flow)
    foreign_read = flow.call("master-data", "GET", path, token=foreign) if foreign else None
    return LoginGatewayObservation(code, login, create, listing, rest_read, foreign_read, login_note=note,
                                   foreign_note=foreign_note)  # fmt: skip


# ---- FLOWS-AUDIT-EVERY-OPERATION -------------------------------------------------------------------------------------

_AUDITED_TOPICS = ("master-data.customer.created", "master-data.customer.updated", "master-data.customer.deleted",
                   "auth.user.registered")  # fmt: skip


def _audit_writes(flow: FlowSession) -> list[FlowAction]:
    """Create, update and delete a customer at master-data, and register a user at auth (a second producer)."""
    actions: list[FlowAction] = []

    def act(label: str, service: str, method: str, path: str, body: Any, topic: str, aggregate: str = "") -> str:
        correlation = str(uuid.uuid4())
        answer = flow.call(service, method, path, body, correlation=correlation)
        aggregate = aggregate or _id_of(answer)
        actions.append(FlowAction(label, answer, topic, correlation, aggregate))
        return aggregate

    customer = act("master-data POST /customers", "master-data", "POST", "/customers",
                   {"code": f"AU-{uuid.uuid4().hex[:10]}", "name": "Audit Flow"}, _AUDITED_TOPICS[0])  # fmt: skip
    if customer:
        act("master-data PATCH /customers/{customer_id}", "master-data", "PATCH", f"/customers/{customer}",
            {"name": "Audit Flow Renamed"}, _AUDITED_TOPICS[1], customer)  # fmt: skip
        act("master-data DELETE /customers/{customer_id}", "master-data", "DELETE", f"/customers/{customer}", None,
            _AUDITED_TOPICS[2], customer)  # fmt: skip
    act("auth POST /auth/register", "auth", "POST", "/auth/register",
        {"tenant_id": flow.tenant_id, "email": f"audit-{uuid.uuid4().hex[:10]}@example.com",
         "password": f"Au-{uuid.uuid4().hex}-Aa1!", "first_name": "Audit", "last_name": "Flow"},
        _AUDITED_TOPICS[3])  # fmt: skip
    return actions


def caused_by(events: Iterable[FlowEvent], actions: Sequence[FlowAction]) -> list[FlowEvent]:
    """The events these actions caused: by their correlation id, or their topic and aggregate."""
    correlations = {a.correlation_id for a in actions}
    aggregates = {(a.topic, a.aggregate_id) for a in actions if a.aggregate_id}
    return [e for e in events if e.correlation_id in correlations or (e.topic, e.subject) in aggregates]


def _observe_audit(flow: FlowSession) -> AuditFlowObservation:
    started = time.monotonic()
    capture = capture_for(flow, _AUDITED_TOPICS)
    assert capture is not None  # observe_flow refused the flow without Kafka
    with capture:
        actions = _audit_writes(flow)
        accepted = [a for a in actions if 200 <= a.exchange.status < 300]

        def all_seen(seen: list[CapturedEvent]) -> bool:
            caused = caused_by(flow_events(seen), accepted)
            return all(caused_by(caused, [a]) for a in accepted)

        events = caused_by(flow_events(capture.read(until=all_seen, deadline_s=flow.deadlines.events_s)), actions)
    lookups = audit_lookups(flow, events)
    return AuditFlowObservation(tuple(actions), tuple(events), lookups, flow.deadlines.audit_s,
                                time.monotonic() - started)  # fmt: skip


def audit_lookups(flow: FlowSession, events: Sequence[FlowEvent]) -> tuple[AuditLookup, ...]:
    """Poll each event's audit records until every one has at least one (or the deadline), then settle and re-read:
    a second record written late is what this flow exists to see."""
    deadline = time.monotonic() + flow.deadlines.audit_s

    def read(event: FlowEvent) -> HttpExchange:
        return flow.call("audit", "GET", f"/audit-logs?event_id={event.event_id}")

    answers = {e.event_id: read(e) for e in events}
    while time.monotonic() < deadline and not all(audit_records(answers[e.event_id], e.event_id) for e in events):
        time.sleep(_POLL_S)
        answers = {e.event_id: answers[e.event_id] if audit_records(answers[e.event_id], e.event_id) else read(e)
                   for e in events}  # fmt: skip
    time.sleep(flow.deadlines.settle_s)
    return tuple(AuditLookup(e, read(e)) for e in events)


# ---- workflow processes ----------------------------------------------------------------------------------------------


def _start_order(flow: FlowSession, amount: str, prefix: str) -> tuple[str, HttpExchange]:
    key = f"{prefix}-{uuid.uuid4().hex[:10]}"
    body = {"workflow_type": "purchase-order", "business_key": key, "amount_bdt": amount,
            "variables": {"started_by": "fleetcheck flows"}}  # fmt: skip
    return key, flow.call("workflow", "POST", "/processes", body, correlation=str(uuid.uuid4()))


def _read_process(flow: FlowSession, process_id: str) -> HttpExchange:
    return flow.call("workflow", "GET", f"/processes/{process_id}")


def _status(answer: HttpExchange) -> str | None:
    body = json_body(answer)
    return str(body.get("status")) if isinstance(body, dict) else None


_UNDECIDED = (None, "new", "pending_rules")


def _wait_decided(flow: FlowSession, process_id: str) -> HttpExchange:
    """Until the process left ``pending_rules`` (rules-engine's decision arrived) or the deadline."""
    return _poll(lambda: _read_process(flow, process_id), lambda a: _status(a) not in _UNDECIDED,
                 flow.deadlines.process_s)  # fmt: skip


def _wait_all_decided(flow: FlowSession, process_ids: Sequence[str]) -> None:
    """Until every process left ``pending_rules``, under one deadline for all of them."""
    deadline = time.monotonic() + flow.deadlines.process_s
    pending = [i for i in process_ids if i]
    while pending and time.monotonic() < deadline:
        pending = [i for i in pending if _status(_read_process(flow, i)) in _UNDECIDED]
        if pending:
            time.sleep(_POLL_S)


# ---- FLOWS-WORKFLOW-NOTIFIES -----------------------------------------------------------------------------------------


def observe_notifies(flow: FlowSession, prefix: str = "FLOW-NOTIFY") -> WorkflowNotifyObservation:
    """Steps (timed when run as a journey): ``start`` the process, until it is ``complete`` (and its completion
    event seen), until its ``notification`` arrived (and a settle, for a late duplicate)."""
    started = time.monotonic()
    capture = capture_for(flow, ["workflow.process.completed"])
    try:
        with flow.step("start"):
            key, start = _start_order(flow, "125000.00", prefix)
        process_id = _id_of(start)
        if not process_id:
            return WorkflowNotifyObservation(key, start, None, None, (), flow.deadlines.process_s, 0.0)
        with flow.step("complete"):
            process = _wait_decided(flow, process_id)
            completed: list[FlowEvent] = []
            if capture is not None and _status(process) == "completed":
                seen = capture.read(until=lambda s: any(e.subject == process_id for e in flow_events(s)),
                                    deadline_s=flow.deadlines.events_s)  # fmt: skip
                completed = [e for e in flow_events(seen) if e.subject == process_id]
    finally:
        if capture is not None:
            capture.close()
    notifications = None
    if _status(process) == "completed":
        ids = [e.event_id for e in completed]

        def listed() -> HttpExchange:
            return flow.call("notification", "GET", "/notifications?limit=500")

        with flow.step("notification"):
            notifications = _poll(listed, lambda a: bool(notifications_for(a, process_id, key, ids)),
                                  flow.deadlines.notification_s)  # fmt: skip
            time.sleep(flow.deadlines.settle_s)  # a duplicate message shows up late
            notifications = listed()
    return WorkflowNotifyObservation(key, start, process, notifications, tuple(completed),
                                     flow.deadlines.process_s + flow.deadlines.notification_s,
                                     time.monotonic() - started)  # fmt: skip


# ---- FLOWS-RULES-STEER-WORKFLOW --------------------------------------------------------------------------------------

#: One purchase order on each side of the threshold; the lower one sits exactly on it ("at or below" is approved).
_ORDERS = (("750000.00", "manager"), (APPROVAL_THRESHOLD_BDT, "automatic"))


def _task_ids(answer: HttpExchange | None) -> set[str]:
    body = json_body(answer)
    tasks = body.get("tasks") if isinstance(body, dict) else None
    return {str(t.get("id")) for t in tasks or [] if isinstance(t, dict)}


def _observe_rules(flow: FlowSession) -> RulesSteerObservation:
    started = time.monotonic()
    capture = capture_for(flow, ["rules.evaluation.completed"])
    try:
        starts = [(amount, expect, _start_order(flow, amount, "FLOW-PO")[1]) for amount, expect in _ORDERS]
        _wait_all_decided(flow, [_id_of(s) for _a, _e, s in starts])
        time.sleep(flow.deadlines.settle_s)  # an open manager task must stay open, not be approved a moment later
        processes = [_read_process(flow, _id_of(s)) if _id_of(s) else None for _a, _e, s in starts]
        tasks = [_task_ids(p) for p in processes]
        seen: list[FlowEvent] = []
        if capture is not None:
            # wait only for evaluations of decided processes: an undecided one already fails, its events are a bonus
            decided = [
                t for p, t in zip(processes, tasks, strict=True) if p is not None and _status(p) not in _UNDECIDED
            ]
            wanted = set().union(*decided)
            raw = capture.read(until=lambda s: wanted <= _evaluated(flow_events(s)),
                               deadline_s=flow.deadlines.events_s if wanted else 1.0)  # fmt: skip
            seen = flow_events(raw)
    finally:
        if capture is not None:
            capture.close()
    runs = tuple(
        ProcessRun(
            amount,
            expect,
            start,
            process,
            tuple(e for e in seen if _evaluated([e]) & task_ids),
            events_observed=capture is not None,
        )
        for (amount, expect, start), process, task_ids in zip(starts, processes, tasks, strict=True)
    )
    return RulesSteerObservation(APPROVAL_THRESHOLD_BDT, runs, flow.deadlines.process_s, time.monotonic() - started)


def _evaluated(events: Iterable[FlowEvent]) -> set[str]:
    """The approval task ids that rules-engine's evaluations name (``context.task_id``)."""
    ids: set[str] = set()
    for event in events:
        context = event.data().get("context")
        if isinstance(context, dict) and context.get("task_id"):
            ids.add(str(context["task_id"]))
    return ids


_OBSERVERS: dict[str, Callable[[FlowSession], object]] = {
    "flow-login-gateway": _observe_login_gateway,
    "flow-audit": _observe_audit,
    "flow-workflow-notifies": observe_notifies,
    "flow-rules-steer": _observe_rules,
}
