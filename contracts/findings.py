"""Findings and check results: the one data type every report is rendered from."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

__all__ = ["CheckResult", "Finding", "Judged", "Outcome", "Severity"]


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Outcome(enum.StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_RUN = "not_run"


@dataclass(frozen=True, slots=True)
class Finding:
    """One violation of the contract, by one service, seen by one check.

    ``expected``/``observed``/``hint`` are one fact each, written for the engineer who owns the service.
    ``evidence`` holds the raw material (request line, response excerpt, topic/offset, SQL) as short strings.
    """

    check_id: str
    service: str
    expected: str
    observed: str
    hint: str
    severity: Severity = Severity.ERROR
    evidence: tuple[tuple[str, str], ...] = ()
    #: why this finding is accepted for now (a baseline file's reason); a baselined finding does not fail the run
    baselined: str = ""

    def message(self) -> str:
        """The finding as the lines a person reads: what was seen, what was expected, what to do."""
        return f"{self.service}: {self.observed}\n  expected: {self.expected}\n  fix: {self.hint}"


@dataclass(frozen=True, slots=True)
class Judged:
    """Evidence a check judged: ``count`` items of ``what`` ("health bodies", "events", "tables").

    A check yields one (or more) beside its findings. A check that yields no finding and judged nothing has not
    passed: :func:`fleetcheck.contracts.registry.run_check` reports it "not run" (a pass needs evidence).
    """

    count: int
    what: str


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of one check on one service: passed, failed (with findings) or not run (with the reason)."""

    check_id: str
    area: str
    service: str
    outcome: Outcome
    findings: tuple[Finding, ...] = ()
    reason: str = ""
    duration_s: float = 0.0
    claim: str = field(default="", compare=False)
    #: how much evidence the check judged, e.g. 5 and "health bodies" (0 for a check that was not run)
    judged: int = 0
    judged_what: str = ""

    @property
    def baselined(self) -> bool:
        """Failed, but every finding is a known one a baseline accepts."""
        return self.outcome is Outcome.FAILED and bool(self.findings) and all(f.baselined for f in self.findings)
