"""notification: a message sent over the API, one refused (neither template nor body), and the messages notification
sends when it consumes workflow's events: a task assigned, a process completed. Bursts send messages.

For the consumed events the action goes to workflow (a purchase order above the auto-approval limit, so rules-engine,
where it runs, leaves the approval task open); the message's id, the aggregate of its event, is found afterwards over
``GET /notifications`` (by template and the process it names). Not covered: ``auth.user.locked`` -> account-locked
(the lockout answers 403, which the event checks take for a refused action that must cause no event), and
``notification.message.failed``, which only a failing delivery sink causes, never a request.
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

SERVICE = "notification"
SENT = "notification.message.sent"
_WORKFLOW = "workflow"
_WAIT_S = 15.0  # workflow's relay, then notification's consumer: normally well under a second
_ABOVE_AUTO_APPROVAL = "750000.00"  # BDT: a purchase order above 500,000 needs a manager, never auto-approval


def scenario(ctx: ScenarioContext) -> None:
    token, tenant_id = tenant(ctx)
    ctx.other(_WORKFLOW)
    email = f"events-{uuid.uuid4().hex[:8]}@example.com"
    ctx.act("POST /notifications", "POST", "/notifications",
            {"channel": "email", "recipient": email, "subject": "Event check", "body": "ইভেন্ট পরীক্ষা"},
            topic=SENT, tenant_id=tenant_id, token=token)  # fmt: skip
    ctx.act("POST /notifications (neither template nor body)", "POST", "/notifications",
            {"channel": "email", "recipient": email}, topic=None, tenant_id=tenant_id, token=token)  # fmt: skip
    key = f"PO-EV-{uuid.uuid4().hex[:10]}"
    _, process, _ = ctx.send("POST", "/processes", {"workflow_type": "purchase-order", "business_key": key,
                             "amount_bdt": _ABOVE_AUTO_APPROVAL}, token=token, service=_WORKFLOW)  # fmt: skip
    process_id, task_id = _process_and_task(process)
    assigned, _, assigned_correlation = ctx.send("POST", f"/tasks/{task_id}/assign", {"user_id": str(uuid.uuid4())},
                                                 token=token, service=_WORKFLOW)  # fmt: skip
    completed, _, completed_correlation = ctx.send("POST", f"/tasks/{task_id}/complete", {"outcome": "approved"},
                                                   token=token, service=_WORKFLOW)  # fmt: skip
    # the assignment's message names the process id, the completion's the business key (the built-in templates)
    sent: list[tuple[str, HttpExchange, str, str, str]] = [
        ("POST /tasks/{task_id}/assign (workflow)", assigned, assigned_correlation, "task-assigned", process_id),
        ("POST /tasks/{task_id}/complete (workflow)", completed, completed_correlation, "process-completed", key),
    ]
    wanted = {template: mark for _, answer, _, template, mark in sent if 200 <= answer.status < 300}
    messages = _messages(ctx, token, wanted)
    for label, answer, correlation, template, _ in sent:
        ctx.record(label, (answer, None, correlation), SENT, messages.get(template, ""), tenant_id)


def _process_and_task(process: Any) -> tuple[str, str]:
    """The started process's id and its approval task's id ("" where the start failed)."""
    if not isinstance(process, dict):
        return "", ""
    tasks = process.get("tasks")
    task = tasks[0] if isinstance(tasks, list) and tasks and isinstance(tasks[0], dict) else {}
    return str(process.get("id", "")), str(task.get("id", ""))


def _messages(ctx: ScenarioContext, token: str, wanted: dict[str, str]) -> dict[str, str]:
    """Message id by template, for each wanted template whose message body names its mark, within the wait."""
    found: dict[str, str] = {}

    def all_found() -> bool:
        _, rows, _ = ctx.send("GET", "/notifications?limit=100", token=token)
        for row in rows if isinstance(rows, list) else []:
            template = row.get("template") if isinstance(row, dict) else None
            if template in wanted and wanted[template] in str(row.get("body") or ""):
                found[template] = str(row.get("id", ""))
        return len(found) == len(wanted)

    poll(all_found, _WAIT_S, every_s=0.25)
    return found


def _message(client: httpx.Client, endpoint: Endpoint, credentials: Credentials, n: int) -> WriteRecord:
    body = {"channel": "in_app", "recipient": f"burst-user-{n}", "body": f"Burst message {n}"}
    return write(client, endpoint, (SERVICE, SENT), "POST", "/notifications", body, credentials.tenant_token)


WRITER = Writer(SERVICE, SENT, _message)
