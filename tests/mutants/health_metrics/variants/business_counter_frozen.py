"""master-data: master_data_crud_operations_total is exposed but creating a customer never moves it."""

from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Counter

from reference_services.kernel import metrics
from tests.mutants.serve import serve

_original = metrics.ServiceMetrics.counter


def _counter(self: metrics.ServiceMetrics, name: str, documentation: str, labels: Sequence[str] = ()) -> Counter:
    exposed = _original(self, name, documentation, labels)
    if name == "master_data_crud_operations_total":
        detached = Counter(name, documentation, list(labels), registry=CollectorRegistry())
        visible = exposed.labels

        def labels_(*values: str, **by_name: str) -> Counter:
            visible(*values, **by_name)  # keep the series visible, at 0
            return detached.labels(*values, **by_name)  # count where nobody scrapes

        exposed.labels = labels_  # type: ignore[method-assign]
    return exposed


metrics.ServiceMetrics.counter = _counter  # type: ignore[method-assign]
serve("master-data")
