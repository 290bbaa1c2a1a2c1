"""master-data: /health reports the service under another name than the fleet file's."""

from typing import Any

from reference_services.kernel import health
from tests.mutants.serve import serve

_original = health.HealthModule.__init__


def _init(self: health.HealthModule, **kwargs: Any) -> None:
    _original(self, **kwargs)
    self.service = "masterdata-svc"


health.HealthModule.__init__ = _init  # type: ignore[method-assign]
serve("master-data")
