"""organization: /health/ready always says every dependency is up, without asking any of them."""

from reference_services.kernel import health
from tests.mutants.serve import serve


async def _always_up(self: health.HealthModule) -> list[health._Result]:
    return [health._Result(d.name, True, 0.1) for d in self.dependencies]


health.HealthModule.run_checks = _always_up  # type: ignore[method-assign]
serve("organization")
