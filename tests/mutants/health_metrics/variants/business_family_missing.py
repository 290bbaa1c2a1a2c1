"""auth: auth_account_lockouts_total is counted on a registry nobody scrapes, so /metrics lacks the family."""

from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Counter

from reference_services.kernel import metrics
from tests.mutants.serve import serve

_original = metrics.ServiceMetrics.counter


def _counter(self: metrics.ServiceMetrics, name: str, documentation: str, labels: Sequence[str] = ()) -> Counter:
    if name == "auth_account_lockouts_total":
        return Counter(name, documentation, list(labels), registry=CollectorRegistry())
    return _original(self, name, documentation, labels)


metrics.ServiceMetrics.counter = _counter  # type: ignore[method-assign]
serve("auth")
