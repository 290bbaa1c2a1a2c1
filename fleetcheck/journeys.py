"""Journeys: multi-step synthetic transactions that the prober runs as the target's synthetic tenant (issue 13).

A journey writes, unlike a plain probe, but only as the tenant the target's credentials name and only what it marks:
every customer code and business key it makes starts with :data:`MARKER`. Its steps are timed
(:class:`JourneyStep`); what it saw is handed over as the FLOWS-* observations
(``fleetcheck.contracts.flow_observations``), which the prober judges with the catalogue's FLOWS-* checks
(``fleetcheck.probes``): nothing is judged here.

- ``customer`` (enters at auth): ``leftovers`` (delete marked customers of an earlier, interrupted run) -> ``login``
  -> ``create`` (api-gateway createCustomer) -> ``read`` (api-gateway customers, master-data REST) -> ``audit``
  (its ``master-data.customer.created`` event from Kafka, then its audit record) -> ``delete``. The delete is the
  clean-up: it runs in ``finally``, also when a step failed or raised, and a failed delete is reported, never
  swallowed (the next run's ``leftovers`` step deletes what is left).
- ``workflow`` (enters at workflow): ``start`` a purchase order that rules-engine approves automatically ->
  ``complete`` -> ``notification``. workflow and notification offer no delete: the completed process and its one
  notification stay, named by their business key (``fleetcheck-journey-...``).

A target that lacks a service, the tenant's credentials or Kafka gets a journey that is not run, with the reason
(:class:`~fleetcheck.flows.FlowNotRunnable`), before anything is sent.

Example:
    >>> run = run_journey(target, "customer")  # doctest: +SKIP
    >>> [s.name for s in run.steps]  # doctest: +SKIP
    ['leftovers', 'login', 'create', 'read', 'audit', 'delete']
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fleetcheck.contracts.flow_observations import AuditFlowObservation, FlowAction, LoginGatewayObservation
from fleetcheck.contracts.flows import FLOWS, graphql_result, json_body
from fleetcheck.flows import (
    CREATE_CUSTOMER,
    GRAPHQL_TIMEOUT_S,
    LIST_CUSTOMERS,
    FlowDeadlines,
    FlowNotRunnable,
    JourneyStep,
    StepTimes,
    audit_lookups,
    capture_for,
    caused_by,
    flow_events,
    flow_session,
    login_as,
    observe_notifies,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from fleetcheck.contracts.flow_observations import FlowEvent
    from fleetcheck.contracts.observations import HttpExchange
    from fleetcheck.contracts.registry import CheckSettings
    from fleetcheck.events import EventCapture
    from fleetcheck.flows import FlowSession
    from fleetcheck.targets import Target

__all__ = ["JOURNEYS", "MARKER", "JourneyRun", "JourneySpec", "JourneyStep", "deadlines_within", "run_journey"]

#: what every customer code and business key a journey makes starts with: its clean-up finds its leftovers by it
MARKER = "fleetcheck-journey-"
_CREATED = "master-data.customer.created"
_PAGE, _MAX_PAGES = 500, 20  # master-data's largest page; 10,000 customers of the synthetic tenant looked through


@dataclass(frozen=True, slots=True)
class JourneySpec:
    """A journey: where it enters (its results' ``service``), the seed flows it observes, the waits it may spend."""

    name: str
    entry: str
    kinds: tuple[str, ...]
    #: the :class:`~fleetcheck.flows.FlowDeadlines` fields whose waits add up in one run at worst
    waits: tuple[str, ...]

    @property
    def requires(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s for kind in self.kinds for s in FLOWS[kind].requires))


JOURNEYS: dict[str, JourneySpec] = {
    spec.name: spec
    for spec in (
        JourneySpec("customer", "auth", ("flow-login-gateway", "flow-audit"), ("events_s", "audit_s", "settle_s")),
        JourneySpec(
            "workflow", "workflow", ("flow-workflow-notifies",), ("process_s", "events_s", "notification_s", "settle_s")
        ),
    )
}


@dataclass(frozen=True, slots=True)
class JourneyRun:
    """A journey's run: the FLOWS-* observations it made (by flow kind), its timed steps, and its clean-up.

    ``cleanup_failures`` each name what was left behind and why; ``cleaned`` are the leftovers of earlier runs this
    run deleted. ``not_run`` says why nothing was sent; ``error`` is a step that raised (the clean-up still ran).
    """

    journey: str
    observations: tuple[tuple[str, object], ...] = ()
    steps: tuple[JourneyStep, ...] = ()
    cleanup_failures: tuple[str, ...] = ()
    cleaned: tuple[str, ...] = ()
    not_run: str = ""
    error: str = ""

    def observation(self, kind: str) -> object | None:
        return dict(self.observations).get(kind)


@dataclass(slots=True)
class _Report:
    observations: dict[str, object] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    cleaned: list[str] = field(default_factory=list)
    customer_id: str = ""


def deadlines_within(name: str, timeout_s: float, settings: CheckSettings) -> FlowDeadlines:
    """The flow deadlines of ``settings``, shrunk in proportion when the journey's waits would not end within 80 % of
    its time-out."""
    defaults = FlowDeadlines.of(settings)
    worst = sum(getattr(defaults, wait) for wait in JOURNEYS[name].waits)
    scale = min(1.0, 0.8 * timeout_s / worst)
    if scale == 1.0:
        return defaults
    return dataclasses.replace(
        defaults, **{f.name: getattr(defaults, f.name) * scale for f in dataclasses.fields(defaults)}
    )


def run_journey(
    target: Target, name: str, *, deadlines: FlowDeadlines | None = None, in_flight_s: float = 300.0
) -> JourneyRun:
    """Run the journey ``name`` once (never raises for the target's sake: a step that raised is ``error``).

    Args:
        target: the fleet to run it against, as its synthetic tenant.
        name: a key of :data:`JOURNEYS`.
        deadlines: how long its asynchronous steps wait (default :class:`~fleetcheck.flows.FlowDeadlines`).
        in_flight_s: a marked customer older than this is a leftover of an earlier run; a younger one may belong to
            a journey still running in another prober of the same tenant, and is left alone.
    """
    times, report = StepTimes(), _Report()
    error = ""
    try:
        with flow_session(target, JOURNEYS[name].kinds, deadlines=deadlines, times=times) as flow:
            _RUNNERS[name](flow, report, in_flight_s)
    except FlowNotRunnable as exc:
        return JourneyRun(name, not_run=f"journey {name}: {exc}")
    except Exception as exc:  # the clean-up in the journey's finally already ran; its steps so far are kept
        done = ", ".join(step.name for step in times.steps) or "none"
        error = f"journey {name} stopped with {exc!r} (steps run: {done})"
    return JourneyRun(
        name,
        tuple(report.observations.items()),
        tuple(times.steps),
        tuple(report.failures),
        tuple(report.cleaned),
        error=error,
    )


def marked_code(at: float) -> str:
    """A customer code a journey started at ``at`` (Unix seconds) makes: the marker, the second, a random part."""
    return f"{MARKER}{int(at)}-{uuid.uuid4().hex[:8]}"


def _is_leftover(code: object, cutoff: float) -> bool:
    if not isinstance(code, str) or not code.startswith(MARKER):
        return False
    stamp = code[len(MARKER) :].partition("-")[0]
    return stamp.isdigit() and int(stamp) < cutoff


# ---- the customer journey ------------------------------------------------------------------------------------------


def _customer(flow: FlowSession, report: _Report, in_flight_s: float) -> None:
    with flow.step("leftovers"):
        _delete_leftovers(flow, report, time.time() - in_flight_s)
    capture = capture_for(flow, [_CREATED])
    try:
        _customer_steps(flow, report, capture)
    finally:  # the clean-up: also after a failed or raising step
        if capture is not None:
            capture.close()
        if report.customer_id:
            with flow.step("delete"):
                failure = _delete(flow, report.customer_id, "the customer this journey created")
            if failure:
                report.failures.append(failure)


def _customer_steps(flow: FlowSession, report: _Report, capture: EventCapture | None) -> None:
    code = marked_code(time.time())
    with flow.step("login"):
        login, token, note = _tenant_login(flow)
    if login is not None and token is None:  # the login failed: FLOWS-LOGIN-GATEWAY-MASTER-DATA judges it
        report.observations["flow-login-gateway"] = LoginGatewayObservation(code, login, login, None, None, None)
        return
    token = token or flow.token
    correlation = str(uuid.uuid4())
    graphql = {"query": CREATE_CUSTOMER, "variables": {"input": {"code": code, "name": "fleetcheck journey"}}}
    with flow.step("create"):
        create = flow.call("api-gateway", "POST", "/graphql", graphql, token=token, correlation=correlation,
                           timeout=GRAPHQL_TIMEOUT_S)  # fmt: skip
    created = graphql_result(create)[0].get("createCustomer")
    report.customer_id = str(created.get("id") or "") if isinstance(created, dict) else ""
    foreign = "a journey reads as its one synthetic tenant; the other-tenant read is the flow's (fleetcheck verify)"
    if not report.customer_id:
        report.observations["flow-login-gateway"] = LoginGatewayObservation(
            code, login, create, None, None, None, login_note=note, foreign_note=foreign
        )
        return
    with flow.step("read"):
        listing = flow.call("api-gateway", "POST", "/graphql", {"query": LIST_CUSTOMERS, "variables": {"limit": 500}},
                            token=token, timeout=GRAPHQL_TIMEOUT_S)  # fmt: skip
        rest_read = flow.call("master-data", "GET", f"/customers/{report.customer_id}", token=token)
    report.observations["flow-login-gateway"] = LoginGatewayObservation(
        code, login, create, listing, rest_read, None, login_note=note, foreign_note=foreign
    )
    action = FlowAction("api-gateway POST /graphql createCustomer", create, _CREATED, correlation, report.customer_id)
    with flow.step("audit"):
        started = time.monotonic()
        events: list[FlowEvent] = []
        if capture is not None:
            read = capture.read(until=lambda seen: bool(caused_by(flow_events(seen), [action])),
                                deadline_s=flow.deadlines.events_s)  # fmt: skip
            events = caused_by(flow_events(read), [action])
        lookups = audit_lookups(flow, events)
    report.observations["flow-audit"] = AuditFlowObservation(
        (action,), tuple(events), lookups, flow.deadlines.audit_s, time.monotonic() - started
    )


def _tenant_login(flow: FlowSession) -> tuple[HttpExchange | None, str | None, str]:
    """Log in as the synthetic tenant's user: ``(answer, token, note)``; without its email and password, no login."""
    fields = dict(flow.target.credentials.tenant_fields)
    if not fields.get("email") or not fields.get("password"):
        return None, None, "the target's tenant gives no email and password to log in with; its token was used"
    login, token = login_as(flow, flow.tenant_id, fields["email"], fields["password"])
    return login, token, ""


def _delete_leftovers(flow: FlowSession, report: _Report, cutoff: float) -> None:
    found: list[tuple[str, str]] = []
    for page in range(_MAX_PAGES):
        answer = flow.call("master-data", "GET", f"/customers?limit={_PAGE}&offset={page * _PAGE}")
        body = json_body(answer)
        if answer.status != 200 or not isinstance(body, list):
            report.failures.append(
                f"clean-up of earlier runs' leftovers: master-data GET /customers answered {_said(answer)}; expected "
                f"200 with the synthetic tenant's customers, to delete those whose code starts with {MARKER}"
            )
            return
        found += [(str(c.get("id")), str(c["code"])) for c in body if isinstance(c, dict)
                  and _is_leftover(c.get("code"), cutoff)]  # fmt: skip
        if len(body) < _PAGE:
            break
    for customer_id, code in found:
        failure = _delete(flow, customer_id, f"{code}, a leftover of an earlier, interrupted journey")
        if failure:
            report.failures.append(failure)
        else:
            report.cleaned.append(code)


def _delete(flow: FlowSession, customer_id: str, what: str) -> str:
    """Delete a customer; ``""`` once it is gone (404: already gone), else what was left and why."""
    answer = flow.call("master-data", "DELETE", f"/customers/{customer_id}")
    if 200 <= answer.status < 300 or answer.status == 404:
        return ""
    return (
        f"clean-up: master-data DELETE /customers/{customer_id} ({what}) answered {_said(answer)}; expected 204. The "
        "customer stays in the synthetic tenant until the next journey's clean-up deletes it"
    )


def _said(answer: HttpExchange) -> str:
    return answer.error or f"{answer.status} {answer.body[:200].decode('utf-8', 'replace')}".strip()


# ---- the workflow journey ------------------------------------------------------------------------------------------


def _workflow(flow: FlowSession, report: _Report, in_flight_s: float) -> None:
    report.observations["flow-workflow-notifies"] = observe_notifies(flow, prefix=MARKER.rstrip("-"))


_RUNNERS: dict[str, Callable[[FlowSession, _Report, float], None]] = {"customer": _customer, "workflow": _workflow}
