"""Mutant: master-data stamps events with a local time without offset -> EVENTS-ENVELOPE."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.mutants.events.variants._rewrite import rewrite_rows

if TYPE_CHECKING:
    from reference_services.kernel.outbox import OutboxEvent


def _naive(row: OutboxEvent) -> None:
    row.value = {**row.value, "time": row.value["time"][:19]}


rewrite_rows(_naive)

if __name__ == "__main__":
    from tests.mutants.serve import serve

    serve("master-data")
