"""master-data: reading an id that does not exist dereferences the missing row (a 500) instead of answering 404.
Requests without a token never get that far (401), so only traffic with a tenant's token shows it."""

from typing import Any

from reference_services.master_data import service
from tests.mutants.serve import serve

_get = service.MasterDataService.get


async def _get_or_crash(self: service.MasterDataService, *args: Any) -> dict[str, Any]:
    body = await _get(self, *args)
    return dict(body)  # type: ignore[arg-type]  # TypeError on None: the kernel answers 500


service.MasterDataService.get = _get_or_crash  # type: ignore[assignment]
serve("master-data")
