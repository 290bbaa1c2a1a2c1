"""organization: ``/health/stats`` computes ``uptime_seconds`` as now divided by the start (``/`` typed for ``-``):
still a number, so HEALTH-STATS passes -> HEALTH-STATS-MOVE (found by the automatic mutation run, ``health.py``
``-`` to ``/``)."""

from reference_services.kernel import health
from tests.mutants.serve import serve


class _Start(float):
    """The module's start time, for which the stats handler's ``now - started`` is ``now / started``."""

    def __rsub__(self, now: float) -> float:
        return now / float(self)


_init = health.HealthModule.__init__


def _init_with_ratio(self: health.HealthModule, **kwargs: object) -> None:
    _init(self, **kwargs)  # type: ignore[arg-type]
    self.started = _Start(self.started)


health.HealthModule.__init__ = _init_with_ratio  # type: ignore[method-assign]
serve("organization")
