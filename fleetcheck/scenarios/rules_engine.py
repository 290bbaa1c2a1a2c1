"""rules-engine: an approval rule created, refused as a duplicate, updated and deleted; a VAT evaluation, and one
refused for a missing amount; with workflow, the approval tasks of two expense claims evaluated (completed, then, once
the rule was updated to have no decision, failed). Bursts create rules that are not in effect.

An evaluation stages two events keyed by the evaluation, ``rules.evaluation.requested`` then
``rules.evaluation.completed`` (or ``.failed``), each recorded as an action with the request's correlation id
(contracts.events judges them together). ``POST /evaluate`` answers a failed evaluation with 422 yet publishes it, so a
scenario action cannot cover ``rules.evaluation.failed`` through it (a non-2xx answer counts as a refused write); the
failure is caused through workflow instead: rules-engine evaluates every ``workflow.task.created`` and keeps the
start's correlation id. The rule matches only an amount drawn for this run, so it decides nothing else, and is deleted
at the end. Without workflow among the target's endpoints, ``rules.evaluation.failed`` is not covered.

The first request of a tenant also seeds the Bangladesh default rules (``rules.rule.created`` each, with correlation
ids of their own), which no action claims.
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

SERVICE = "rules-engine"
WORKFLOW = "workflow"
RULE_CREATED = "rules.rule.created"
RULE_UPDATED = "rules.rule.updated"
RULE_DELETED = "rules.rule.deleted"
REQUESTED = "rules.evaluation.requested"
COMPLETED = "rules.evaluation.completed"
FAILED = "rules.evaluation.failed"
#: how long rules-engine may take to evaluate a new workflow approval task
EVALUATION_WAIT_S = 15.0


def _evaluated(ctx: ScenarioContext, label: str, sent: tuple[HttpExchange, Any, str], tenant_id: str,
               evaluation_id: str, outcome_topic: str) -> None:  # fmt: skip
    """Record one request's evaluation: requested, then completed or failed, both keyed by the evaluation."""
    ctx.record(label, sent, REQUESTED, evaluation_id, tenant_id)
    ctx.record(f"{label} -> its outcome", sent, outcome_topic, evaluation_id, tenant_id)


def _evaluation_of(ctx: ScenarioContext, token: str, task_id: str) -> str:
    """The id of rules-engine's evaluation of a workflow task, once stored (``""`` after :data:`EVALUATION_WAIT_S`)."""
    evaluation: list[str] = []

    def stored() -> bool:
        _answer, found, _correlation = ctx.send("GET", f"/evaluations?entity_id={task_id}", token=token)
        if isinstance(found, list) and found and isinstance(found[0], dict):
            evaluation.append(str(found[0].get("id", "")))
        return bool(evaluation)

    poll(stored, EVALUATION_WAIT_S, every_s=0.1)
    return evaluation[0] if evaluation else ""


def _claim_evaluated(ctx: ScenarioContext, token: str, tenant_id: str, amount: str, outcome_topic: str) -> None:
    """Start an expense claim of ``amount`` in workflow; its approval task's evaluation is this service's event."""
    claim = {"workflow_type": "expense-reimbursement", "business_key": f"EV-RE-{uuid.uuid4().hex[:10]}",
             "amount_bdt": amount}  # fmt: skip
    sent = ctx.send("POST", "/processes", claim, token=token, service=WORKFLOW)
    process = sent[1]
    tasks = (process.get("tasks") or [{}]) if isinstance(process, dict) else [{}]
    task_id = str(tasks[0].get("id", ""))
    evaluation_id = _evaluation_of(ctx, token, task_id) if task_id else ""
    _evaluated(ctx, "POST workflow /processes (approval task evaluated)", sent, tenant_id, evaluation_id,
               outcome_topic)  # fmt: skip


def scenario(ctx: ScenarioContext) -> None:
    token, tenant_id = tenant(ctx)
    with_workflow = WORKFLOW in ctx.endpoints
    amount = f"{uuid.uuid4().int % 10**9 + 10**8}.{uuid.uuid4().int % 100:02d}"
    rule = {"code": f"EV-{uuid.uuid4().hex[:10]}", "rule_type": "approval", "priority": 900,
            "conditions": [{"field": "workflow_type", "operator": "eq", "value": "expense-reimbursement"},
                           {"field": "amount_bdt", "operator": "eq", "value": amount}],
            "actions": [{"action_type": "decide", "parameters": {"decision": "auto-reject"}}]}  # fmt: skip
    created = ctx.act("POST /rules", "POST", "/rules", rule, topic=RULE_CREATED, tenant_id=tenant_id, token=token)
    rule_id = str(created.get("id", "")) if isinstance(created, dict) else ""
    ctx.act("POST /rules (duplicate code)", "POST", "/rules", rule, topic=None, tenant_id=tenant_id,
            aggregate_id=rule_id, token=token)  # fmt: skip
    vat = {"entity_type": "invoice", "entity_id": f"EV-INV-{uuid.uuid4().hex[:8]}", "rule_type": "vat",
           "amount_bdt": "1000.00", "attributes": {"category": "education"}}  # fmt: skip
    sent = ctx.send("POST", "/evaluate", vat, token=token)
    evaluation = sent[1]
    evaluation_id = str(evaluation.get("id", "")) if isinstance(evaluation, dict) else ""
    _evaluated(ctx, "POST /evaluate", sent, tenant_id, evaluation_id, COMPLETED)
    ctx.act("POST /evaluate (VAT without an amount)", "POST", "/evaluate", {k: v for k, v in vat.items()
            if k != "amount_bdt"}, topic=None, tenant_id=tenant_id, token=token)  # fmt: skip
    if with_workflow:
        _claim_evaluated(ctx, token, tenant_id, amount, COMPLETED)
    # a decide action removed: the rule still matches the claim but cannot decide it, so its evaluation fails
    broken = {"priority": 901, "actions": [{"action_type": "set_rate", "parameters": {"rate_percent": "1.00"}}]}
    ctx.act("PATCH /rules/{rule_id}", "PATCH", f"/rules/{rule_id}", broken, topic=RULE_UPDATED, tenant_id=tenant_id,
            aggregate_id=rule_id, token=token)  # fmt: skip
    if with_workflow:
        _claim_evaluated(ctx, token, tenant_id, amount, FAILED)
    ctx.act("DELETE /rules/{rule_id}", "DELETE", f"/rules/{rule_id}", topic=RULE_DELETED, tenant_id=tenant_id,
            aggregate_id=rule_id, token=token)  # fmt: skip


def _rule(client: httpx.Client, endpoint: Endpoint, credentials: Credentials, n: int) -> WriteRecord:
    # in effect only in 2001, so the burst's rules never decide an evaluation
    body = {"code": f"B-{uuid.uuid4().hex[:12]}", "rule_type": "vat", "priority": -1000,
            "effective_from": "2001-01-01", "effective_to": "2001-12-31",
            "actions": [{"action_type": "set_rate", "parameters": {"rate_percent": f"{n % 100}.00"}}]}  # fmt: skip
    return write(client, endpoint, (SERVICE, RULE_CREATED), "POST", "/rules", body, credentials.tenant_token)


WRITER = Writer(SERVICE, RULE_CREATED, _rule)
