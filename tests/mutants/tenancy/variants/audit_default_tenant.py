"""Mutant: audit records every consumed event under a default tenant instead of the event's (its RLS context too, so
the insert passes its policy) -> TENANCY-EVENTS-OWN-TENANT: the owner never reads its own record."""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import text

from reference_services.audit import consumer as audit_consumer
from reference_services.audit.consumer import AuditConsumer

DEFAULT_TENANT = "00000000-0000-4000-8000-000000000000"
_real_handle = AuditConsumer.handle
_real_facts = audit_consumer.facts_of


def _facts(event: dict[str, Any]) -> Any:
    import uuid

    return dataclasses.replace(_real_facts(event), tenant_id=uuid.UUID(DEFAULT_TENANT))


async def _handle(self: AuditConsumer, session: Any, event: dict[str, Any]) -> None:
    await session.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": DEFAULT_TENANT})
    await _real_handle(self, session, event)


audit_consumer.facts_of = _facts  # type: ignore[assignment]
AuditConsumer.handle = _handle  # type: ignore[method-assign]

if __name__ == "__main__":
    from tests.mutants.serve import serve

    serve("audit")
