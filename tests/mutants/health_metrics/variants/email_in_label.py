"""auth: counts logins per user with the e-mail address as a label value (PII, unbounded cardinality)."""

from prometheus_client import Counter

from reference_services.kernel import metrics
from tests.mutants.serve import serve

_original = metrics.ServiceMetrics.__init__


def _init(self: metrics.ServiceMetrics, service: str) -> None:
    _original(self, service)
    per_user = Counter("auth_logins_by_user_total", "Logins per user.", ["user"], registry=self.registry)
    per_user.labels(user="rahim.uddin@example.com.bd").inc()


metrics.ServiceMetrics.__init__ = _init  # type: ignore[method-assign]
serve("auth")
