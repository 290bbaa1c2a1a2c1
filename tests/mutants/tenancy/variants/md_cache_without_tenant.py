"""Mutant: master-data caches reads by id alone, not by tenant and id: the owner's read fills the cache, another
tenant's read of the same id is answered from it -> TENANCY-FOREIGN-ID-NOT-FOUND and TENANCY-NO-FOREIGN-CANARY."""

from __future__ import annotations

from typing import Any

from reference_services.master_data.service import MasterDataService

_real = MasterDataService.get
_cache: dict[Any, dict[str, Any]] = {}


async def _get(self: MasterDataService, spec: Any, tenant: Any, entity_id: Any) -> dict[str, Any] | None:
    key = (spec.entity_type, entity_id)  # the bug: no tenant in the key
    if key in _cache:
        return _cache[key]
    body = await _real(self, spec, tenant, entity_id)
    if body is not None:
        _cache[key] = body
    return body


MasterDataService.get = _get  # type: ignore[method-assign]

if __name__ == "__main__":
    from tests.mutants.serve import serve

    serve("master-data")
