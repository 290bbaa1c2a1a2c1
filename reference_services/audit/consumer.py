"""The audit consumer: every fleet topic but audit's own, one audit record (and one audit.log.created) per event id."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.dialects.postgresql import insert

from reference_services.kernel import add_event
from reference_services.kernel.consumer import IdempotentConsumer

from .models import AuditLog
from .records import facts_of

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sqlalchemy.ext.asyncio import AsyncSession

    from reference_services.kernel import Database, ServiceMetrics

    from .metrics import AuditMetrics

__all__ = ["OWN_TOPIC", "SUBSCRIPTION_PATTERN", "AuditConsumer", "subscription"]

OWN_TOPIC = "audit.log.created"
TOPICS_ENV = "FLEET_AUDIT_TOPICS"
# librdkafka regexes are POSIX (no look-ahead), so "every topic not under audit." is spelled as a complement.
SUBSCRIPTION_PATTERN = "^([^a]|a[^u]|au[^d]|aud[^i]|audi[^t]|audit[^.]).*"


def subscription(environ: Mapping[str, str]) -> list[str]:
    """The explicit topic list of FLEET_AUDIT_TOPICS (comma-separated, audit.* dropped) or the regex subscription."""
    raw = environ.get(TOPICS_ENV, "")
    topics = [t.strip() for t in raw.split(",") if t.strip() and not t.strip().startswith("audit.")]
    return topics or [SUBSCRIPTION_PATTERN]


class AuditConsumer(IdempotentConsumer):
    """Writes one ``audit_logs`` row per event id (the kernel dedupes by id; the unique key backs it up). Every effect
    of its handler is in the transaction or after it, so a batch of events shares one transaction."""

    one_transaction_per_batch = True

    def __init__(
        self, database: Database, *, bootstrap: str, topics: list[str], metrics: ServiceMetrics, audit: AuditMetrics
    ) -> None:
        # A regex is not a topic: its label sets are created as topics are consumed, not up front.
        explicit = [t for t in topics if not t.startswith("^")]
        super().__init__(database, bootstrap=bootstrap, group_id="audit", topics=explicit, metrics=metrics)
        self.topics = list(topics)
        self.audit = audit

    async def handle(self, session: AsyncSession, event: dict[str, Any]) -> None:
        facts = facts_of(event)
        if facts.event_type.startswith("audit."):
            return  # audit never audits itself (an explicit list or a pattern could still deliver one)
        row_id = await session.scalar(
            insert(AuditLog)
            .values(tenant_id=facts.tenant_id, event_id=facts.event_id, event_type=facts.event_type,
                    source=facts.source, subject=facts.subject, severity=facts.severity, outcome=facts.outcome,
                    payload=facts.payload, occurred_at=facts.occurred_at)
            .on_conflict_do_nothing(index_elements=["tenant_id", "event_id"])
            .returning(AuditLog.id)
        )  # fmt: skip
        if row_id is None:
            return
        add_event(session, topic=OWN_TOPIC, key=row_id, tenant_id=facts.tenant_id, source="audit",
                  correlation_id=str(event.get("correlationid") or "") or None,
                  data={"id": str(row_id), "event_id": str(facts.event_id), "event_type": facts.event_type,
                        "severity": facts.severity, "outcome": facts.outcome})  # fmt: skip
        self.after_commit(lambda: self.audit.recorded(facts))  # the counter moves once the record committed
