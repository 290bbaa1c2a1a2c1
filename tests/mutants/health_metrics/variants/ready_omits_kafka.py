"""auth: readiness (and /health/dependencies) silently drop the kafka dependency."""

from typing import Any

from reference_services.kernel import health
from tests.mutants.serve import serve

_original = health.HealthModule.__init__


def _init(self: health.HealthModule, **kwargs: Any) -> None:
    kwargs["dependencies"] = [d for d in kwargs["dependencies"] if d.type != "kafka"]
    _original(self, **kwargs)


health.HealthModule.__init__ = _init  # type: ignore[method-assign]
serve("auth")
