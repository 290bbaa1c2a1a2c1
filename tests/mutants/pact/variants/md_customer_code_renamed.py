"""Mutant: master-data lists customers with ``code`` renamed to ``customer_code`` (reads by id keep it) ->
import-export's pact fails on "a page of the tenant's customers", naming the field it misses."""

from __future__ import annotations

from typing import Any

from reference_services.master_data.service import MasterDataService

_real = MasterDataService.list


async def _list(self: MasterDataService, spec: Any, tenant: Any, **page: Any) -> list[dict[str, Any]]:
    rows = await _real(self, spec, tenant, **page)
    if spec.entity_type != "customer":
        return rows
    return [{("customer_code" if key == "code" else key): value for key, value in row.items()} for row in rows]


MasterDataService.list = _list  # type: ignore[method-assign]

if __name__ == "__main__":
    from tests.mutants.serve import serve

    serve("master-data")
