"""Mutant: master-data's update writes the fields to the row whoever asks (as the owner, past RLS) and answers 404
-> TENANCY-FOREIGN-WRITES-REREAD (the owner's re-read holds the attacker's canary)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from reference_services.master_data.service import MasterDataService
from tests.mutants.tenancy.variants._owner import owner_engine, unforce

_real = MasterDataService.update


async def _update(self: MasterDataService, spec: Any, tenant: Any, entity_id: Any, values: Any, corr: Any) -> Any:
    done = await _real(self, spec, tenant, entity_id, values, corr)
    if done is None and values:
        async with owner_engine().begin() as conn:
            await conn.execute(update(spec.model).where(spec.model.id == entity_id).values(**values))
    return done


MasterDataService.update = _update  # type: ignore[method-assign]

if __name__ == "__main__":
    import sys

    from tests.mutants.serve import serve

    if "serve" in sys.argv:
        unforce("customers", "vendors", "products", "accounts")
    serve("master-data")
