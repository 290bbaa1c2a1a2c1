"""Mutant: master-data answers 403 "not yours" for another tenant's id (it looks the id up past RLS first)
-> TENANCY-NO-EXISTENCE-ORACLE and TENANCY-FOREIGN-ID-NOT-FOUND."""

from __future__ import annotations

from typing import Any

from litestar.exceptions import PermissionDeniedException
from sqlalchemy import select

from reference_services.master_data.service import MasterDataService
from tests.mutants.tenancy.variants._owner import owner_engine, unforce

_real = MasterDataService.get


async def _get(self: MasterDataService, spec: Any, tenant: Any, entity_id: Any) -> dict[str, Any] | None:
    body = await _real(self, spec, tenant, entity_id)
    if body is None:
        async with owner_engine().connect() as conn:
            exists = (await conn.execute(select(spec.model.id).where(spec.model.id == entity_id))).first()
        if exists is not None:
            raise PermissionDeniedException(detail=f"This {spec.entity_type} belongs to another tenant.")
    return body


MasterDataService.get = _get  # type: ignore[method-assign]

if __name__ == "__main__":
    import sys

    from tests.mutants.serve import serve

    if "serve" in sys.argv:
        unforce("customers", "vendors", "products", "accounts")
    serve("master-data")
