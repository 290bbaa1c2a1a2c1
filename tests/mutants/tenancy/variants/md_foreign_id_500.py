"""Mutant: master-data's get crashes (500) on an id that exists in another tenant: it loads the row past RLS and
then fails to serialise it for the caller -> TENANCY-FOREIGN-ID-NOT-FOUND (500, not 404)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from reference_services.master_data.service import MasterDataService
from tests.mutants.tenancy.variants._owner import owner_engine, unforce

_real = MasterDataService.get


async def _get(self: MasterDataService, spec: Any, tenant: Any, entity_id: Any) -> dict[str, Any] | None:
    body = await _real(self, spec, tenant, entity_id)
    if body is None:
        async with owner_engine().connect() as conn:
            row = (await conn.execute(select(spec.model.tenant_id).where(spec.model.id == entity_id))).first()
        if row is not None and row[0] != tenant:
            raise RuntimeError("row of another tenant reached the serialiser")
    return body


MasterDataService.get = _get  # type: ignore[method-assign]

if __name__ == "__main__":
    import sys

    from tests.mutants.serve import serve

    if "serve" in sys.argv:
        unforce("customers", "vendors", "products", "accounts")
    serve("master-data")
