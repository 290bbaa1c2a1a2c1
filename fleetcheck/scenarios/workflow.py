"""workflow: a purchase order started, refused as a duplicate, its approval task assigned, completed and refused when
completed again; with rules-engine, also an expense claim whose approval rules cannot be evaluated (the process
fails). Bursts start leave requests.

One request causes several workflow events by design, each recorded as an action with the request's correlation id
(contracts.events judges them together): a start stages ``workflow.transition.triggered`` (new -> pending_rules),
``workflow.process.started`` and ``workflow.task.created`` (keyed by the task); a completion stages
``workflow.task.completed``, a transition and ``workflow.process.completed``.

rules-engine evaluates every ``workflow.task.created`` and workflow moves the process on its decision, keeping the
start's correlation id; so with rules-engine running, a start's correlation also names that later transition (and,
for a failed evaluation, ``workflow.process.failed``). The scenario waits until the process has moved before it
records those events and goes on. Without rules-engine among the target's endpoints nothing moves the process and
``workflow.process.failed`` is not covered: only a failed evaluation fails a process.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from ._context import ScenarioContext, Writer, poll, tenant, write

if TYPE_CHECKING:
    import httpx

    from fleetcheck.contracts.events import WriteRecord
    from fleetcheck.contracts.observations import HttpExchange
    from fleetcheck.targets import Credentials, Endpoint

SERVICE = "workflow"
RULES = "rules-engine"
STARTED = "workflow.process.started"
COMPLETED = "workflow.process.completed"
FAILED = "workflow.process.failed"
TASK_CREATED = "workflow.task.created"
TASK_ASSIGNED = "workflow.task.assigned"
TASK_COMPLETED = "workflow.task.completed"
TRANSITION = "workflow.transition.triggered"
#: how long rules-engine may take to evaluate a new approval task and workflow to act on its decision
DECISION_WAIT_S = 15.0


class _Request:
    """One request sent, recorded as one action per event it must cause (all with its correlation id)."""

    def __init__(self, ctx: ScenarioContext, label: str, sent: tuple[HttpExchange, Any, str], tenant_id: str) -> None:
        self.ctx, self.label, self.sent, self.tenant_id = ctx, label, sent, tenant_id
        self.data = sent[1]

    def causes(self, topic: str, aggregate_id: str, why: str = "") -> None:
        self.ctx.record(f"{self.label} ({why})" if why else self.label, self.sent, topic, aggregate_id, self.tenant_id)


def _ids(process: Any) -> tuple[str, str]:
    """The process id and its approval task's id from a start's answer (``""`` when absent)."""
    if not isinstance(process, dict):
        return "", ""
    tasks = process.get("tasks") or [{}]
    return str(process.get("id", "")), str(tasks[0].get("id", ""))


def _reaches(ctx: ScenarioContext, token: str, process_id: str, status: str) -> bool:
    """Whether the process reaches ``status`` within :data:`DECISION_WAIT_S` (rules-engine's decision applied)."""

    def moved() -> bool:
        _answer, process, _correlation = ctx.send("GET", f"/processes/{process_id}", token=token)
        return isinstance(process, dict) and process.get("status") == status

    return poll(moved, DECISION_WAIT_S, every_s=0.1)


def _start(ctx: ScenarioContext, token: str, tenant_id: str, body: dict[str, Any]) -> tuple[_Request, str, str]:
    """Start a process: its transition to pending_rules, the started event and its approval task's event."""
    request = _Request(ctx, "POST /processes", ctx.send("POST", "/processes", body, token=token), tenant_id)
    process_id, task_id = _ids(request.data)
    request.causes(TRANSITION, process_id)
    request.causes(STARTED, process_id, "started")
    request.causes(TASK_CREATED, task_id, "its approval task")
    return request, process_id, task_id


def scenario(ctx: ScenarioContext) -> None:
    token, tenant_id = tenant(ctx)
    with_rules = RULES in ctx.endpoints
    key = f"EV-PO-{uuid.uuid4().hex[:10]}"
    # above 500,000 BDT: rules-engine asks for a manager, so the task stays for a person to complete
    order = {"workflow_type": "purchase-order", "business_key": key, "amount_bdt": "750000.00",
             "variables": {"vendor": "রহিম ট্রেডার্স"}}  # fmt: skip
    started, process_id, task_id = _start(ctx, token, tenant_id, order)
    if with_rules and _reaches(ctx, token, process_id, "awaiting_approval"):
        started.causes(TRANSITION, process_id, "rules-engine asks for a manager: pending_rules -> awaiting_approval")
    ctx.act("POST /processes (duplicate business_key)", "POST", "/processes", order, topic=None,
            tenant_id=tenant_id, aggregate_id=process_id, token=token)  # fmt: skip
    ctx.act("POST /tasks/{task_id}/assign", "POST", f"/tasks/{task_id}/assign", {"user_id": str(uuid.uuid4())},
            topic=TASK_ASSIGNED, tenant_id=tenant_id, aggregate_id=task_id, token=token)  # fmt: skip
    approve = {"outcome": "approved", "comment": "ঠিক আছে"}
    completed = _Request(ctx, "POST /tasks/{task_id}/complete",
                         ctx.send("POST", f"/tasks/{task_id}/complete", approve, token=token), tenant_id)  # fmt: skip
    completed.causes(TASK_COMPLETED, task_id)
    completed.causes(TRANSITION, process_id, "the process moves to completed")
    completed.causes(COMPLETED, process_id, "the process completes")
    ctx.act("POST /tasks/{task_id}/complete (already completed)", "POST", f"/tasks/{task_id}/complete", approve,
            topic=None, tenant_id=tenant_id, aggregate_id=task_id, token=token)  # fmt: skip
    if with_rules:
        _failed_evaluation(ctx, token, tenant_id)


def _failed_evaluation(ctx: ScenarioContext, token: str, tenant_id: str) -> None:
    """An expense claim of an amount only a broken approval rule (no decide action) matches: rules-engine's
    evaluation fails, so workflow fails the process. The rule is removed again whatever happens."""
    amount = f"{uuid.uuid4().int % 10**9 + 10**8}.{uuid.uuid4().int % 100:02d}"
    rule = {"code": f"EV-BROKEN-{uuid.uuid4().hex[:10]}", "rule_type": "approval", "priority": 900,
            "conditions": [{"field": "workflow_type", "operator": "eq", "value": "expense-reimbursement"},
                           {"field": "amount_bdt", "operator": "eq", "value": amount}],
            "actions": [{"action_type": "set_rate", "parameters": {"rate_percent": "1.00"}}]}  # fmt: skip
    _answer, created, _correlation = ctx.send("POST", "/rules", rule, token=token, service=RULES)
    rule_id = str(created.get("id", "")) if isinstance(created, dict) else ""
    try:
        claim = {"workflow_type": "expense-reimbursement", "business_key": f"EV-EX-{uuid.uuid4().hex[:10]}",
                 "amount_bdt": amount}  # fmt: skip
        started, process_id, _task_id = _start(ctx, token, tenant_id, claim)
        if _reaches(ctx, token, process_id, "failed"):
            started.causes(TRANSITION, process_id, "rules-engine could not evaluate: pending_rules -> failed")
            started.causes(FAILED, process_id, "the process fails")
    finally:
        if rule_id:
            ctx.send("DELETE", f"/rules/{rule_id}", token=token, service=RULES)


def _leave_request(client: httpx.Client, endpoint: Endpoint, credentials: Credentials, n: int) -> WriteRecord:
    body = {"workflow_type": "leave-request", "business_key": f"B-LR-{uuid.uuid4().hex[:12]}",
            "variables": {"days": n % 5 + 1}}  # fmt: skip
    return write(client, endpoint, (SERVICE, STARTED), "POST", "/processes", body, credentials.tenant_token)


WRITER = Writer(SERVICE, STARTED, _leave_request)
