"""The purchase-approval flow end to end: real auth, rules-engine and workflow processes on PostgreSQL and Tansu.

At or below 500,000 BDT rules-engine approves automatically (workflow.task.created -> rules.evaluation.completed
{decision: auto-approve} -> the task and the process complete); above it a manager task stays open for a person.
"""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from service_support import Caller, event_of, replay, sample, wait_for

if TYPE_CHECKING:
    from fleetcheck.fixtures.infra import Infrastructure
    from fleetcheck.fixtures.launcher import RunningFleet

pytestmark = pytest.mark.servers


def _url(fleet: RunningFleet, service: str = "workflow") -> str:
    return fleet.services[service].base_url


def _start(fleet: RunningFleet, caller: Caller, amount: str | None, workflow_type: str = "purchase-order",
           **extra: Any) -> dict[str, Any]:  # fmt: skip
    body = {"workflow_type": workflow_type, "business_key": f"PO-{uuid.uuid4().hex[:10]}", **extra}
    if amount is not None:
        body["amount_bdt"] = amount
    response = httpx.post(f"{_url(fleet)}/processes", json=body, headers=caller.headers, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()


def _process(fleet: RunningFleet, caller: Caller, process_id: str) -> dict[str, Any]:
    response = httpx.get(f"{_url(fleet)}/processes/{process_id}", headers=caller.headers, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def _in_state(fleet: RunningFleet, caller: Caller, process_id: str, state: str) -> dict[str, Any]:
    return wait_for(
        f"process {process_id} to reach {state}",
        lambda: found if (found := _process(fleet, caller, process_id))["status"] == state else None,
    )


def test_purchase_order_of_exactly_500000_is_auto_approved_through_rules_engine_events(
    wf_fleet: RunningFleet, wf_caller: Caller, wf_capture: Any
) -> None:
    url = _url(wf_fleet)
    created, completed = wf_capture("workflow.task.created"), wf_capture("workflow.process.completed")
    decisions = wf_capture("rules.evaluation.completed")
    starts = sample(url, "workflow_process_start_total", workflow_type="purchase-order")
    approved = sample(url, "workflow_process_completion_total", workflow_type="purchase-order", status="approved")
    tasks_done = sample(url, "workflow_task_completion_total", task_type="approval", outcome="approved")
    auto = sample(url, "workflow_transition_total", workflow_type="purchase-order", from_state="pending_rules",
                  to_state="completed")  # fmt: skip

    process = _start(wf_fleet, wf_caller, "500000.00", variables={"vendor": "রহিম ট্রেডার্স"})
    assert (process["status"], process["amount_bdt"]) == ("pending_rules", "500000.00")
    task_id = process["tasks"][0]["id"]
    done = _in_state(wf_fleet, wf_caller, process["id"], "completed")

    assert [(t["status"], t["outcome"]) for t in done["tasks"]] == [("completed", "approved")]
    assert [(t["from_state"], t["to_state"]) for t in done["transitions"]] == [
        ("new", "pending_rules"),
        ("pending_rules", "completed"),
    ]
    assert "PO-AUTO-APPROVE" in done["transitions"][-1]["reason"]
    assert done["variables"] == {"vendor": "রহিম ট্রেডার্স"}
    # the chain of events, each exactly once, keyed by its aggregate
    assert len(created.collect(key=task_id)) == 1
    decision = [event_of(m) for m in decisions.collect() if event_of(m)["data"]["entity_id"] == task_id]
    assert [(e["data"]["decision"], e["data"]["rule_code"]) for e in decision] == [("auto-approve", "PO-AUTO-APPROVE")]
    finished = completed.collect(key=process["id"])
    assert len(finished) == 1
    event = event_of(finished[0])
    assert (event["subject"], event["tenantid"], event["data"]["outcome"]) == (process["id"], wf_caller.tenant_id,
                                                                               "approved")  # fmt: skip
    assert finished[0].header("x-tenant-id") == wf_caller.tenant_id
    # metrics moved by exactly one
    assert sample(url, "workflow_process_start_total", workflow_type="purchase-order") == starts + 1
    assert sample(url, "workflow_process_completion_total", workflow_type="purchase-order",
                  status="approved") == approved + 1  # fmt: skip
    assert sample(url, "workflow_task_completion_total", task_type="approval", outcome="approved") == tasks_done + 1
    assert sample(url, "workflow_transition_total", workflow_type="purchase-order", from_state="pending_rules",
                  to_state="completed") == auto + 1  # fmt: skip


def test_purchase_order_above_500000_waits_for_a_manager_and_completing_it_by_hand_completes_the_process(
    wf_fleet: RunningFleet, wf_caller: Caller, wf_capture: Any
) -> None:
    url = _url(wf_fleet)
    process = _start(wf_fleet, wf_caller, "500000.01")
    waiting = _in_state(wf_fleet, wf_caller, process["id"], "awaiting_approval")
    task = waiting["tasks"][0]
    assert (task["status"], task["assignee_role"], task["outcome"]) == ("open", "manager", None)
    assert "PO-MANAGER-APPROVAL" in waiting["transitions"][-1]["reason"]
    time.sleep(3)  # nothing completes it on its own: a person must
    assert _process(wf_fleet, wf_caller, process["id"])["status"] == "awaiting_approval"
    open_tasks = httpx.get(f"{url}/tasks", params={"status": "open", "assignee_role": "manager"},
                           headers=wf_caller.headers).json()  # fmt: skip
    assert task["id"] in {t["id"] for t in open_tasks}

    completed, task_events = wf_capture("workflow.process.completed"), wf_capture("workflow.task.completed")
    approved = sample(url, "workflow_process_completion_total", workflow_type="purchase-order", status="approved")
    response = httpx.post(f"{url}/tasks/{task['id']}/complete", json={"outcome": "approved"},
                          headers=wf_caller.headers)  # fmt: skip
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["process_status"]) == ("completed", "completed")
    done = _process(wf_fleet, wf_caller, process["id"])
    assert done["status"] == "completed"
    assert [(t["from_state"], t["to_state"]) for t in done["transitions"]] == [
        ("new", "pending_rules"),
        ("pending_rules", "awaiting_approval"),
        ("awaiting_approval", "completed"),
    ]
    assert len(completed.collect(key=process["id"])) == 1
    [task_event] = task_events.collect(key=task["id"])
    assert event_of(task_event)["data"]["completed_by"] == wf_caller.user_id
    assert sample(url, "workflow_process_completion_total", workflow_type="purchase-order",
                  status="approved") == approved + 1  # fmt: skip
    again = httpx.post(f"{url}/tasks/{task['id']}/complete", json={"outcome": "rejected"}, headers=wf_caller.headers)
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")


def test_rejecting_the_manager_task_rejects_the_process(wf_fleet: RunningFleet, wf_caller: Caller) -> None:
    url = _url(wf_fleet)
    process = _start(wf_fleet, wf_caller, "750000")
    task = _in_state(wf_fleet, wf_caller, process["id"], "awaiting_approval")["tasks"][0]
    rejected = sample(url, "workflow_process_completion_total", workflow_type="purchase-order", status="rejected")
    response = httpx.post(f"{url}/tasks/{task['id']}/complete", json={"outcome": "rejected"}, headers=wf_caller.headers)
    assert response.status_code == 200
    assert _process(wf_fleet, wf_caller, process["id"])["status"] == "rejected"
    assert sample(url, "workflow_process_completion_total", workflow_type="purchase-order",
                  status="rejected") == rejected + 1  # fmt: skip


def test_replayed_evaluation_event_is_skipped_by_id_and_changes_nothing(
    wf_fleet: RunningFleet, infra: Infrastructure, wf_caller: Caller, wf_capture: Any
) -> None:
    url = _url(wf_fleet)
    decisions = wf_capture("rules.evaluation.completed")
    process = _start(wf_fleet, wf_caller, "120000.50")
    task_id = process["tasks"][0]["id"]
    before = _in_state(wf_fleet, wf_caller, process["id"], "completed")
    [original] = [m for m in decisions.collect(timeout=20) if event_of(m)["data"]["entity_id"] == task_id]
    duplicates = sample(url, "events_consumed_total", topic="rules.evaluation.completed", outcome="duplicate")
    transitions = sample(url, "workflow_transition_total")
    completions = sample(url, "workflow_process_completion_total")
    completed = wf_capture("workflow.process.completed")

    replay(infra.kafka.bootstrap, original)
    wait_for(
        "workflow to skip the replayed event",
        lambda: (
            sample(url, "events_consumed_total", topic="rules.evaluation.completed", outcome="duplicate")
            == duplicates + 1
        ),
    )
    assert _process(wf_fleet, wf_caller, process["id"]) == before
    assert sample(url, "workflow_transition_total") == transitions
    assert sample(url, "workflow_process_completion_total") == completions
    assert completed.collect(key=process["id"], timeout=3) == []
