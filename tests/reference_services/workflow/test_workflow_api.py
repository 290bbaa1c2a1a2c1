"""workflow's REST API: tenant isolation, assignment, duplicates, tokens, and bad input that stores nothing."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from service_support import Caller, event_of, sample, wait_for

if TYPE_CHECKING:
    from fleetcheck.fixtures.launcher import RunningFleet

pytestmark = pytest.mark.servers


def _url(fleet: RunningFleet, service: str = "workflow") -> str:
    return fleet.services[service].base_url


def _body(**extra: Any) -> dict[str, Any]:
    return {"workflow_type": "purchase-order", "business_key": f"PO-{uuid.uuid4().hex[:10]}",
            "amount_bdt": "900000.00", **extra}  # fmt: skip


def _count(fleet: RunningFleet, caller: Caller) -> int:
    return len(httpx.get(f"{_url(fleet)}/processes", params={"limit": 500}, headers=caller.headers).json())


def test_another_tenant_gets_404_for_processes_and_tasks_and_cannot_complete_or_assign(
    wf_fleet: RunningFleet, wf_caller: Caller, wf_other_caller: Caller
) -> None:
    url = _url(wf_fleet)
    process = httpx.post(f"{url}/processes", json=_body(), headers=wf_caller.headers).json()
    task_id = process["tasks"][0]["id"]
    other = wf_other_caller.headers
    assert httpx.get(f"{url}/processes/{process['id']}", headers=other).status_code == 404
    assert httpx.get(f"{url}/tasks/{task_id}", headers=other).status_code == 404
    assert httpx.post(f"{url}/tasks/{task_id}/complete", json={"outcome": "approved"}, headers=other).status_code == 404
    assigned = httpx.post(f"{url}/tasks/{task_id}/assign", json={"user_id": wf_other_caller.user_id}, headers=other)
    assert assigned.status_code == 404
    assert assigned.headers["content-type"].startswith("application/problem+json")
    assert process["id"] not in {p["id"] for p in httpx.get(f"{url}/processes", headers=other).json()}
    assert task_id not in {t["id"] for t in httpx.get(f"{url}/tasks", headers=other).json()}
    # re-read as the owner: the other tenant's attempts changed nothing
    mine = httpx.get(f"{url}/tasks/{task_id}", headers=wf_caller.headers).json()
    assert (mine["outcome"], mine["assignee_user_id"]) == (None, None)


def test_assigning_an_open_task_records_the_user_and_publishes_one_event(
    wf_fleet: RunningFleet, wf_caller: Caller, wf_capture: Any
) -> None:
    url = _url(wf_fleet)
    process = httpx.post(f"{url}/processes", json=_body(), headers=wf_caller.headers).json()
    task_id = process["tasks"][0]["id"]
    assigned = wf_capture("workflow.task.assigned")
    response = httpx.post(f"{url}/tasks/{task_id}/assign", json={"user_id": wf_caller.user_id},
                          headers=wf_caller.headers)  # fmt: skip
    assert response.status_code == 200, response.text
    assert httpx.get(f"{url}/tasks/{task_id}", headers=wf_caller.headers).json()["assignee_user_id"] == (
        wf_caller.user_id
    )
    [message] = assigned.collect(key=task_id)
    assert (event_of(message)["data"]["user_id"], event_of(message)["tenantid"]) == (
        wf_caller.user_id,
        wf_caller.tenant_id,
    )


def test_start_publishes_started_and_task_created_once_each(
    wf_fleet: RunningFleet, wf_caller: Caller, wf_capture: Any
) -> None:
    started, created = wf_capture("workflow.process.started"), wf_capture("workflow.task.created")
    transitions = wf_capture("workflow.transition.triggered")
    process = httpx.post(f"{_url(wf_fleet)}/processes", json=_body(workflow_type="invoice-approval"),
                         headers=wf_caller.headers).json()  # fmt: skip
    [start] = started.collect(key=process["id"])
    assert (event_of(start)["type"], event_of(start)["subject"]) == ("workflow.process.started", process["id"])
    [task] = created.collect(key=process["tasks"][0]["id"])
    assert event_of(task)["data"]["task_type"] == "approval"
    steps = [event_of(m)["data"] for m in transitions.collect(key=process["id"], until=2)]
    # no approval rule covers invoices: rules-engine answers "manual" and a person (an approver) must decide
    assert [(s["from_state"], s["to_state"]) for s in steps] == [
        ("new", "pending_rules"),
        ("pending_rules", "awaiting_approval"),
    ]
    task_body = httpx.get(f"{_url(wf_fleet)}/tasks/{process['tasks'][0]['id']}", headers=wf_caller.headers).json()
    assert (task_body["status"], task_body["assignee_role"]) == ("open", "approver")


def test_duplicate_business_key_is_409_but_another_tenant_may_reuse_it(
    wf_fleet: RunningFleet, wf_caller: Caller, wf_other_caller: Caller
) -> None:
    url = _url(wf_fleet)
    body = _body()
    starts = sample(url, "workflow_process_start_total", workflow_type="purchase-order")
    assert httpx.post(f"{url}/processes", json=body, headers=wf_caller.headers).status_code == 201
    duplicate = httpx.post(f"{url}/processes", json=body, headers=wf_caller.headers)
    assert duplicate.status_code == 409
    assert body["business_key"] in duplicate.json()["detail"]
    assert sample(url, "workflow_process_start_total", workflow_type="purchase-order") == starts + 1
    assert httpx.post(f"{url}/processes", json=body, headers=wf_other_caller.headers).status_code == 201


def test_missing_token_is_401_on_every_id_route_and_a_spoofed_tenant_header_is_403(
    wf_fleet: RunningFleet, wf_caller: Caller
) -> None:
    url = _url(wf_fleet)
    for path in ("/processes", f"/processes/{uuid.uuid4()}", "/tasks", f"/tasks/{uuid.uuid4()}"):
        response = httpx.get(f"{url}{path}")
        assert response.status_code == 401, path
        assert response.headers["content-type"].startswith("application/problem+json")
    spoofed = httpx.get(f"{url}/processes", headers={**wf_caller.headers, "X-Tenant-ID": str(uuid.uuid4())})
    assert spoofed.status_code == 403


@pytest.mark.parametrize(("body", "field"), [
    ({"workflow_type": "purchase-order", "business_key": "PO-x"}, "amount_bdt"),
    ({"workflow_type": "purchase-order", "business_key": "PO-x", "amount_bdt": "12.345"}, "amount_bdt"),
    ({"workflow_type": "purchase-order", "business_key": "PO-x", "amount_bdt": "-1"}, "amount_bdt"),
    ({"workflow_type": "purchase-order", "business_key": "PO-x", "amount_bdt": True}, "amount_bdt"),
    ({"workflow_type": "rocket-launch", "business_key": "PO-x", "amount_bdt": "1"}, "workflow_type"),
    ({"workflow_type": "purchase-order", "business_key": 42, "amount_bdt": "1"}, "business_key"),
    ({"workflow_type": "purchase-order", "business_key": "PO-\x00", "amount_bdt": "1"}, "business_key"),
    ({"workflow_type": "purchase-order", "business_key": "PO-y", "amount_bdt": "1", "variables": {"n": "a\x00"}},
     "variables"),
    ({"workflow_type": "purchase-order", "business_key": "PO-z", "amount_bdt": "1", "hack": "'; DROP TABLE x;--"},
     "hack"),
])  # fmt: skip
def test_invalid_process_is_400_problem_naming_the_field_and_stores_nothing(
    wf_fleet: RunningFleet, wf_caller: Caller, body: dict[str, Any], field: str
) -> None:
    stored = _count(wf_fleet, wf_caller)
    response = httpx.post(f"{_url(wf_fleet)}/processes", json=body, headers=wf_caller.headers)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in response.text
    assert _count(wf_fleet, wf_caller) == stored


def test_garbage_and_oversized_bodies_are_4xx_problems(wf_fleet: RunningFleet, wf_caller: Caller) -> None:
    url = _url(wf_fleet)
    stored = _count(wf_fleet, wf_caller)
    garbage = httpx.post(
        f"{url}/processes", content=b"{not json", headers={**wf_caller.headers, "content-type": "application/json"}
    )
    assert garbage.status_code == 400
    huge = httpx.post(f"{url}/processes", json=_body(variables={"blob": "x" * 1_100_000}), headers=wf_caller.headers)
    assert huge.status_code == 413
    assert huge.headers["content-type"].startswith("application/problem+json")
    assert _count(wf_fleet, wf_caller) == stored


def test_bengali_emoji_and_sql_text_round_trip_unchanged(wf_fleet: RunningFleet, wf_caller: Caller) -> None:
    key = f"ক্রয়-আদেশ-{uuid.uuid4().hex[:6]}-🚚"
    variables = {"বিক্রেতা": "রহিম ট্রেডার্স 🧾", "note": "'; DROP TABLE processes; --"}
    response = httpx.post(f"{_url(wf_fleet)}/processes", json=_body(business_key=key, variables=variables),
                          headers=wf_caller.headers)  # fmt: skip
    assert response.status_code == 201, response.text
    read = httpx.get(f"{_url(wf_fleet)}/processes/{response.json()['id']}", headers=wf_caller.headers).json()
    assert (read["business_key"], read["variables"]) == (key, variables)


def test_an_approval_rule_that_cannot_be_evaluated_fails_the_process(
    wf_fleet: RunningFleet, wf_caller: Caller, wf_capture: Any
) -> None:
    # a tenant rule for leave requests whose action gives a rate instead of a decision: rules-engine must fail it
    rule = httpx.post(
        f"{_url(wf_fleet, 'rules-engine')}/rules",
        headers=wf_caller.headers,
        json={
            "code": f"LEAVE-BROKEN-{uuid.uuid4().hex[:6]}",
            "rule_type": "approval",
            "priority": 500,
            "conditions": [{"field": "workflow_type", "operator": "eq", "value": "leave-request"}],
            "actions": [{"action_type": "set_rate", "parameters": {"rate_percent": "5.00"}}],
        },
    )
    assert rule.status_code == 201, rule.text
    url = _url(wf_fleet)
    failed_events = wf_capture("workflow.process.failed")
    failed = sample(url, "workflow_process_completion_total", workflow_type="leave-request", status="failed")
    process = httpx.post(
        f"{url}/processes",
        headers=wf_caller.headers,
        json={"workflow_type": "leave-request", "business_key": f"LV-{uuid.uuid4().hex[:8]}", "variables": {"days": 3}},
    )
    assert process.status_code == 201, process.text
    process_id = process.json()["id"]
    done = wait_for(
        "the leave request to fail",
        lambda: (
            body
            if (body := httpx.get(f"{url}/processes/{process_id}", headers=wf_caller.headers).json())["status"]
            == "failed"
            else None
        ),
    )
    assert done["tasks"][0]["status"] == "cancelled"
    assert len(failed_events.collect(key=process_id)) == 1
    assert sample(url, "workflow_process_completion_total", workflow_type="leave-request",
                  status="failed") == failed + 1  # fmt: skip
    httpx.delete(f"{_url(wf_fleet, 'rules-engine')}/rules/{rule.json()['id']}", headers=wf_caller.headers)
