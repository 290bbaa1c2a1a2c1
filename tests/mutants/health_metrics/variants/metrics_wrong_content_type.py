"""master-data: /metrics answers with the right body but Content-Type application/json."""

from reference_services.kernel import metrics
from tests.mutants.serve import serve

_original = metrics.ServiceMetrics.render


def _render(self: metrics.ServiceMetrics, accept: str | None) -> tuple[bytes, str]:
    body, _content_type = _original(self, accept)
    return body, "application/json"


metrics.ServiceMetrics.render = _render  # type: ignore[method-assign]
serve("master-data")
