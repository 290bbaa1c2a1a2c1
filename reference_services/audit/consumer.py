"""The audit consumer: every fleet topic but audit's own, one audit record (and one audit.log.created) per event id."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.dialects.postgresql import insert

from reference_services.kernel.consumer import IdempotentConsumer
from reference_services.kernel.outbox import add_events, cloud_event

from .models import AuditLog
from .records import facts_of

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

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
    of its handler is in the transaction or after it, so a batch of events shares one transaction, and each tenant's
    events in it are written with one statement per table."""

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
        await self.handle_batch(session, [event])

    async def handle_batch(self, session: AsyncSession, events: Sequence[dict[str, Any]]) -> None:
        """The records of one tenant's events in one INSERT, their audit.log.created events in another."""
        # audit never audits itself (an explicit list or a pattern could still deliver one)
        facts = [f for f in map(facts_of, events) if not f.event_type.startswith("audit.")]
        if not facts:
            return
        table = AuditLog.__table__
        rows = await session.execute(
            insert(table)
            .on_conflict_do_nothing(index_elements=["tenant_id", "event_id"])
            .returning(table.c.event_id, table.c.id),
            [{"tenant_id": f.tenant_id, "event_id": f.event_id, "event_type": f.event_type, "source": f.source,
              "subject": f.subject, "severity": f.severity, "outcome": f.outcome, "payload": f.payload,
              "occurred_at": f.occurred_at} for f in facts],
        )  # fmt: skip
        recorded = dict(rows.tuples().all())
        facts = [f for f in facts if f.event_id in recorded]
        await add_events(session, [
            cloud_event(topic=OWN_TOPIC, key=str(recorded[f.event_id]), tenant_id=f.tenant_id, source="audit",
                        correlation_id=str(f.payload.get("correlationid") or "") or None,
                        data={"id": str(recorded[f.event_id]), "event_id": str(f.event_id),
                              "event_type": f.event_type, "severity": f.severity, "outcome": f.outcome})
            for f in facts
        ])  # fmt: skip
        for f in facts:
            self.after_commit(lambda f=f: self.audit.recorded(f))  # the counter moves once the record committed
