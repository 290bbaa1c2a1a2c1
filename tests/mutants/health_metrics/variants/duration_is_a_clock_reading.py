"""organization: the RED middleware observes the clock's reading (``perf_counter()``) instead of the time the request
took, as a ``started + elapsed`` typo does; counts stay right -> METRICS-DURATION-PLAUSIBLE (found by the automatic
mutation run: every other check passed)."""

import time

from reference_services.kernel import metrics
from tests.mutants.serve import serve


def _observe(self: metrics.ServiceMetrics, method: str, route: str, status_code: int, seconds: float) -> None:
    labels = {"method": method, "route": route, "status_code": str(status_code)}
    self.http_requests.labels(**labels).inc()
    self.http_duration.labels(**labels).observe(time.perf_counter() + seconds)
    self.requests_seen += 1


metrics.ServiceMetrics.observe_request = _observe  # type: ignore[method-assign]
serve("organization")
