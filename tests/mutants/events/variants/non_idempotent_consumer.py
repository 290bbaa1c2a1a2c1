"""Mutant: audit's consumer neither dedupes by event id nor has a unique key to fall back on: a redelivered event
becomes a second audit record -> EVENTS-CONSUMER-IDEMPOTENT."""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert

from reference_services.audit.consumer import AuditConsumer
from reference_services.audit.models import AuditLog
from reference_services.audit.records import facts_of
from reference_services.kernel.consumer import IdempotentConsumer


async def _handle(self: AuditConsumer, session: Any, events: Any) -> None:
    for event in events:
        await _handle_one(self, session, event)


async def _handle_one(self: AuditConsumer, session: Any, event: dict[str, Any]) -> None:
    facts = facts_of(event)
    if facts.event_type.startswith("audit."):
        return
    await session.execute(
        insert(AuditLog).values(tenant_id=facts.tenant_id, event_id=facts.event_id, event_type=facts.event_type,
                                source=facts.source, subject=facts.subject, severity=facts.severity,
                                outcome=facts.outcome, payload=facts.payload, occurred_at=facts.occurred_at)
    )  # fmt: skip
    self.after_commit(lambda: self.audit.recorded(facts))


async def _apply(self: IdempotentConsumer, session: Any, event: dict[str, Any], event_id: Any, tenant: Any) -> bool:
    # no processed_events row: only the tenant context the kernel's dedupe statement would have set
    await session.execute(text("SELECT set_config('app.tenant_id', :tenant, true)"), {"tenant": str(tenant)})
    await self.handle(session, event)
    return True


async def _dedupe(self: IdempotentConsumer, session: Any, decoded: Any) -> set[Any]:
    return {event_id for _event, event_id, _tenant in decoded}  # every event of a batch is new: no rows either


def _drop_unique_key() -> None:
    import psycopg

    with psycopg.connect(os.environ["FLEET_DATABASE_URL"], autocommit=True) as conn:
        conn.execute("ALTER TABLE audit_logs DROP CONSTRAINT IF EXISTS uq_audit_logs_tenant_id_event_id")


AuditConsumer.handle_batch = _handle  # type: ignore[method-assign]  # handle() calls it too
IdempotentConsumer._apply = _apply  # type: ignore[method-assign]
IdempotentConsumer._dedupe = _dedupe  # type: ignore[method-assign]

if __name__ == "__main__":
    import sys

    from tests.mutants.serve import serve

    if "serve" in sys.argv:
        _drop_unique_key()
    serve("audit")
