"""Mutant: master-data publishes "created" straight to Kafka before its transaction, not through the outbox, so a
create that then rolls back (a duplicate code) still announces a customer -> EVENTS-NO-EVENT-ON-ROLLBACK."""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

from confluent_kafka import Producer

from reference_services.kernel.outbox import cloud_event
from reference_services.master_data.service import SOURCE, MasterDataService

_real_create = MasterDataService.create
_real_event = MasterDataService._event
_producer: Any = None


async def _create(self: MasterDataService, spec: Any, tenant: uuid.UUID, values: dict[str, Any],
                  correlation_id: str | None) -> dict[str, Any]:  # fmt: skip
    global _producer
    row_id = uuid.uuid4()
    data = {"id": str(row_id), "tenant_id": str(tenant), **values}
    event = cloud_event(topic=spec.topic("created"), key=str(row_id), data=data, tenant_id=tenant, source=SOURCE,
                        correlation_id=correlation_id)  # fmt: skip
    if _producer is None:
        _producer = Producer({"bootstrap.servers": os.environ["FLEET_KAFKA_BOOTSTRAP"]})
    _producer.produce(event["type"], key=str(row_id), value=json.dumps(event, default=str).encode(),
                      headers=[("x-tenant-id", str(tenant))])  # fmt: skip
    _producer.flush(5)
    return await _real_create(self, spec, tenant, {**values, "id": row_id}, correlation_id)


def _event(self: MasterDataService, session: Any, spec: Any, action: str, row: Any, data: dict[str, Any],
           correlation_id: str | None) -> None:  # fmt: skip
    if action != "created":  # "created" already went out, before the transaction
        _real_event(self, session, spec, action, row, data, correlation_id)


MasterDataService.create = _create  # type: ignore[method-assign]
MasterDataService._event = _event  # type: ignore[method-assign]

if __name__ == "__main__":
    from tests.mutants.serve import serve

    serve("master-data")
