"""master-data: the request count behind ``/health/stats`` is incremented twice per request (once more in a hook of
its own); the RED counters stay right, so METRICS-COUNTERS-MOVE passes -> HEALTH-STATS-MOVE (found by the automatic
mutation run, ``metrics.py`` ``+= 1`` to ``+= 2``)."""

from reference_services.kernel import metrics
from tests.mutants.serve import serve

_observe = metrics.ServiceMetrics.observe_request


def _observe_counting_twice(self: metrics.ServiceMetrics, method: str, route: str, status: int, seconds: float) -> None:
    _observe(self, method, route, status, seconds)
    self.requests_seen += 1


metrics.ServiceMetrics.observe_request = _observe_counting_twice  # type: ignore[method-assign]
serve("master-data")
