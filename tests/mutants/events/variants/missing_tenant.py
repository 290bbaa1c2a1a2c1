"""Mutant: master-data's events carry no tenant (no tenantid attribute, no x-tenant-id header) -> EVENTS-TENANT."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.mutants.events.variants._rewrite import rewrite_rows

if TYPE_CHECKING:
    from reference_services.kernel.outbox import OutboxEvent


def _drop_tenant(row: OutboxEvent) -> None:
    row.value = {k: v for k, v in row.value.items() if k != "tenantid"}
    row.headers = {k: v for k, v in row.headers.items() if k != "x-tenant-id"}


rewrite_rows(_drop_tenant)

if __name__ == "__main__":
    from tests.mutants.serve import serve

    serve("master-data")
