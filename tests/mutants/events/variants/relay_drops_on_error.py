"""Mutant: master-data's outbox relay marks a batch published even when the broker refused it, so events written
while Kafka is down are dropped -> EVENTS-OUTAGE-NO-LOSS."""

from __future__ import annotations

from typing import Any

from reference_services.kernel import app
from reference_services.kernel.outbox import OutboxRelay


class DroppingRelay(OutboxRelay):
    async def _publish(self, rows: Any) -> list[Any]:
        await super()._publish(rows)
        return [row.id for row in rows]  # "sent" is taken for "delivered"


app.OutboxRelay = DroppingRelay  # type: ignore[misc]

if __name__ == "__main__":
    from tests.mutants.serve import serve

    serve("master-data")
