"""Mutant: audit consumes every event (and marks it processed) but never writes its record
-> FLOWS-AUDIT-EVERY-OPERATION."""

from __future__ import annotations

from typing import Any

from reference_services.audit.consumer import AuditConsumer


async def _forget(self: AuditConsumer, session: Any, events: Any) -> None:
    return None


AuditConsumer.handle_batch = _forget  # type: ignore[method-assign]  # handle() calls it too

if __name__ == "__main__":
    from tests.mutants.serve import serve

    serve("audit")
