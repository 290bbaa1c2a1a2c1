"""Stability: run each area's narrow verification several times on one running fleet and report every verdict that
changes between runs (a flaky check, or a fleet that behaves differently from one run to the next).

A verdict is the outcome of one check on one service (passed, failed, not run). One fleet is started (or one target
file read) for the whole session, and every area is verified ``runs`` times, alone (``verify --area <area>``), so a
check that depends on what another area did before it shows up too.

Example:
    >>> session = measure(target, runs=5, areas=["metrics"])  # doctest: +SKIP
    >>> session.flaky  # doctest: +SKIP
    []
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fleetcheck.runner import select, verify

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from fleetcheck.runner import VerificationReport
    from fleetcheck.targets import Target

__all__ = ["Flip", "StabilitySession", "measure"]


@dataclass(frozen=True, slots=True)
class Flip:
    """One check on one service whose outcome was not the same in every run: ``outcomes[i]`` is run i's, with the
    first finding or reason of each run that differed from the most common outcome."""

    area: str
    check_id: str
    service: str
    outcomes: tuple[str, ...]
    why: tuple[str, ...]


@dataclass(slots=True)
class StabilitySession:
    """Every run's report by area, and what flipped."""

    runs: int
    reports: dict[str, list[VerificationReport]] = field(default_factory=dict)
    seconds: dict[str, list[float]] = field(default_factory=dict)

    @property
    def flaky(self) -> list[Flip]:
        flips: list[Flip] = []
        for area, reports in self.reports.items():
            keys = sorted({(r.check_id, r.service) for report in reports for r in report.results})
            for check_id, service in keys:
                seen = [
                    next((r for r in report.results if (r.check_id, r.service) == (check_id, service)), None)
                    for report in reports
                ]
                outcomes = tuple(r.outcome.value if r is not None else "absent" for r in seen)
                if len(set(outcomes)) == 1:
                    continue
                usual = Counter(outcomes).most_common(1)[0][0]
                why = tuple(
                    _why(r) for r, outcome in zip(seen, outcomes, strict=True) if outcome != usual and r is not None
                )
                flips.append(Flip(area, check_id, service, outcomes, why))
        return flips

    def verdicts(self) -> int:
        """How many verdicts each run gave, summed over areas (one run's worth)."""
        return sum(len(reports[0].results) for reports in self.reports.values() if reports)


def _why(result: object) -> str:
    findings = getattr(result, "findings", ())
    if findings:
        return str(findings[0].message())
    return str(getattr(result, "reason", "") or getattr(result, "outcome", ""))


def measure(
    target: Target,
    *,
    runs: int = 5,
    areas: Sequence[str] | None = None,
    services: Sequence[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> StabilitySession:
    """Verify each of ``areas`` (default: all) alone, ``runs`` times, on ``target``; the session says what flipped.

    Raises:
        UnknownSelectionError: an unknown area or service.
        ValueError: ``runs`` below 2 (nothing to compare).
    """
    if runs < 2:
        raise ValueError(f"--runs must be at least 2 to compare verdicts; got {runs}")
    chosen, chosen_services = select(target.fleet, areas, services)
    say = progress or (lambda _message: None)
    session = StabilitySession(runs)
    for area in chosen:
        for n in range(1, runs + 1):
            say(f"{area}: run {n} of {runs}")
            started = time.perf_counter()
            report = verify(target, areas=[area], services=chosen_services)
            session.reports.setdefault(area, []).append(report)
            session.seconds.setdefault(area, []).append(time.perf_counter() - started)
    return session
