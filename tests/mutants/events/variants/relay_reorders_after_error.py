"""Mutant: master-data's outbox relay, after a pass the broker failed, publishes the pending rows newest first; it
loses nothing and keeps order while Kafka is up, so only updates queued during an outage come out reversed ->
EVENTS-OUTAGE-ORDER (EVENTS-OUTAGE-NO-LOSS and EVENTS-ORDER-PER-KEY pass)."""

from __future__ import annotations

from typing import Any

from reference_services.kernel import app
from reference_services.kernel.outbox import OutboxRelay


class ReorderingRelay(OutboxRelay):
    _failed = False

    async def _publish(self, rows: Any) -> list[Any]:
        ordered = list(reversed(rows)) if self._failed else list(rows)  # "retry the newest first"
        delivered = await super()._publish(ordered)
        self._failed = len(delivered) < len(rows)
        return delivered


app.OutboxRelay = ReorderingRelay  # type: ignore[misc]

if __name__ == "__main__":
    from tests.mutants.serve import serve

    serve("master-data")
