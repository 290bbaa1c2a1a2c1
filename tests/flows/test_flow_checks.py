"""FLOWS-* checks judged on hand-built observations: each passes a good flow and fails each way a flow breaks."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from fleetcheck.contracts.events import CapturedEvent, EventAction
from fleetcheck.contracts.findings import CheckResult, Outcome
from fleetcheck.contracts.fleet import load_fleet
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
from fleetcheck.contracts.flows import FLOWS, audit_records, notifications_for
from fleetcheck.contracts.observations import HttpExchange
from fleetcheck.contracts.registry import CHECKS, CheckContext, run_check

TENANT = "11111111-1111-4111-8111-111111111111"
CUSTOMER = "22222222-2222-4222-8222-222222222222"
PROCESS = "33333333-3333-4333-8333-333333333333"
TASK = "44444444-4444-4444-8444-444444444444"


def answer(method: str, path: str, status: int, body: Any = None) -> HttpExchange:
    raw = b"" if body is None else json.dumps(body).encode()
    headers = (("content-type", "application/json"),)
    return HttpExchange(method, f"http://127.0.0.1:1{path}", path, status, headers, raw, 0.01)


def judge(check_id: str, observation: object) -> CheckResult:
    fleet = load_fleet()
    check = CHECKS[check_id]
    entry = next(spec.entry for spec in FLOWS.values() if spec.check_id == check_id)
    return run_check(check, CheckContext(fleet.service(entry), fleet), observation)


def failed_with(result: CheckResult, phrase: str) -> bool:
    text = "\n".join(f.message() for f in result.findings)
    return result.outcome is Outcome.FAILED and phrase in text


# ---- FLOWS-LOGIN-GATEWAY-MASTER-DATA ---------------------------------------------------------------------------------

LOGIN_ID = "FLOWS-LOGIN-GATEWAY-MASTER-DATA"
CODE = "FL-0123456789"


def good_login() -> LoginGatewayObservation:
    created = {"id": CUSTOMER, "tenantId": TENANT, "code": CODE, "name": "Flow Customer"}
    return LoginGatewayObservation(
        customer_code=CODE,
        login=answer("POST", "/auth/login", 200, {"access_token": "a.b.c", "token_type": "Bearer"}),
        create=answer("POST", "/graphql", 200, {"data": {"createCustomer": created}}),
        listing=answer("POST", "/graphql", 200, {"data": {"customers": [{"id": CUSTOMER, "code": CODE}]}}),
        rest_read=answer("GET", f"/customers/{CUSTOMER}", 200, {"id": CUSTOMER, "code": CODE}),
        foreign_read=answer("GET", f"/customers/{CUSTOMER}", 404, {"status": 404}),
    )


def test_login_gateway_flow_passes_when_every_step_holds() -> None:
    assert judge(LOGIN_ID, good_login()).outcome is Outcome.PASSED


def test_login_gateway_flow_passes_without_a_second_tenant_to_try() -> None:
    assert judge(LOGIN_ID, replace(good_login(), foreign_read=None)).outcome is Outcome.PASSED


def test_login_gateway_flow_fails_when_the_gateway_refuses_create_customer() -> None:
    refused = {"data": None, "errors": [{"message": "master-data refused the bearer token; log in again",
                                         "extensions": {"code": "UNAUTHENTICATED"}}]}  # fmt: skip
    result = judge(LOGIN_ID, replace(good_login(), create=answer("POST", "/graphql", 200, refused)))
    assert failed_with(result, "UNAUTHENTICATED")
    assert len(result.findings) == 1  # the later steps are not repeated as findings of their own


def test_login_gateway_flow_fails_when_login_fails() -> None:
    result = judge(LOGIN_ID, replace(good_login(), login=answer("POST", "/auth/login", 401, {"status": 401})))
    assert failed_with(result, "POST /auth/login")


def test_login_gateway_flow_fails_when_the_listing_misses_the_customer() -> None:
    listing = answer("POST", "/graphql", 200, {"data": {"customers": []}})
    assert failed_with(judge(LOGIN_ID, replace(good_login(), listing=listing)), "did not list the customer")


def test_login_gateway_flow_fails_when_master_data_cannot_read_it_back() -> None:
    missing = answer("GET", f"/customers/{CUSTOMER}", 404, {"status": 404})
    assert failed_with(judge(LOGIN_ID, replace(good_login(), rest_read=missing)), "same tenant's token")


def test_login_gateway_flow_fails_when_another_tenant_reads_the_customer() -> None:
    leaked = answer("GET", f"/customers/{CUSTOMER}", 200, {"id": CUSTOMER, "code": CODE})
    assert failed_with(judge(LOGIN_ID, replace(good_login(), foreign_read=leaked)), "another tenant's token")


# ---- FLOWS-AUDIT-EVERY-OPERATION -------------------------------------------------------------------------------------

AUDIT_ID = "FLOWS-AUDIT-EVERY-OPERATION"
EVENT = "55555555-5555-4555-8555-555555555555"


def audit_answer(event_id: str, copies: int) -> HttpExchange:
    records = [
        {"id": f"r{n}", "event_id": event_id, "event_type": "master-data.customer.created"} for n in range(copies)
    ]
    return answer("GET", f"/audit-logs?event_id={event_id}", 200, records)


def good_audit(copies: int = 1) -> AuditFlowObservation:
    action = FlowAction("master-data POST /customers", answer("POST", "/customers", 201, {"id": CUSTOMER}),
                        "master-data.customer.created", "corr-1", CUSTOMER)  # fmt: skip
    event = FlowEvent("master-data.customer.created", EVENT, CUSTOMER, TENANT, "corr-1")
    return AuditFlowObservation((action,), (event,), (AuditLookup(event, audit_answer(EVENT, copies)),), 45.0, 3.0)


def test_audit_flow_passes_with_exactly_one_record_per_event() -> None:
    assert judge(AUDIT_ID, good_audit()).outcome is Outcome.PASSED


@pytest.mark.parametrize("copies", [0, 2])
def test_audit_flow_fails_unless_exactly_one_record(copies: int) -> None:
    assert failed_with(judge(AUDIT_ID, good_audit(copies)), f"audit holds {copies} record(s)")


def test_audit_flow_fails_when_an_operation_caused_no_event() -> None:
    observation = replace(good_audit(), events=(), lookups=())
    assert failed_with(judge(AUDIT_ID, observation), "caused no event on master-data.customer.created")


def test_audit_flow_fails_when_audit_cannot_be_queried() -> None:
    broken = answer("GET", f"/audit-logs?event_id={EVENT}", 500, {"status": 500})
    observation = replace(good_audit(), lookups=(AuditLookup(good_audit().events[0], broken),))
    assert failed_with(judge(AUDIT_ID, observation), "answered 500")


def test_audit_records_count_only_the_asked_event_id() -> None:
    mixed = answer("GET", "/audit-logs", 200, [{"event_id": EVENT}, {"event_id": "other"}])
    assert audit_records(mixed, EVENT) == [{"event_id": EVENT}]
    assert audit_records(answer("GET", "/audit-logs", 401, {"status": 401}), EVENT) is None


# ---- FLOWS-WORKFLOW-NOTIFIES -----------------------------------------------------------------------------------------

NOTIFY_ID = "FLOWS-WORKFLOW-NOTIFIES"
KEY = "FLOW-NOTIFY-0123"
COMPLETED = "66666666-6666-4666-8666-666666666666"


def notification(event_id: str = COMPLETED) -> dict[str, Any]:
    return {"id": "n1", "recipient": PROCESS, "template": "process-completed", "source_event_id": event_id,
            "subject": "Process purchase-order completed",
            "body": f"Your purchase-order process {KEY} finished."}  # fmt: skip


def good_notify(items: list[dict[str, Any]] | None = None, status: str = "completed") -> WorkflowNotifyObservation:
    event = FlowEvent("workflow.process.completed", COMPLETED, PROCESS, TENANT)
    return WorkflowNotifyObservation(
        business_key=KEY,
        start=answer("POST", "/processes", 201, {"id": PROCESS, "status": "pending_rules"}),
        process=answer("GET", f"/processes/{PROCESS}", 200, {"id": PROCESS, "status": status}),
        notifications=answer("GET", "/notifications", 200, [notification()] if items is None else items),
        completed_events=(event,),
        deadline_s=90.0,
        waited_s=5.0,
    )


def test_workflow_notify_flow_passes_with_one_notification_about_the_process() -> None:
    assert judge(NOTIFY_ID, good_notify()).outcome is Outcome.PASSED


def test_workflow_notify_flow_fails_without_a_notification() -> None:
    unrelated = [{"id": "n0", "recipient": "someone@example.com", "subject": "Other", "body": "Other process"}]
    assert failed_with(judge(NOTIFY_ID, good_notify(unrelated)), "showed 0 notification(s) about it")


def test_workflow_notify_flow_fails_with_a_duplicate_notification() -> None:
    twice = [notification(), {**notification(), "id": "n2"}]
    assert failed_with(judge(NOTIFY_ID, good_notify(twice)), "showed 2 notification(s)")


def test_workflow_notify_flow_fails_when_the_process_never_completes() -> None:
    assert failed_with(judge(NOTIFY_ID, good_notify(status="pending_rules")), "was pending_rules")


def test_notifications_match_by_event_id_recipient_or_business_key() -> None:
    listed = answer("GET", "/notifications", 200, [
        {"source_event_id": COMPLETED}, {"recipient": PROCESS}, {"body": f"about {KEY}"}, {"body": "unrelated"},
    ])  # fmt: skip
    found = notifications_for(listed, PROCESS, KEY, [COMPLETED])
    assert found is not None
    assert len(found) == 3


# ---- FLOWS-RULES-STEER-WORKFLOW --------------------------------------------------------------------------------------

RULES_ID = "FLOWS-RULES-STEER-WORKFLOW"


def run(expect: str, status: str, task: dict[str, Any], decision: str) -> ProcessRun:
    amount = "750000.00" if expect == "manager" else "500000.00"
    process = {"id": PROCESS, "business_key": "FLOW-PO-1", "status": status, "tasks": [{"id": TASK, **task}]}
    evaluation = FlowEvent("rules.evaluation.completed", EVENT, "e1", TENANT,
                           data_json=json.dumps({"decision": decision, "context": {"task_id": TASK}}))  # fmt: skip
    read = answer("GET", f"/processes/{PROCESS}", 200, process)
    start = answer("POST", "/processes", 201, {"id": PROCESS})
    return ProcessRun(amount, expect, start, read, (evaluation,), events_observed=True)


MANAGER_OK = run("manager", "awaiting_approval", {"status": "open", "assignee_role": "manager"}, "manager-approval")
AUTO_OK = run("automatic", "completed", {"status": "completed", "outcome": "approved"}, "auto-approve")


def steer(*runs: ProcessRun) -> RulesSteerObservation:
    return RulesSteerObservation("500000.00", runs, 60.0, 4.0)


def test_rules_steer_flow_passes_when_each_order_takes_its_path() -> None:
    assert judge(RULES_ID, steer(MANAGER_OK, AUTO_OK)).outcome is Outcome.PASSED


def test_rules_steer_flow_fails_when_the_large_order_is_approved_automatically() -> None:
    wrong = run("manager", "completed", {"status": "completed", "outcome": "approved"}, "auto-approve")
    assert failed_with(judge(RULES_ID, steer(wrong, AUTO_OK)), "above the threshold): status completed")


def test_rules_steer_flow_fails_when_no_evaluation_ever_arrives() -> None:
    stuck = replace(run("automatic", "pending_rules", {"status": "open", "assignee_role": None}, ""), evaluations=())
    assert failed_with(judge(RULES_ID, steer(MANAGER_OK, stuck)), "status pending_rules with 1 open task(s)")


def test_rules_steer_flow_fails_when_the_decision_event_disagrees() -> None:
    odd = run("automatic", "completed", {"status": "completed", "outcome": "approved"}, "manual")
    assert failed_with(judge(RULES_ID, steer(MANAGER_OK, odd)), "decisions ['manual']")


def test_rules_steer_flow_ignores_events_when_the_target_has_no_kafka() -> None:
    no_kafka = replace(AUTO_OK, evaluations=(), events_observed=False)
    assert judge(RULES_ID, steer(MANAGER_OK, no_kafka)).outcome is Outcome.PASSED


# ---- the catalogue ---------------------------------------------------------------------------------------------------


def test_every_flow_is_registered_in_area_flows_on_its_entry_service() -> None:
    fleet = load_fleet()
    for spec in FLOWS.values():
        check = CHECKS[spec.check_id]
        assert (check.area, check.needs) == ("flows", spec.kind)
        assert [s.name for s in fleet.services if check.applies_to(s, fleet)] == [spec.entry]
        assert spec.entry in spec.requires


# ---- FLOWS-DECLARED --------------------------------------------------------------------------------------------------

CORRELATION = "55555555-5555-4555-8555-555555555555"


def _declared(obs: object) -> CheckResult:
    fleet = load_fleet()
    return run_check(CHECKS["FLOWS-DECLARED"], CheckContext(fleet.service("master-data"), fleet), obs)


def _created_event(event_id: str) -> CapturedEvent:
    envelope = {"id": event_id, "correlationid": CORRELATION, "subject": CUSTOMER}
    return CapturedEvent("master-data.customer.created", 0, 1, CUSTOMER, json.dumps(envelope).encode())


def _flow(step_ok: bool = True, *events: CapturedEvent) -> DeclaredFlowObservation:
    create = answer("POST", "/customers", 201 if step_ok else 404, {"id": CUSTOMER})
    action = EventAction("POST /customers", create, "master-data.customer.created", CUSTOMER, TENANT, CORRELATION)
    note = "" if step_ok else "POST /customers answered 404, not 201"
    step = DeclaredStep("POST /customers", create, step_ok, note, (action,))
    return DeclaredFlowObservation("a customer's creation is audited", (step,), events, 1.5)


def test_a_declared_flow_passes_when_its_step_answers_and_causes_its_one_event() -> None:
    result = _declared(_flow(True, _created_event("e-1")))
    assert (result.outcome, result.judged) == (Outcome.PASSED, 1)


def test_a_declared_flow_fails_at_the_step_that_answered_otherwise_naming_flow_and_step() -> None:
    result = _declared(_flow(False))
    assert failed_with(
        result, "flow a customer's creation is audited, step 'POST /customers': POST /customers answered 404"
    )


def test_a_declared_flow_fails_when_its_event_is_missing_or_doubled() -> None:
    assert failed_with(_declared(_flow(True)), "0 event(s) on master-data.customer.created within 1.5 s")
    doubled = _flow(True, _created_event("e-1"), _created_event("e-2"))
    assert failed_with(_declared(doubled), "2 event(s) on master-data.customer.created")


def test_a_declared_flow_the_target_cannot_run_is_not_run_with_the_reason() -> None:
    result = _declared(DeclaredFlowObservation("a flow", (), error="needs audit, which the target lacks"))
    assert (result.outcome, result.reason) == (Outcome.NOT_RUN, "flow a flow: needs audit, which the target lacks")
