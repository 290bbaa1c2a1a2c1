"""auth: http_requests_total is exposed but never incremented (only the histogram moves)."""

from reference_services.kernel import metrics
from tests.mutants.serve import serve


def _observe(self: metrics.ServiceMetrics, method: str, route: str, status_code: int, seconds: float) -> None:
    labels = {"method": method, "route": route, "status_code": str(status_code)}
    self.http_requests.labels(**labels)  # the series appears, at 0, and stays there
    self.http_duration.labels(**labels).observe(seconds)
    self.requests_seen += 1


metrics.ServiceMetrics.observe_request = _observe  # type: ignore[method-assign]
serve("auth")
