"""Mutant: audit writes two records for every event it consumes (and has no unique key to stop the second)
-> FLOWS-AUDIT-EVERY-OPERATION."""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy.dialects.postgresql import insert

from reference_services.audit.consumer import AuditConsumer
from reference_services.audit.models import AuditLog
from reference_services.audit.records import facts_of


async def _handle_twice(self: AuditConsumer, session: Any, events: Any) -> None:
    for event in events:
        await _handle_twice_one(self, session, event)


async def _handle_twice_one(self: AuditConsumer, session: Any, event: dict[str, Any]) -> None:
    # plain inserts: the real handler's ON CONFLICT needs the unique key this mutant drops
    facts = facts_of(event)
    if facts.event_type.startswith("audit."):
        return
    for _copy in range(2):
        await session.execute(
            insert(AuditLog).values(tenant_id=facts.tenant_id, event_id=facts.event_id, event_type=facts.event_type,
                                    source=facts.source, subject=facts.subject, severity=facts.severity,
                                    outcome=facts.outcome, payload=facts.payload, occurred_at=facts.occurred_at)
        )  # fmt: skip


def _drop_unique_key() -> None:
    import psycopg

    with psycopg.connect(os.environ["FLEET_DATABASE_URL"], autocommit=True) as conn:
        conn.execute("ALTER TABLE audit_logs DROP CONSTRAINT IF EXISTS uq_audit_logs_tenant_id_event_id")


AuditConsumer.handle_batch = _handle_twice  # type: ignore[method-assign]  # handle() calls it too

if __name__ == "__main__":
    import sys

    from tests.mutants.serve import serve

    if "serve" in sys.argv:
        _drop_unique_key()
    serve("audit")
