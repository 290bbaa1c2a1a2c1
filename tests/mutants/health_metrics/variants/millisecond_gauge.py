"""organization: exposes a latency gauge in milliseconds (not base units) without HELP text."""

from prometheus_client import Gauge

from reference_services.kernel import metrics
from tests.mutants.serve import serve

_original = metrics.ServiceMetrics.__init__


def _init(self: metrics.ServiceMetrics, service: str) -> None:
    _original(self, service)
    Gauge("organization_sync_latency_milliseconds", "", registry=self.registry).set(12)


metrics.ServiceMetrics.__init__ = _init  # type: ignore[method-assign]
serve("organization")
