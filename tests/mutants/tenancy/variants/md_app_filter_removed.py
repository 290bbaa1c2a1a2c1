"""Mutant (the defence-in-depth proof): master-data's lookups by id have no application tenant filter; RLS alone
stops another tenant. Every isolation check still passes, and TENANCY-DEFENCE-IN-DEPTH passes with an informational
finding that the application layer had no filter."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from reference_services.master_data.service import MasterDataService


async def _visible(self: MasterDataService, session: Any, spec: Any, tenant: Any, entity_id: Any, *,
                   for_update: bool = False) -> Any:  # fmt: skip
    query = select(spec.model).where(spec.model.id == entity_id)  # the bug: no tenant_id == tenant
    return await session.scalar(query.with_for_update() if for_update else query)


MasterDataService._visible = _visible  # type: ignore[method-assign]

if __name__ == "__main__":
    from tests.mutants.serve import serve

    serve("master-data")
