"""Mutant: master-data publishes a created customer on ``master-data.customer.updated`` (the envelope unchanged)
-> audit's message pact for ``master-data.customer.created`` fails: the event it names is never produced."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.mutants.events.variants._rewrite import rewrite_rows

if TYPE_CHECKING:
    from reference_services.kernel.outbox import OutboxEvent


def _other_topic(row: OutboxEvent) -> None:
    if row.topic == "master-data.customer.created":
        row.topic = "master-data.customer.updated"


rewrite_rows(_other_topic)

if __name__ == "__main__":
    from tests.mutants.serve import serve

    serve("master-data")
