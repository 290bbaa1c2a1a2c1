"""Mutant: audit records every consumed event under a default tenant instead of the event's (its RLS context too, so
the insert passes its policy) -> TENANCY-EVENTS-OWN-TENANT: the owner never reads its own record."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from reference_services.audit import consumer as audit_consumer
from reference_services.audit.consumer import AuditConsumer

if TYPE_CHECKING:
    from collections.abc import Sequence

DEFAULT_TENANT = "00000000-0000-4000-8000-000000000000"
_real_handle_batch = AuditConsumer.handle_batch
_real_facts = audit_consumer.facts_of


def _facts(event: dict[str, Any]) -> Any:
    import uuid

    return dataclasses.replace(_real_facts(event), tenant_id=uuid.UUID(DEFAULT_TENANT))


async def _handle_batch(self: AuditConsumer, session: Any, events: Sequence[dict[str, Any]]) -> None:
    await session.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": DEFAULT_TENANT})
    await _real_handle_batch(self, session, events)


audit_consumer.facts_of = _facts  # type: ignore[assignment]
AuditConsumer.handle_batch = _handle_batch  # type: ignore[method-assign]  # handle() calls it too

if __name__ == "__main__":
    from tests.mutants.serve import serve

    serve("audit")
