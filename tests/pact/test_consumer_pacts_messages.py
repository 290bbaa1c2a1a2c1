"""Message pacts (V4 asynchronous) of the fleet's event consumers: each pact's example event is handed to the
consumer's own code (notification's ``from_event`` and rendering, workflow's and rules-engine's consumers with their
service's decision logic, audit's ``facts_of``), which must read from it what it reads from Kafka.

Topic, key and ``x-tenant-id`` are the metadata, the CloudEvents envelope the body, as in test_consumer_pacts.py.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest
from _pacts import (
    CUSTOMER,
    EVALUATION,
    EVENT,
    MOBILE_RE,
    PROCESS,
    TASK,
    TENANT,
    TIN_RE,
    USER,
    consumed,
    money,
    uuid_,
    written,
)
from pact import match

from fleetcheck.contracts.fleet import load_fleet
from reference_services.audit.records import facts_of
from reference_services.notification.messages import BUILT_IN_TEMPLATES, from_event, render
from reference_services.rules_engine.consumer import TaskCreatedConsumer
from reference_services.workflow.consumer import EvaluationConsumer
from reference_services.workflow.service import WorkflowService

if TYPE_CHECKING:
    from pact import Pact

from _pacts import message_pact

PROCESS_COMPLETED = {
    "id": uuid_(PROCESS),
    "tenant_id": uuid_(TENANT),
    "workflow_type": match.like("purchase-order"),
    "business_key": match.like("PO-2026-001"),
    "status": match.like("completed"),
    "outcome": match.like("approved"),
}
TASK_ASSIGNED = {
    "task_id": uuid_(TASK),
    "tenant_id": uuid_(TENANT),
    "process_id": uuid_(PROCESS),
    "task_type": match.like("approval"),
    "assignee_user_id": uuid_(USER),
}
TASK_CREATED = {
    "task_id": uuid_(TASK),
    "tenant_id": uuid_(TENANT),
    "process_id": uuid_(PROCESS),
    "task_type": "approval",  # rules-engine evaluates approval tasks only
    "workflow_type": match.like("purchase-order"),
    "business_key": match.like("PO-2026-001"),
    "amount_bdt": money("750000.00"),
}
EVALUATION_COMPLETED = {
    "evaluation_id": uuid_(EVALUATION),
    "tenant_id": uuid_(TENANT),
    "rule_type": "approval",  # workflow moves processes on approval evaluations only ...
    "trigger": "event",  # ... that rules-engine made for a workflow.task.created of workflow's own
    "context": {"task_id": uuid_(TASK), "process_id": uuid_(PROCESS)},
    "amount_bdt": money("1000.00"),  # must equal the process's amount, or the evaluation is stale
    "decision": match.like("auto-approve"),
    "rule_code": match.like("PO-AUTO-APPROVE"),
}
#: rules-engine could not decide an approval task's evaluation (no rule decided it): workflow fails the process
EVALUATION_FAILED = {
    "evaluation_id": uuid_(EVALUATION),
    "tenant_id": uuid_(TENANT),
    "rule_type": "approval",
    "trigger": "event",
    "context": {"task_id": uuid_(TASK), "process_id": uuid_(PROCESS)},
    "amount_bdt": money("1000.00"),
    "error": match.like("no approval rule decided"),
}
SUBJECT = "6b7c8d9e-0f1a-4b2c-8d3e-4f5a6b7c8d9e"  # the aggregate of an event only audit consumes


def _notification(topic: str, what: str, key: str, data: dict[str, Any]) -> tuple[Pact, Any]:
    pact = message_pact("notification", "workflow", topic, what, key, data)
    (request,) = consumed(pact, lambda event, _metadata: from_event(event))
    template = BUILT_IN_TEMPLATES[str(request.template)]
    return pact, (request, render(template.body, request.data))


def test_notification_messages_for_workflow_events(tmp_path: Path) -> None:
    completed, (request, text) = _notification("workflow.process.completed", "a purchase order approved", PROCESS,
                                               PROCESS_COMPLETED)  # fmt: skip
    # no initiator's e-mail in the event: the message goes in-app to the process (the event's subject)
    assert (request.template, request.channel, request.recipient) == ("process-completed", "in_app", PROCESS)
    assert text == "Your purchase-order process PO-2026-001 finished: completed."
    assigned, (request, text) = _notification("workflow.task.assigned", "an approval task assigned to a user", TASK,
                                              TASK_ASSIGNED)  # fmt: skip
    assert (request.template, request.channel, request.recipient) == ("task-assigned", "in_app", USER)
    assert text == f"Task approval of process {PROCESS} is assigned to you."
    written([completed, assigned], tmp_path)


class _OneProcess(WorkflowService):
    """workflow's own decision logic on one open approval task; the database reads and writes are recorded."""

    def __init__(self, task: str, amount: str) -> None:
        self.task_id = task
        self.process = SimpleNamespace(id=uuid.UUID(PROCESS), status="pending_rules", amount_bdt=Decimal(amount))
        self.task = SimpleNamespace(id=uuid.UUID(task), assignee_role=None, updated_at=None)
        self.done: list[tuple[str, ...]] = []

    async def _locked(self, session: Any, tenant: uuid.UUID, task_id: uuid.UUID) -> Any:
        assert str(task_id) == self.task_id
        return self.process, self.task

    async def _complete(self, session: Any, process: Any, task: Any, outcome: str, reason: str, actor: str,
                        effects: Any, correlation: str | None) -> None:  # fmt: skip
        self.done.append(("complete", outcome, reason, actor))

    async def _move(self, session: Any, process: Any, to_state: str, reason: str, effects: Any,
                    correlation: str | None) -> None:  # fmt: skip
        self.done.append(("move", to_state, reason))


def _handled(consumer_class: type[Any], service: Any, event: dict[str, Any]) -> None:
    """The consumer's own ``handle`` on ``event`` (no Kafka, no database: its service records what it was asked)."""
    consumer = consumer_class.__new__(consumer_class)
    consumer.service, consumer._effects = service, []
    asyncio.run(consumer.handle(None, event))


def test_workflow_completes_or_fails_a_process_as_rules_engine_decided(tmp_path: Path) -> None:
    completed = message_pact("workflow", "rules-engine", "rules.evaluation.completed",
                             "an approval task's evaluation decided", EVALUATION, EVALUATION_COMPLETED)  # fmt: skip
    service = _OneProcess(TASK, "1000.00")
    consumed(completed, lambda event, _metadata: _handled(EvaluationConsumer, service, event))
    assert service.done == [("complete", "approved", "auto-approve by rule PO-AUTO-APPROVE", "rules-engine")]
    failed = message_pact("workflow", "rules-engine", "rules.evaluation.failed",
                          "an approval task's evaluation no rule decided", EVALUATION, EVALUATION_FAILED)  # fmt: skip
    service = _OneProcess(TASK, "1000.00")
    consumed(failed, lambda event, _metadata: _handled(EvaluationConsumer, service, event))
    assert service.done == [("move", "failed", "approval rules could not be evaluated: no approval rule decided")]
    assert service.task.status == "cancelled"
    written([completed, failed], tmp_path)


def test_rules_engine_evaluates_an_approval_task_workflow_created(tmp_path: Path) -> None:
    pact = message_pact("rules-engine", "workflow", "workflow.task.created", "an approval task created", TASK,
                        TASK_CREATED)  # fmt: skip
    asked: list[dict[str, Any]] = []

    async def ensure_seeded(*_args: Any) -> None:
        return None

    async def evaluate_in(*_args: Any, **kwargs: Any) -> dict[str, Any]:
        asked.append(kwargs)
        return {}

    service = SimpleNamespace(ensure_seeded=ensure_seeded, evaluate_in=evaluate_in)
    consumed(pact, lambda event, _metadata: _handled(TaskCreatedConsumer, service, event))
    ((kwargs),) = asked
    assert (kwargs["entity_id"], kwargs["rule_type"], kwargs["amount"]) == (TASK, "approval", Decimal("750000.00"))
    assert kwargs["attributes"] == {"workflow_type": "purchase-order"}
    assert kwargs["context"] == {"task_id": TASK, "process_id": PROCESS, "business_key": "PO-2026-001",
                                 "source_event_id": EVENT}  # fmt: skip
    written([pact], tmp_path)


#: audit reads only the envelope (facts_of) and stores the payload as it came: each pact's data holds the event's
#: aggregate and tenant, not what other consumers rely on
AUDITED = {
    "workflow": [("workflow.process.completed", "a purchase order approved", PROCESS,
                  {"id": uuid_(PROCESS), "tenant_id": uuid_(TENANT)}),
                 ("workflow.task.assigned", "an approval task assigned to a user", TASK,
                  {"task_id": uuid_(TASK), "tenant_id": uuid_(TENANT)})],
    "rules-engine": [("rules.evaluation.completed", "an evaluation completed", EVALUATION,
                      {"evaluation_id": uuid_(EVALUATION), "tenant_id": uuid_(TENANT)})],
    "auth": [("auth.user.locked", "a user locked after failed logins", USER,
              {"user_id": uuid_(USER), "tenant_id": uuid_(TENANT)})],
    "master-data": [("master-data.customer.created", "a customer created", CUSTOMER,
                     {"id": uuid_(CUSTOMER), "tenant_id": uuid_(TENANT), "code": match.like("C-001"),
                      "name": match.like("Padma Traders"), "tin": match.regex("123456789012", regex=TIN_RE),
                      "phone": match.regex("+8801712345678", regex=MOBILE_RE)})],
    # the other producers' events are caused by their event scenarios (the events area's, in the fleet file)
    "organization": [("organization.tenant.created", "a tenant created", SUBJECT,
                      {"id": uuid_(SUBJECT), "code": match.like("padma"), "name": match.like("Padma Group"),
                       "status": match.like("active")})],
    "file-storage": [("file-storage.file.uploaded", "a file uploaded", SUBJECT,
                      {"id": uuid_(SUBJECT), "tenant_id": uuid_(TENANT), "name": match.like("invoice.html"),
                       "sha256": match.regex("0" * 64, regex=r"^[0-9a-f]{64}$")})],
    "document-generator": [("document-generator.document.generated", "a document generated", SUBJECT,
                            {"id": uuid_(SUBJECT), "tenant_id": uuid_(TENANT), "file_id": uuid_(TASK),
                             "format": match.like("html"), "status": "generated"})],
    "scheduler": [("scheduler.job.executed", "a job run", SUBJECT,
                   {"job_id": uuid_(SUBJECT), "tenant_id": uuid_(TENANT), "status": match.like("succeeded")})],
    "configuration": [("configuration.setting.changed", "a setting created", SUBJECT,
                       {"id": uuid_(SUBJECT), "scope": match.like("tax"), "key": match.like("vat-rate"),
                        "action": match.like("created")})],
    "import-export": [("import-export.job.completed", "an export completed", SUBJECT,
                       {"id": uuid_(SUBJECT), "tenant_id": uuid_(TENANT), "direction": match.like("export"),
                        "status": "completed"})],
    "notification": [("notification.message.sent", "a message sent", SUBJECT,
                      {"id": uuid_(SUBJECT), "tenant_id": uuid_(TENANT), "channel": match.like("email"),
                       "status": "sent"})],
    "api-gateway": [("gateway.query.received", "a query received", SUBJECT,
                     {"request_id": uuid_(SUBJECT), "operation_type": "query"})],
}  # fmt: skip
#: audit's classification of an event by its action (severity, outcome), SPEC.md's audit levels: a failure is an error,
#: a locked account a warning and a failure, a deletion or a suspension a warning; anything else info and success
CLASSIFIED = {"failed": ("error", "failure"), "locked": ("warning", "failure"), "deleted": ("warning", "success"),
              "suspended": ("warning", "success")}  # fmt: skip
_FLEET = load_fleet()
_SCHEMAS = Path(__file__).resolve().parents[2] / "contracts" / "schemas" / "events"


def _scenario_messages(provider: str) -> list[tuple[str, str, str, dict[str, Any]]]:
    """The provider's other topics audit consumes, each one its producer's event scenario declares (the provider's
    side causes them by running it). Their data holds what audit keeps of it: the aggregate id and the tenant, under
    the names the topic's payload schema requires."""
    spec = _FLEET.service(provider)
    built = {topic for topic, *_rest in AUDITED.get(provider, [])}
    steps = (*spec.scenario.steps, *spec.scenario.cleanup) if spec.scenario else ()
    declared = {e.topic for step in steps for e in step.events or ()}
    found = []
    for topic in sorted(t.name for t in _FLEET.topics if t.producer == provider and "audit" in t.consumers):
        if topic in built or topic not in declared:
            continue
        required = json.loads((_SCHEMAS / f"{topic}.json").read_text(encoding="utf-8"))["required"]
        aggregate = next(f for f in required if f == "id" or (f.endswith("_id") and f != "tenant_id"))
        data = {aggregate: uuid_(SUBJECT)} | ({"tenant_id": uuid_(TENANT)} if "tenant_id" in required else {})
        entity, action = topic.split(".")[-2:]
        found.append((topic, f"{'an' if entity[0] in 'aeiou' else 'a'} {entity} {action}", SUBJECT, data))
    return found


@pytest.mark.parametrize("provider", sorted(AUDITED))
def test_audit_records_each_consumed_event(provider: str, tmp_path: Path) -> None:
    pacts = []
    for topic, what, key, data in AUDITED[provider] + _scenario_messages(provider):
        pact = message_pact("audit", provider, topic, what, key, data)
        (facts,) = consumed(pact, lambda event, _metadata: facts_of(event))  # audit's own mapping
        assert (facts.event_type, facts.subject, str(facts.tenant_id)) == (topic, key, TENANT)
        assert (facts.severity, facts.outcome) == CLASSIFIED.get(topic.rsplit(".", 1)[-1], ("info", "success"))
        assert facts.occurred_at.isoformat() == "2026-12-02T10:00:00+06:00"
        pacts.append(pact)
    written(pacts, tmp_path)
