"""auth: ``/health/stats`` reports a request count nobody increments (the RED middleware counts into the metrics
only), so ``requests_total`` stays 0: a number, so HEALTH-STATS passes -> HEALTH-STATS-MOVE (found by the automatic
mutation run, ``metrics.py`` ``+= 1`` to ``+= 0``)."""

from reference_services.kernel import metrics
from tests.mutants.serve import serve

_observe = metrics.ServiceMetrics.observe_request


def _observe_without_count(self: metrics.ServiceMetrics, method: str, route: str, status: int, seconds: float) -> None:
    _observe(self, method, route, status, seconds)
    self.requests_seen -= 1


metrics.ServiceMetrics.observe_request = _observe_without_count  # type: ignore[method-assign]
serve("auth")
