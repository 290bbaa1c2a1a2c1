"""Mutant: master-data's delete removes the row whoever asks (as the owner, past RLS) and answers 404 anyway
-> TENANCY-FOREIGN-WRITES-REREAD (the owner's re-read finds the row gone)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete

from reference_services.master_data.service import MasterDataService
from tests.mutants.tenancy.variants._owner import owner_engine, unforce

_real = MasterDataService.delete


async def _delete(self: MasterDataService, spec: Any, tenant: Any, entity_id: Any, correlation_id: Any) -> bool:
    if await _real(self, spec, tenant, entity_id, correlation_id):
        return True
    async with owner_engine().begin() as conn:
        await conn.execute(delete(spec.model).where(spec.model.id == entity_id))
    return False  # "not found", after deleting another tenant's row


MasterDataService.delete = _delete  # type: ignore[method-assign]

if __name__ == "__main__":
    import sys

    from tests.mutants.serve import serve

    if "serve" in sys.argv:
        unforce("customers", "vendors", "products", "accounts")
    serve("master-data")
