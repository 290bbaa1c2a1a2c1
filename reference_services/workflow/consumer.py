"""workflow's consumer of rules-engine's evaluations: ``rules.evaluation.completed`` moves the process by the decision,
``rules.evaluation.failed`` fails it."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from reference_services.kernel.consumer import IdempotentConsumer

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from reference_services.kernel.db import Database
    from reference_services.kernel.metrics import ServiceMetrics

    from .service import WorkflowService

__all__ = ["CONSUMED", "EvaluationConsumer"]

CONSUMED = ("rules.evaluation.completed", "rules.evaluation.failed")


class EvaluationConsumer(IdempotentConsumer):
    """Deduplicated by event id (the kernel); metric effects apply only after the transaction committed (the kernel's
    ``_effects``, run by it after the commit)."""

    def __init__(self, database: Database, *, bootstrap: str, metrics: ServiceMetrics,
                 service: WorkflowService) -> None:  # fmt: skip
        super().__init__(database, bootstrap=bootstrap, group_id="workflow", topics=list(CONSUMED), metrics=metrics)
        self.service = service

    async def handle(self, session: AsyncSession, event: dict[str, Any]) -> None:
        tenant = uuid.UUID(str(event["tenantid"]))
        data = event.get("data") or {}
        correlation = event.get("correlationid")
        if event.get("type") == "rules.evaluation.failed":
            await self.service.apply_failure(session, tenant, data, self._effects, correlation)
        else:
            await self.service.apply_evaluation(session, tenant, data, self._effects, correlation)
