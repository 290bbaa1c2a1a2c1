"""Mutant: master-data's list reads without the tenant filter, as the owner past RLS (a "report" query)
-> TENANCY-LISTS-OWN-ONLY and TENANCY-NO-FOREIGN-CANARY."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from reference_services.master_data.schema import to_json
from reference_services.master_data.service import MasterDataService
from tests.mutants.tenancy.variants._owner import owner_engine, unforce


async def _list(self: MasterDataService, spec: Any, tenant: Any, *, limit: int, offset: int) -> list[dict[str, Any]]:
    model = spec.model
    async with owner_engine().connect() as conn:
        rows = (await conn.execute(select(model).order_by(getattr(model, spec.key)).limit(limit).offset(offset))).all()
    return [to_json(spec, row) for row in rows]


MasterDataService.list = _list  # type: ignore[method-assign]

if __name__ == "__main__":
    import sys

    from tests.mutants.serve import serve

    if "serve" in sys.argv:
        unforce("customers", "vendors", "products", "accounts")
    serve("master-data")
