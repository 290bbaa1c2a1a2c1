"""master-data: counts created customers per phone number. The family has no sample at rest; the customer's mobile
number (PII) appears as a label value only once the first customer is created, so a check that judges only the
first scrape never sees it."""

from typing import Any

from prometheus_client import Counter

from reference_services.kernel import metrics
from reference_services.master_data import service
from tests.mutants.serve import serve

_by_phone: list[Counter] = []
_init = metrics.ServiceMetrics.__init__
_create = service.MasterDataService.create


def _metrics_init(self: metrics.ServiceMetrics, name: str) -> None:
    _init(self, name)
    _by_phone.append(
        Counter("master_data_customers_by_phone", "Customers per phone.", ["phone"], registry=self.registry)
    )


async def _created(self: service.MasterDataService, spec: Any, tenant: Any, values: dict[str, Any], *rest: Any) -> Any:
    body = await _create(self, spec, tenant, values, *rest)
    if values.get("phone"):
        _by_phone[0].labels(phone=values["phone"]).inc()
    return body


metrics.ServiceMetrics.__init__ = _metrics_init  # type: ignore[method-assign]
service.MasterDataService.create = _created  # type: ignore[method-assign]
serve("master-data")
