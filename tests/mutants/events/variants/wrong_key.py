"""Mutant: master-data keys its events by the tenant id instead of the aggregate id -> EVENTS-KEY-IS-AGGREGATE."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.mutants.events.variants._rewrite import rewrite_rows

if TYPE_CHECKING:
    from reference_services.kernel.outbox import OutboxEvent


def _key_by_tenant(row: OutboxEvent) -> None:
    row.key = str(row.tenant_id)


rewrite_rows(_key_by_tenant)

if __name__ == "__main__":
    from tests.mutants.serve import serve

    serve("master-data")
