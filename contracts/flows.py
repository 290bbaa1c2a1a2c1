"""FLOWS-* checks: the seed's system integration tests, each a flow across services judged end to end.

A flow is attributed to the service where it enters (login at auth, writes at master-data, processes at workflow),
so the scorecard shows it in that row; the findings name the service further down the flow that broke it.

The helpers ``audit_records``, ``notifications_for`` and ``json_body`` are shared with the observer
(``fleetcheck.flows``), which polls until they are satisfied: the check and the observer's wait agree by construction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fleetcheck.contracts.findings import Finding, Judged
from fleetcheck.contracts.registry import CHECKS, CheckContext, NotApplicable

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from fleetcheck.contracts.events import CapturedEvent, EventAction
    from fleetcheck.contracts.fleet import EventConventions, Fleet, ServiceSpec
    from fleetcheck.contracts.flow_observations import (
        AuditFlowObservation,
        DeclaredFlowObservation,
        DeclaredStep,
        FlowEvent,
        LoginGatewayObservation,
        ProcessRun,
        RulesSteerObservation,
        WorkflowNotifyObservation,
    )
    from fleetcheck.contracts.observations import HttpExchange

__all__ = [
    "APPROVAL_THRESHOLD_BDT",
    "FLOWS",
    "FlowSpec",
    "audit_records",
    "declared_flow_events",
    "graphql_result",
    "json_body",
    "notifications_for",
    "open_tasks",
]

AREA = "flows"
#: SPEC.md: a purchase order above this amount needs a manager; at or below it is approved automatically.
APPROVAL_THRESHOLD_BDT = "500000.00"


@dataclass(frozen=True, slots=True)
class FlowSpec:
    """A flow: its check id, the observation kind the observer makes, where it enters, what it needs to run."""

    check_id: str
    kind: str
    entry: str
    requires: tuple[str, ...]
    needs_kafka: bool = False


FLOWS: dict[str, FlowSpec] = {
    spec.kind: spec
    for spec in (
        FlowSpec(
            "FLOWS-LOGIN-GATEWAY-MASTER-DATA", "flow-login-gateway", "auth", ("auth", "api-gateway", "master-data")
        ),
        FlowSpec(
            "FLOWS-AUDIT-EVERY-OPERATION",
            "flow-audit",
            "master-data",
            ("master-data", "auth", "audit"),
            needs_kafka=True,
        ),
        FlowSpec(
            "FLOWS-WORKFLOW-NOTIFIES",
            "flow-workflow-notifies",
            "workflow",
            ("workflow", "rules-engine", "notification"),
        ),
        FlowSpec("FLOWS-RULES-STEER-WORKFLOW", "flow-rules-steer", "workflow", ("workflow", "rules-engine")),
    )
}


def _entry(kind: str, service: str) -> Any:
    """The seed's flow ``kind`` applies to the service it enters at, in a fleet whose file lists it (seed_flows)."""

    def applies(spec: ServiceSpec, fleet: Fleet) -> bool:
        return spec.name == service and kind in fleet.seed_flows

    return applies


def _declares_flows(spec: ServiceSpec, fleet: Fleet) -> bool:
    return any(flow.entry == spec.name for flow in fleet.flows)


# ---- shared readers (pure) -------------------------------------------------------------------------------------------


def json_body(exchange: HttpExchange | None) -> Any:
    """The decoded JSON body, or ``None`` (no exchange, no answer, not JSON)."""
    if exchange is None or exchange.status == 0:
        return None
    try:
        return json.loads(exchange.body)
    except ValueError:
        return None


def graphql_result(exchange: HttpExchange) -> tuple[dict[str, Any], list[str]]:
    """``(data, error messages)`` of a GraphQL answer; a non-GraphQL answer is one error describing it."""
    body = json_body(exchange)
    if not isinstance(body, dict):
        return {}, [_answer(exchange)]
    errors = [_graphql_error(e) for e in body.get("errors") or []]
    data = body.get("data")
    return (data if isinstance(data, dict) else {}), errors


def _graphql_error(error: Any) -> str:
    if not isinstance(error, dict):
        return str(error)[:200]
    code = (error.get("extensions") or {}).get("code")
    return f"{error.get('message')}" + (f" ({code})" if code else "")


def audit_records(exchange: HttpExchange | None, event_id: str) -> list[dict[str, Any]] | None:
    """The audit records of ``event_id`` in a ``GET /audit-logs`` answer, or ``None`` when it is not a JSON list."""
    body = json_body(exchange)
    if exchange is None or exchange.status != 200 or not isinstance(body, list):
        return None
    return [r for r in body if isinstance(r, dict) and str(r.get("event_id")) == event_id]


def notifications_for(
    exchange: HttpExchange | None, process_id: str, business_key: str, event_ids: Sequence[str] = ()
) -> list[dict[str, Any]] | None:
    """The notifications about one process: from its completion event, to it, or naming its business key."""
    body = json_body(exchange)
    if exchange is None or exchange.status != 200 or not isinstance(body, list):
        return None

    def about(item: dict[str, Any]) -> bool:
        text = f"{item.get('subject') or ''} {item.get('body') or ''}"
        return (
            (item.get("source_event_id") is not None and str(item["source_event_id"]) in event_ids)
            or str(item.get("recipient")) == process_id
            or business_key in text
        )

    return [item for item in body if isinstance(item, dict) and about(item)]


def open_tasks(process: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for t in process.get("tasks") or [] if isinstance(t, dict) and t.get("status") == "open"]


def _answer(exchange: HttpExchange | None) -> str:
    if exchange is None:
        return "no request"
    return exchange.error or f"{exchange.status} {exchange.body[:300].decode('utf-8', 'replace')}"


def _evidence(*exchanges: HttpExchange | None) -> tuple[tuple[str, str], ...]:
    return tuple((f"{e.request_line()}", _answer(e)[:400]) for e in exchanges if e is not None)


def _finding(ctx: CheckContext, check_id: str, *, observed: str, expected: str, hint: str,
             evidence: tuple[tuple[str, str], ...] = ()) -> Finding:  # fmt: skip
    return Finding(check_id, ctx.service.name, expected=expected, observed=observed, hint=hint, evidence=evidence)


# ---- FLOWS-LOGIN-GATEWAY-MASTER-DATA ---------------------------------------------------------------------------------

_LOGIN = "FLOWS-LOGIN-GATEWAY-MASTER-DATA"


@CHECKS.register(
    _LOGIN,
    area=AREA,
    claim="a user who logs in at auth creates and lists a customer through the api-gateway with that token, and the "
    "customer is readable over master-data REST by the same tenant and by no other",
    needs="flow-login-gateway",
    applies=_entry("flow-login-gateway", "auth"),
)
def login_gateway_master_data(ctx: CheckContext, obs: LoginGatewayObservation) -> Iterator[Finding | Judged]:
    yield Judged(1, "flow runs")
    broken = _login_step(ctx, obs) or _create_step(ctx, obs)
    if broken is not None:
        yield broken
        return  # later steps depend on this one: their failures would only repeat it
    yield from _read_steps(ctx, obs)


def _login_step(ctx: CheckContext, obs: LoginGatewayObservation) -> Finding | None:
    if obs.login is None:
        return None
    body = json_body(obs.login)
    if obs.login.status == 200 and isinstance(body, dict) and body.get("access_token"):
        return None
    return _finding(ctx, _LOGIN, observed=f"auth POST /auth/login of a freshly registered user answered "
                    f"{_answer(obs.login)[:200]}", expected="200 with an access_token",
                    hint="auth must log in a user it just registered; see the auth service log",
                    evidence=_evidence(obs.login))  # fmt: skip


def _create_step(ctx: CheckContext, obs: LoginGatewayObservation) -> Finding | None:
    data, errors = graphql_result(obs.create)
    created = data.get("createCustomer")
    if (
        obs.create.status == 200
        and not errors
        and isinstance(created, dict)
        and created.get("id")
        and (created.get("code") == obs.customer_code)
    ):
        return None
    seen = "; ".join(errors) or f"{obs.create.status} with createCustomer {created!r}"
    return _finding(ctx, _LOGIN, observed=f"api-gateway POST /graphql createCustomer with the login's bearer token "
                    f"failed: {seen[:300]}", expected=f"200 with data.createCustomer.id and code {obs.customer_code}",
                    hint="the gateway must verify the caller's token and forward it (Authorization) to master-data's "
                    "/graphql; master-data must accept it and create the customer in the token's tenant",
                    evidence=_evidence(obs.create))  # fmt: skip


def _read_steps(ctx: CheckContext, obs: LoginGatewayObservation) -> Iterator[Finding]:
    created = graphql_result(obs.create)[0]["createCustomer"]
    customer_id = str(created["id"])
    listed, errors = graphql_result(obs.listing) if obs.listing is not None else ({}, ["no request"])
    codes = [c.get("code") for c in listed.get("customers") or [] if isinstance(c, dict)]
    if errors or obs.customer_code not in codes:
        yield _finding(ctx, _LOGIN, observed=f"api-gateway customers did not list the customer just created "
                       f"({obs.customer_code}); {'; '.join(errors) or f'listed {len(codes)} customer(s)'}",
                       expected="the new customer in the tenant's customers",
                       hint="the gateway's customers field must return master-data's customers of the caller's tenant",
                       evidence=_evidence(obs.listing))  # fmt: skip
    own = json_body(obs.rest_read)
    if (
        obs.rest_read is None
        or obs.rest_read.status != 200
        or not isinstance(own, dict)
        or own.get("code") != (obs.customer_code)
    ):
        yield _finding(ctx, _LOGIN, observed=f"master-data GET /customers/{customer_id} with the same tenant's token "
                       f"answered {_answer(obs.rest_read)[:200]}", expected=f"200 with code {obs.customer_code}",
                       hint="a customer created through the gateway must be stored in master-data under the token's "
                       "tenant", evidence=_evidence(obs.rest_read))  # fmt: skip
    if obs.foreign_read is not None and obs.foreign_read.status != 404:
        yield _finding(ctx, _LOGIN, observed=f"master-data GET /customers/{customer_id} with another tenant's token "
                       f"answered {_answer(obs.foreign_read)[:200]}", expected="404 (another tenant's customer does "
                       "not exist for this caller)", hint="master-data must scope every read by the token's tenant "
                       "(RLS and a tenant filter)", evidence=_evidence(obs.foreign_read))  # fmt: skip


# ---- FLOWS-AUDIT-EVERY-OPERATION -------------------------------------------------------------------------------------

_AUDIT = "FLOWS-AUDIT-EVERY-OPERATION"


@CHECKS.register(
    _AUDIT,
    area=AREA,
    claim="every data operation's event gets exactly one audit record, found by its event id within the deadline",
    needs="flow-audit",
    applies=_entry("flow-audit", "master-data"),
)
def audit_every_operation(ctx: CheckContext, obs: AuditFlowObservation) -> Iterator[Finding | Judged]:
    if not obs.actions:
        raise NotApplicable("the audit flow sent no write to audit")
    yield Judged(len(obs.actions), "audited writes")
    for action in obs.actions:
        if not 200 <= action.exchange.status < 300:
            yield _finding(ctx, _AUDIT, observed=f"the flow's write {action.label} answered "
                           f"{_answer(action.exchange)[:200]}", expected="2xx (the write the audit flow starts with)",
                           hint="the write itself must succeed before its audit can be judged",
                           evidence=_evidence(action.exchange))  # fmt: skip
        elif not any(e.correlation_id == action.correlation_id or _same_aggregate(e, action.topic,
                     action.aggregate_id) for e in obs.events):  # fmt: skip
            yield _finding(ctx, _AUDIT, observed=f"{action.label} caused no event on {action.topic} within "
                           f"{obs.deadline_s:g} s", expected=f"one {action.topic} event to audit",
                           hint="every data operation must publish its event (outbox relay); see EVENTS-ONE-PER-ACTION",
                           evidence=_evidence(action.exchange))  # fmt: skip
    for lookup in obs.lookups:
        finding = _audit_lookup(ctx, lookup.event, lookup.exchange, obs.waited_s)
        if finding is not None:
            yield finding


def _same_aggregate(event: FlowEvent, topic: str, aggregate_id: str) -> bool:
    return bool(aggregate_id) and event.topic == topic and event.subject == aggregate_id


def _audit_lookup(ctx: CheckContext, event: FlowEvent, exchange: HttpExchange, waited_s: float) -> Finding | None:
    records = audit_records(exchange, event.event_id)
    if records is None:
        return _finding(ctx, _AUDIT, observed=f"audit GET /audit-logs?event_id={event.event_id} answered "
                        f"{_answer(exchange)[:200]}", expected="200 with a JSON list of audit records",
                        hint="audit must list a tenant's audit records filtered by event_id",
                        evidence=_evidence(exchange))  # fmt: skip
    if len(records) == 1:
        return None
    return _finding(ctx, _AUDIT, observed=f"audit holds {len(records)} record(s) for event {event.where()} after "
                    f"{waited_s:.1f} s", expected="exactly one audit record per event id",
                    hint="audit must consume every topic and write one record per event id (dedupe by id, unique key "
                    "on (tenant_id, event_id)); none means the event was not consumed, two means it was not deduped",
                    evidence=_evidence(exchange))  # fmt: skip


# ---- FLOWS-WORKFLOW-NOTIFIES -----------------------------------------------------------------------------------------

_NOTIFY = "FLOWS-WORKFLOW-NOTIFIES"


@CHECKS.register(
    _NOTIFY,
    area=AREA,
    claim="a workflow process that completes produces exactly one notification about it within the deadline",
    needs="flow-workflow-notifies",
    applies=_entry("flow-workflow-notifies", "workflow"),
)
def workflow_notifies(ctx: CheckContext, obs: WorkflowNotifyObservation) -> Iterator[Finding | Judged]:
    yield Judged(1, "processes")
    started = json_body(obs.start)
    if obs.start.status != 201 or not isinstance(started, dict) or not started.get("id"):
        yield _finding(ctx, _NOTIFY, observed=f"workflow POST /processes answered {_answer(obs.start)[:200]}",
                       expected="201 with the new process", hint="workflow must start a purchase-order process",
                       evidence=_evidence(obs.start))  # fmt: skip
        return
    process_id = str(started["id"])
    process = json_body(obs.process)
    status = process.get("status") if isinstance(process, dict) else None
    if status != "completed":
        yield _finding(ctx, _NOTIFY, observed=f"process {process_id} ({obs.business_key}) was {status or 'unreadable'} "
                       f"after {obs.waited_s:.1f} s, so no completion could be notified",
                       expected="the process completed (approved automatically by rules-engine)",
                       hint="see FLOWS-RULES-STEER-WORKFLOW: rules-engine must evaluate workflow.task.created and "
                       "workflow must apply rules.evaluation.completed", evidence=_evidence(obs.process))  # fmt: skip
        return
    event_ids = [e.event_id for e in obs.completed_events]
    found = notifications_for(obs.notifications, process_id, obs.business_key, event_ids)
    if found is not None and len(found) == 1:
        return
    seen = _answer(obs.notifications)[:200] if found is None else f"{len(found)} notification(s) about it"
    yield _finding(ctx, _NOTIFY, observed=f"notification GET /notifications showed {seen} {obs.waited_s:.1f} s after "
                   f"process {process_id} ({obs.business_key}) completed", expected="exactly one notification about "
                   "the completed process", hint="notification must consume workflow.process.completed and send one "
                   "message per event id (dedupe by id)", evidence=_evidence(obs.notifications))  # fmt: skip


# ---- FLOWS-RULES-STEER-WORKFLOW --------------------------------------------------------------------------------------

_RULES = "FLOWS-RULES-STEER-WORKFLOW"


@CHECKS.register(
    _RULES,
    area=AREA,
    claim=f"a purchase order above {APPROVAL_THRESHOLD_BDT} BDT gets an open manager-approval task; one at or below "
    "it is approved automatically through rules-engine's evaluation events",
    needs="flow-rules-steer",
    applies=_entry("flow-rules-steer", "workflow"),
)
def rules_steer_workflow(ctx: CheckContext, obs: RulesSteerObservation) -> Iterator[Finding | Judged]:
    if not obs.runs:
        raise NotApplicable("the flow started no purchase order")
    yield Judged(len(obs.runs), "purchase orders")
    for run in obs.runs:
        finding = _run_finding(ctx, run, obs.waited_s)
        if finding is not None:
            yield finding


def _run_finding(ctx: CheckContext, run: ProcessRun, waited_s: float) -> Finding | None:
    started = json_body(run.start)
    if run.start.status != 201 or not isinstance(started, dict):
        return _finding(ctx, _RULES, observed=f"workflow POST /processes (purchase order of {run.amount_bdt} BDT) "
                        f"answered {_answer(run.start)[:200]}", expected="201 with the new process",
                        hint="workflow must start a purchase-order process", evidence=_evidence(run.start))  # fmt: skip
    process = json_body(run.process)
    if not isinstance(process, dict):
        return _finding(ctx, _RULES, observed=f"workflow GET /processes/{started.get('id')} answered "
                        f"{_answer(run.process)[:200]}", expected="200 with the process and its tasks",
                        hint="workflow must read back a process it started",
                        evidence=_evidence(run.process))  # fmt: skip
    wrong = _manager_path(process, run) if run.expect == "manager" else _automatic_path(process, run)
    if wrong is None:
        return None
    observed, expected = wrong
    side = "above" if run.expect == "manager" else "at or below"
    return _finding(ctx, _RULES, observed=f"purchase order {process.get('business_key')} of {run.amount_bdt} BDT "
                    f"({side} the threshold): {observed} after {waited_s:.1f} s", expected=expected,
                    hint="rules-engine must evaluate workflow.task.created against PURCHASE-APPROVAL (manager above "
                    f"{APPROVAL_THRESHOLD_BDT} BDT, auto-approve at or below) and publish rules.evaluation.completed; "
                    "workflow must move the process by that decision", evidence=_evidence(run.process))  # fmt: skip


def _decisions(run: ProcessRun) -> list[str]:
    return [str(e.data().get("decision")) for e in run.evaluations]


def _manager_path(process: dict[str, Any], run: ProcessRun) -> tuple[str, str] | None:
    expected = "status awaiting_approval with an open approval task for role manager"
    tasks = open_tasks(process)
    roles = [t.get("assignee_role") for t in tasks]
    if process.get("status") != "awaiting_approval" or "manager" not in roles:
        return f"status {process.get('status')} with open task roles {roles}", expected
    if run.events_observed and "manager-approval" not in _decisions(run):
        return f"rules.evaluation.completed decisions {_decisions(run)}", "a manager-approval evaluation event"
    return None


def _automatic_path(process: dict[str, Any], run: ProcessRun) -> tuple[str, str] | None:
    expected = "status completed with no open task (approved automatically)"
    tasks = open_tasks(process)
    if process.get("status") != "completed" or tasks:
        return f"status {process.get('status')} with {len(tasks)} open task(s)", expected
    if run.events_observed and "auto-approve" not in _decisions(run):
        return f"rules.evaluation.completed decisions {_decisions(run)}", "an auto-approve evaluation event"
    return None


# ---- FLOWS-DECLARED: the fleet file's own flows --------------------------------------------------------------------

_DECLARED = "FLOWS-DECLARED"


def declared_flow_events(
    conventions: EventConventions, action: EventAction, events: Iterable[CapturedEvent]
) -> list[CapturedEvent]:
    """The events on the action's topic that answer it: its correlation id, else its key (a service that drops the
    correlation id); one per event id. Shared with the observer's wait, so the two agree by construction."""
    on_topic = [e for e in events if e.topic == action.topic]
    attribute = conventions.correlation_attribute
    matched = [e for e in on_topic if attribute and e.attribute(attribute) == action.correlation_id]
    if not matched and action.aggregate_id:
        matched = [e for e in on_topic if action.aggregate_id in {e.key, e.attribute("subject")}]
    return list({e.attribute("id") or e.where(): e for e in matched}.values())


@CHECKS.register(
    _DECLARED,
    area=AREA,
    claim="every flow the fleet file declares runs end to end: each step answers as declared, causes exactly its "
    "declared events, and what a step waits for happens within its bound",
    needs="flow-declared",
    applies=_declares_flows,
)
def declared_flow(ctx: CheckContext, obs: DeclaredFlowObservation) -> Iterator[Finding | Judged]:
    if obs.error:
        raise NotApplicable(f"flow {obs.flow}: {obs.error}")
    ran = [s for s in obs.steps if s.exchange is not None]
    if not ran:
        raise NotApplicable(f"flow {obs.flow} ran no step")
    yield Judged(len(ran), f"steps of flow {obs.flow}")
    for step in ran:
        finding = _declared_step(ctx, obs, step)
        if finding is not None:
            yield finding
            return  # later steps depend on this one: their failures would only repeat it


def _declared_step(ctx: CheckContext, obs: DeclaredFlowObservation, step: DeclaredStep) -> Finding | None:
    assert step.exchange is not None
    where = f"flow {obs.flow}, step {step.name!r}"
    if not step.as_declared:
        return _finding(ctx, _DECLARED, observed=f"{where}: {step.note}", expected="the answer the step declares",
                        hint="the flow breaks at this step: the request's service answered otherwise than the fleet "
                        "file declares (fix the service, or the declaration if the contract changed)",
                        evidence=_evidence(step.exchange))  # fmt: skip
    for action in step.expects:
        seen = declared_flow_events(ctx.fleet.events, action, obs.events)
        if len(seen) != 1:
            ids = f"correlation id {action.correlation_id}, key {action.aggregate_id!r}"
            return _finding(ctx, _DECLARED, observed=f"{where}: {len(seen)} event(s) on {action.topic} within "
                            f"{obs.waited_s:.1f} s ({ids})",
                            expected=f"exactly one event on {action.topic}",
                            hint="the step's request must cause its event once (transactional outbox, a consumer that "
                            "dedupes by event id)", evidence=_evidence(step.exchange))  # fmt: skip
    return None
