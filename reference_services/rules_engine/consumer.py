"""rules-engine's consumer of ``workflow.task.created``: an approval task is evaluated against the approval rules and
the decision published as ``rules.evaluation.completed`` (or ``rules.evaluation.failed``)."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from reference_services.kernel.consumer import IdempotentConsumer

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from reference_services.kernel.db import Database
    from reference_services.kernel.metrics import ServiceMetrics

    from .service import RulesService

__all__ = ["APPROVAL_TASK", "TaskCreatedConsumer"]

APPROVAL_TASK = "approval"


def _amount(raw: Any) -> Decimal | None:
    try:
        amount = None if raw is None else Decimal(str(raw))
    except InvalidOperation:
        return None
    return amount if amount is not None and amount.is_finite() else None


class TaskCreatedConsumer(IdempotentConsumer):
    """Deduplicated by event id (the kernel); metric effects apply only after the transaction committed (the kernel's
    ``_effects``, run by it after the commit)."""

    def __init__(self, database: Database, *, bootstrap: str, metrics: ServiceMetrics, service: RulesService) -> None:
        super().__init__(database, bootstrap=bootstrap, group_id="rules-engine", topics=["workflow.task.created"],
                         metrics=metrics)  # fmt: skip
        self.service = service

    async def handle(self, session: AsyncSession, event: dict[str, Any]) -> None:
        data = event.get("data") or {}
        if data.get("task_type") != APPROVAL_TASK:
            return  # only approval tasks have rules that apply
        tenant = uuid.UUID(str(event["tenantid"]))
        task_id, process_id = str(data["task_id"]), str(data["process_id"])
        await self.service.ensure_seeded(session, tenant, self._effects)
        await self.service.evaluate_in(
            session, tenant, self._effects, entity_type="workflow-task", entity_id=task_id, rule_type="approval",
            amount=_amount(data.get("amount_bdt")), attributes={"workflow_type": str(data.get("workflow_type"))},
            trigger="event", correlation=event.get("correlationid"),
            context={"task_id": task_id, "process_id": process_id, "business_key": data.get("business_key"),
                     "source_event_id": str(event["id"])},
        )  # fmt: skip
