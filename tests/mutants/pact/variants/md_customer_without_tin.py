"""Mutant: master-data reads a customer without its ``tin`` (REST and GraphQL alike: both read through
``MasterDataService.get``) -> the api-gateway's pact fails on ``$.data.customer.tin``."""

from __future__ import annotations

from typing import Any

from reference_services.master_data.service import MasterDataService

_real = MasterDataService.get


async def _get(self: MasterDataService, spec: Any, tenant: Any, entity_id: Any) -> dict[str, Any] | None:
    body = await _real(self, spec, tenant, entity_id)
    if body is not None and spec.entity_type == "customer":
        body = {**body, "tin": None}
    return body


MasterDataService.get = _get  # type: ignore[method-assign]

if __name__ == "__main__":
    from tests.mutants.serve import serve

    serve("master-data")
