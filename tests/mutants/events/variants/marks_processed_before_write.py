"""Mutant: the kernel's consumer records an event as processed in a transaction of its own, before the handler's
transaction writes the record: when that write fails, the event is taken again (the consumer retries) but found
already processed, and its record is never written -> EVENTS-CONSUMER-RETRY. A replay is still deduped, and nothing
is lost while every write succeeds: only a write that fails once shows it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert

from reference_services.audit.consumer import AuditConsumer
from reference_services.kernel.consumer import IdempotentConsumer
from reference_services.kernel.outbox import ProcessedEvent


async def _process(self: IdempotentConsumer, message: Any) -> str:
    decoded = self.decode(message)
    if decoded is None:
        return "failed"
    event, event_id, tenant_id = decoded
    try:
        async with self.database.system_transaction() as session:
            inserted = await session.scalar(
                insert(ProcessedEvent)
                .values(event_id=event_id, consumer=self.consumer_name, tenant_id=tenant_id)
                .on_conflict_do_nothing(index_elements=["event_id", "consumer"])
                .returning(ProcessedEvent.id)
            )
        if inserted is None:
            return "duplicate"
        async with self.database.tenant_transaction(tenant_id) as session:
            await self.handle(session, event)
    except Exception:
        return "retry"
    return "processed"


IdempotentConsumer._process = _process  # type: ignore[method-assign]
# the dedupe row commits first, so audit's events are taken one per transaction, through _process above
AuditConsumer.one_transaction_per_batch = False

if __name__ == "__main__":
    from tests.mutants.serve import serve

    serve("audit")
