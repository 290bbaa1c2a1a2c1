"""master-data: ready awaits each dependency check with no timeout of its own."""

import time

from reference_services.kernel import health
from tests.mutants.serve import serve


async def _run_unbounded(self: health.HealthModule, dependency: health.DependencyCheck) -> health._Result:
    started = time.perf_counter()
    try:
        await dependency.check()
    except Exception as error:
        return health._Result(dependency.name, False, (time.perf_counter() - started) * 1000, str(error)[:200])
    return health._Result(dependency.name, True, (time.perf_counter() - started) * 1000)


health.HealthModule._run_one = _run_unbounded  # type: ignore[method-assign]
serve("master-data")
