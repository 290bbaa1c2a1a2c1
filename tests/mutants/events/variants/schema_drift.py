"""Mutant: a master-data release renames ``name`` to ``customer_name`` in its payloads -> EVENTS-PAYLOAD-SCHEMA."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.mutants.events.variants._rewrite import rewrite_rows

if TYPE_CHECKING:
    from reference_services.kernel.outbox import OutboxEvent


def _rename(row: OutboxEvent) -> None:
    data = dict(row.value["data"])
    if "name" in data:
        data["customer_name"] = data.pop("name")
    row.value = {**row.value, "data": data}


rewrite_rows(_rename)

if __name__ == "__main__":
    from tests.mutants.serve import serve

    serve("master-data")
