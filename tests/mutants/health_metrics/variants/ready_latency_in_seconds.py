"""organization: ready reports each dependency's ``latency_ms`` in seconds (the ``* 1000`` lost); at rest the
checks take milliseconds, so the value rounds to 0 and every at-rest check passes -> HEALTH-READY-LATENCY-MS on the
frozen dependency's 2 s (found by the automatic mutation run, ``health.py`` ``* 1000`` to ``/ 1000``)."""

import dataclasses

from reference_services.kernel import health
from tests.mutants.serve import serve

_run_one = health.HealthModule._run_one


async def _run_in_seconds(self: health.HealthModule, dependency: health.DependencyCheck) -> health._Result:
    result = await _run_one(self, dependency)
    return dataclasses.replace(result, latency_ms=round(result.latency_ms / 1000, 3))


health.HealthModule._run_one = _run_in_seconds  # type: ignore[method-assign]
serve("organization")
