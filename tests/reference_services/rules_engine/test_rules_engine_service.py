"""rules-engine end to end: real auth and rules-engine processes on embedded PostgreSQL and Tansu."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from service_support import Caller, event_of, publish, replay, sample, wait_for

if TYPE_CHECKING:
    from fleetcheck.fixtures.infra import Infrastructure
    from fleetcheck.fixtures.launcher import RunningFleet

pytestmark = pytest.mark.servers

EVALUATIONS = "rules_evaluation_total"


def _url(fleet: RunningFleet) -> str:
    return fleet.services["rules-engine"].base_url


def _evaluate(fleet: RunningFleet, caller: Caller, rule_type: str, amount: str | None,
              **attributes: Any) -> httpx.Response:  # fmt: skip
    body = {"entity_type": "invoice", "entity_id": f"INV-{uuid.uuid4().hex[:8]}", "rule_type": rule_type,
            "amount_bdt": amount, "attributes": attributes}  # fmt: skip
    return httpx.post(f"{_url(fleet)}/evaluate", json=body, headers=caller.headers, timeout=30)


def _rule(**extra: Any) -> dict[str, Any]:
    return {"code": f"VAT-TEST-{uuid.uuid4().hex[:6]}", "rule_type": "vat", "priority": 200,
            "conditions": [{"field": "category", "operator": "eq", "value": "luxury"}],
            "actions": [{"action_type": "set_rate", "parameters": {"rate_percent": "25.00"}}], **extra}  # fmt: skip


@pytest.mark.parametrize(("category", "amount", "rate", "tax"), [
    ("standard goods", "1000.00", "15.00", "150.00"),
    ("export", "1000.00", "0.00", "0.00"),
    ("medicine", "1000.00", "0.00", "0.00"),
    ("basic-food", "1000.00", "0.00", "0.00"),
    ("agriculture", "1000.00", "0.00", "0.00"),
    ("education", "1000.00", "5.00", "50.00"),
    ("construction_materials", "1000000.00", "15.00", "150000.00"),  # at the threshold: standard rate
    ("construction_materials", "1000000.01", "7.50", "75000.00"),
    ("standard goods", "333.33", "15.00", "50.00"),  # 49.9995 rounds half-up to the paisa
])  # fmt: skip
def test_vat_follows_the_bangladesh_rules(re_fleet: RunningFleet, re_caller: Caller, category: str, amount: str,
                                          rate: str, tax: str) -> None:  # fmt: skip
    response = _evaluate(re_fleet, re_caller, "vat", amount, category=category)
    assert response.status_code == 200, response.text
    assert (response.json()["rate_percent"], response.json()["tax_amount_bdt"]) == (rate, tax)


@pytest.mark.parametrize(
    ("payment_type", "rate"),
    [("contractor", "7.00"), ("supply", "3.00"), ("consulting", "10.00"), ("transport", "3.00")],
)
def test_ait_follows_the_bangladesh_rules(re_fleet: RunningFleet, re_caller: Caller, payment_type: str,
                                          rate: str) -> None:  # fmt: skip
    response = _evaluate(re_fleet, re_caller, "ait", "200000", payment_type=payment_type)
    assert response.status_code == 200, response.text
    assert response.json()["rate_percent"] == rate
    assert response.json()["tax_amount_bdt"] == f"{200000 * float(rate) / 100:.2f}"


@pytest.mark.parametrize(
    ("amount", "decision"),
    [
        ("499999.99", "auto-approve"),
        ("500000", "auto-approve"),
        ("500000.01", "manager-approval"),
        ("2500000", "manager-approval"),
    ],
)
def test_purchase_orders_above_500000_need_a_manager_and_the_rest_are_auto_approved(
    re_fleet: RunningFleet, re_caller: Caller, amount: str, decision: str
) -> None:
    response = _evaluate(re_fleet, re_caller, "approval", amount, workflow_type="purchase-order")
    assert response.status_code == 200, response.text
    assert response.json()["decision"] == decision


def test_an_evaluation_is_stored_published_once_and_counted_once(
    re_fleet: RunningFleet, re_caller: Caller, re_capture: Any
) -> None:
    url = _url(re_fleet)
    requested, completed = re_capture("rules.evaluation.requested"), re_capture("rules.evaluation.completed")
    before = sample(url, EVALUATIONS, rule_type="vat", outcome="matched")
    timed = sample(url, "rules_evaluation_duration_seconds_count", rule_type="vat")
    response = _evaluate(re_fleet, re_caller, "vat", "5000.50", category="education")
    assert response.status_code == 200
    body = response.json()
    stored = httpx.get(f"{url}/evaluations/{body['id']}", headers=re_caller.headers).json()
    assert (stored["rate_percent"], stored["tax_amount_bdt"], stored["amount_bdt"]) == ("5.00", "250.03", "5000.50")
    assert len(requested.collect(key=body["id"])) == 1
    [message] = completed.collect(key=body["id"])
    event = event_of(message)
    assert (event["subject"], event["tenantid"], event["data"]["rule_code"]) == (body["id"], re_caller.tenant_id,
                                                                                "VAT-EDUCATION")  # fmt: skip
    assert message.header("x-tenant-id") == re_caller.tenant_id
    assert sample(url, EVALUATIONS, rule_type="vat", outcome="matched") == before + 1
    assert sample(url, "rules_evaluation_duration_seconds_count", rule_type="vat") == timed + 1


def test_rule_crud_publishes_one_event_per_change_and_moves_the_active_gauge(
    re_fleet: RunningFleet, re_caller: Caller, re_capture: Any
) -> None:
    url = _url(re_fleet)
    httpx.get(f"{url}/rules", headers=re_caller.headers)  # the tenant's defaults exist before we count
    active = sample(url, "rules_active", rule_type="vat")
    created, updated, deleted = (re_capture(f"rules.rule.{a}") for a in ("created", "updated", "deleted"))
    response = httpx.post(f"{url}/rules", json=_rule(category_code="VAT"), headers=re_caller.headers)
    assert response.status_code == 201, response.text
    rule = response.json()
    assert (rule["category_code"], rule["active"]) == ("VAT", True)
    assert sample(url, "rules_active", rule_type="vat") == active + 1
    assert _evaluate(re_fleet, re_caller, "vat", "100", category="Luxury").json()["rate_percent"] == "25.00"
    item = f"{url}/rules/{rule['id']}"
    patched = httpx.patch(item, json={"actions": [{"action_type": "set_rate", "parameters": {"rate_percent": "20"}}]},
                          headers=re_caller.headers)  # fmt: skip
    assert patched.status_code == 200, patched.text
    assert httpx.get(item, headers=re_caller.headers).json()["actions"][0]["parameters"] == {"rate_percent": "20"}
    assert _evaluate(re_fleet, re_caller, "vat", "100", category="luxury").json()["rate_percent"] == "20.00"
    assert httpx.delete(item, headers=re_caller.headers).status_code == 204
    assert httpx.get(item, headers=re_caller.headers).status_code == 404
    assert sample(url, "rules_active", rule_type="vat") == active
    for capture in (created, updated, deleted):
        assert len(capture.collect(key=rule["id"])) == 1


def test_a_new_tenant_sees_the_seeded_defaults_once_even_when_it_asks_twice_at_once(
    re_fleet: RunningFleet, fresh_caller: Caller
) -> None:
    import concurrent.futures

    url = f"{_url(re_fleet)}/rules"
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: httpx.get(url, headers=fresh_caller.headers, timeout=30), range(4)))
    assert {a.status_code for a in answers} == {200}
    codes = sorted(r["code"] for r in answers[0].json())
    assert len(codes) == 10
    assert {"VAT-STANDARD", "PO-AUTO-APPROVE", "PO-MANAGER-APPROVAL", "AIT-CONSULTING"} <= set(codes)
    assert all(sorted(r["code"] for r in a.json()) == codes for a in answers)


def test_another_tenant_gets_404_and_cannot_change_list_or_read_evaluations(
    re_fleet: RunningFleet, re_caller: Caller, re_other_caller: Caller
) -> None:
    url = _url(re_fleet)
    rule = httpx.post(f"{url}/rules", json=_rule(), headers=re_caller.headers).json()
    evaluation = _evaluate(re_fleet, re_caller, "vat", "10", category="export").json()
    other = re_other_caller.headers
    item = f"{url}/rules/{rule['id']}"
    assert httpx.get(item, headers=other).status_code == 404
    assert httpx.patch(item, json={"priority": 1}, headers=other).status_code == 404
    assert httpx.delete(item, headers=other).status_code == 404
    assert httpx.get(f"{url}/evaluations/{evaluation['id']}", headers=other).status_code == 404
    assert rule["id"] not in {r["id"] for r in httpx.get(f"{url}/rules", headers=other).json()}
    assert httpx.get(f"{url}/evaluations", params={"entity_id": evaluation["entity_id"]}, headers=other).json() == []
    assert httpx.get(item, headers=re_caller.headers).json()["priority"] == 200  # re-read: unchanged


def test_duplicate_rule_code_is_409_but_another_tenant_may_reuse_it(
    re_fleet: RunningFleet, re_caller: Caller, re_other_caller: Caller
) -> None:
    url = _url(re_fleet)
    body = _rule()
    assert httpx.post(f"{url}/rules", json=body, headers=re_caller.headers).status_code == 201
    duplicate = httpx.post(f"{url}/rules", json=body, headers=re_caller.headers)
    assert duplicate.status_code == 409
    assert body["code"] in duplicate.json()["detail"]
    assert httpx.post(f"{url}/rules", json=body, headers=re_other_caller.headers).status_code == 201


def test_missing_token_is_401_on_every_id_route_and_a_spoofed_tenant_header_is_403(
    re_fleet: RunningFleet, re_caller: Caller
) -> None:
    url = _url(re_fleet)
    for path in ("/rules", f"/rules/{uuid.uuid4()}", f"/evaluations/{uuid.uuid4()}"):
        assert httpx.get(f"{url}{path}").status_code == 401, path
    assert httpx.post(f"{url}/evaluate", json={}).status_code == 401
    spoofed = httpx.get(f"{url}/rules", headers={**re_caller.headers, "X-Tenant-ID": str(uuid.uuid4())})
    assert spoofed.status_code == 403


@pytest.mark.parametrize(("body", "field"), [
    ({"entity_type": "invoice", "entity_id": "1", "rule_type": "vat", "attributes": {}}, "amount_bdt"),
    ({"entity_type": "invoice", "entity_id": "1", "rule_type": "vat", "amount_bdt": "1.001"}, "amount_bdt"),
    ({"entity_type": "invoice", "entity_id": "1", "rule_type": "vat", "amount_bdt": "NaN"}, "amount_bdt"),
    ({"entity_type": "invoice", "entity_id": "1", "rule_type": "lottery", "amount_bdt": "1"}, "rule_type"),
    ({"entity_type": "invoice", "entity_id": "1", "rule_type": "vat", "amount_bdt": "1",
      "attributes": {"category": ["nested"]}}, "attributes"),
    ({"entity_type": "invoice", "entity_id": "1", "rule_type": "vat", "amount_bdt": "1",
      "attributes": {"category": "a\x00b"}}, "attributes"),
    ({"entity_type": "invoice", "entity_id": "1", "rule_type": "vat", "amount_bdt": "1", "x": 1}, "x"),
])  # fmt: skip
def test_invalid_evaluation_is_400_naming_the_field_and_counts_nothing(
    re_fleet: RunningFleet, re_caller: Caller, body: dict[str, Any], field: str
) -> None:
    url = _url(re_fleet)
    before = sample(url, EVALUATIONS)
    response = httpx.post(f"{url}/evaluate", json=body, headers=re_caller.headers)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in response.text
    assert sample(url, EVALUATIONS) == before


@pytest.mark.parametrize(("rule", "field"), [
    ({"code": "X'; DROP TABLE rules;--"}, "code"),
    ({"conditions": [{"field": "amount_bdt", "operator": "gt", "value": "lots"}]}, "conditions[0].value"),
    ({"conditions": [{"field": "category", "operator": "in", "value": "export"}]}, "conditions[0].value"),
    ({"conditions": [{"field": "category", "operator": "like", "value": "x"}]}, "operator"),
    ({"actions": []}, "actions"),
    ({"effective_from": "2030-01-01", "effective_to": "2029-01-01"}, "effective_to"),
    ({"category_code": "NOPE"}, "category_code"),
])  # fmt: skip
def test_invalid_rule_is_400_naming_the_field_and_stores_nothing(
    re_fleet: RunningFleet, re_caller: Caller, rule: dict[str, Any], field: str
) -> None:
    url = _url(re_fleet)
    stored = len(httpx.get(f"{url}/rules", params={"limit": 500}, headers=re_caller.headers).json())
    response = httpx.post(f"{url}/rules", json=_rule(**rule), headers=re_caller.headers)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in response.text
    assert len(httpx.get(f"{url}/rules", params={"limit": 500}, headers=re_caller.headers).json()) == stored


def test_garbage_json_is_400_and_bengali_attributes_round_trip(re_fleet: RunningFleet, re_caller: Caller) -> None:
    url = _url(re_fleet)
    garbage = httpx.post(
        f"{url}/evaluate", content=b"\xff{not json", headers={**re_caller.headers, "content-type": "application/json"}
    )
    assert garbage.status_code == 400
    assert garbage.headers["content-type"].startswith("application/problem+json")
    response = _evaluate(re_fleet, re_caller, "vat", "100", category="শিক্ষা 📚", note="'; DROP TABLE rules;--")
    assert response.status_code == 200, response.text
    stored = httpx.get(f"{url}/evaluations/{response.json()['id']}", headers=re_caller.headers).json()
    assert stored["attributes"] == {"category": "শিক্ষা 📚", "note": "'; DROP TABLE rules;--"}
    assert stored["rate_percent"] == "15.00"


def test_a_rule_that_cannot_decide_fails_the_evaluation_with_one_failed_event(
    re_fleet: RunningFleet, fresh_caller: Caller, re_capture: Any
) -> None:
    url = _url(re_fleet)
    broken = _rule(
        rule_type="approval",
        code="APPROVAL-BROKEN",
        conditions=[{"field": "workflow_type", "operator": "eq", "value": "purchase-order"}],
    )
    assert httpx.post(f"{url}/rules", json={**broken, "priority": 900}, headers=fresh_caller.headers).status_code == 201
    failed_events = re_capture("rules.evaluation.failed")
    errors = sample(url, EVALUATIONS, rule_type="approval", outcome="error")
    response = _evaluate(re_fleet, fresh_caller, "approval", "10", workflow_type="purchase-order")
    assert response.status_code == 422
    assert "APPROVAL-BROKEN" in response.json()["detail"]
    evaluation_id = response.json()["evaluation_id"]
    assert httpx.get(f"{url}/evaluations/{evaluation_id}", headers=fresh_caller.headers).json()["outcome"] == "error"
    assert len(failed_events.collect(key=evaluation_id)) == 1
    assert sample(url, EVALUATIONS, rule_type="approval", outcome="error") == errors + 1


def test_an_approval_task_event_is_evaluated_once_and_its_replay_changes_nothing(
    re_fleet: RunningFleet, infra: Infrastructure, re_caller: Caller, re_capture: Any
) -> None:
    url = _url(re_fleet)
    task_id, process_id = str(uuid.uuid4()), str(uuid.uuid4())
    tasks, completed = re_capture("workflow.task.created"), re_capture("rules.evaluation.completed")
    evaluated = sample(url, EVALUATIONS, rule_type="approval", outcome="matched")
    publish(
        infra.kafka.bootstrap,
        "workflow.task.created",
        key=task_id,
        tenant_id=re_caller.tenant_id,
        data={
            "task_id": task_id,
            "id": task_id,
            "process_id": process_id,
            "task_type": "approval",
            "workflow_type": "purchase-order",
            "business_key": "PO-1",
            "amount_bdt": "500000.00",
        },
    )

    def evaluations() -> list[dict[str, Any]]:
        return httpx.get(f"{url}/evaluations", params={"entity_id": task_id}, headers=re_caller.headers).json()

    [evaluation] = wait_for("rules-engine to evaluate the approval task", evaluations)
    assert (evaluation["decision"], evaluation["entity_type"], evaluation["trigger"]) == (
        "auto-approve",
        "workflow-task",
        "event",
    )
    [decision] = completed.collect(key=evaluation["id"])
    assert event_of(decision)["data"]["context"]["process_id"] == process_id
    assert sample(url, EVALUATIONS, rule_type="approval", outcome="matched") == evaluated + 1

    [original] = tasks.collect(key=task_id)
    duplicates = sample(url, "events_consumed_total", topic="workflow.task.created", outcome="duplicate")
    replay(infra.kafka.bootstrap, original)
    wait_for(
        "rules-engine to skip the replayed event",
        lambda: (
            sample(url, "events_consumed_total", topic="workflow.task.created", outcome="duplicate") == duplicates + 1
        ),
    )
    assert len(evaluations()) == 1
    assert sample(url, EVALUATIONS, rule_type="approval", outcome="matched") == evaluated + 1


def test_a_task_that_is_not_an_approval_is_not_evaluated(
    re_fleet: RunningFleet, infra: Infrastructure, re_caller: Caller
) -> None:
    url = _url(re_fleet)
    task_id = str(uuid.uuid4())
    processed = sample(url, "events_consumed_total", topic="workflow.task.created", outcome="processed")
    publish(infra.kafka.bootstrap, "workflow.task.created", key=task_id, tenant_id=re_caller.tenant_id,
            data={"task_id": task_id, "process_id": str(uuid.uuid4()), "task_type": "review",
                  "workflow_type": "purchase-order", "amount_bdt": "10.00"})  # fmt: skip
    wait_for(
        "the event to be consumed",
        lambda: (
            sample(url, "events_consumed_total", topic="workflow.task.created", outcome="processed") == processed + 1
        ),
    )
    assert httpx.get(f"{url}/evaluations", params={"entity_id": task_id}, headers=re_caller.headers).json() == []
