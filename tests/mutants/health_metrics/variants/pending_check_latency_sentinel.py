"""master-data: while a hung dependency's previous check is still pending, ready reports that dependency with
``latency_ms: -1`` ("unknown"); the first read under the freeze is right -> HEALTH-READY-LATENCY-MS on the read
that follows at once (found by the automatic mutation run, ``health.py`` ``0.0`` to ``-1.0``)."""

import dataclasses

from reference_services.kernel import health
from tests.mutants.serve import serve

_run_one = health.HealthModule._run_one


async def _run_with_sentinel(self: health.HealthModule, dependency: health.DependencyCheck) -> health._Result:
    result = await _run_one(self, dependency)
    pending = (result.error or "").startswith("previous check still pending")
    return dataclasses.replace(result, latency_ms=-1.0) if pending else result


health.HealthModule._run_one = _run_with_sentinel  # type: ignore[method-assign]
serve("master-data")
