"""The stability session: a verdict that is not the same in every run is reported with what differed."""

from __future__ import annotations

from fleetcheck.contracts.findings import CheckResult, Finding, Outcome
from fleetcheck.runner import VerificationReport
from fleetcheck.stability import StabilitySession


def _report(*results: CheckResult) -> VerificationReport:
    return VerificationReport("t", "f", ("metrics",), ("auth",), results)


def _result(check_id: str, outcome: Outcome, observed: str = "") -> CheckResult:
    findings = (Finding(check_id, "auth", expected="e", observed=observed, hint="h"),) if observed else ()
    return CheckResult(check_id, "metrics", "auth", outcome, findings, judged=1)


def test_a_verdict_that_changes_between_runs_is_a_flip_with_the_odd_runs_finding() -> None:
    steady = _result("METRICS-LINT", Outcome.PASSED)
    session = StabilitySession(3)
    session.reports["metrics"] = [
        _report(steady, _result("METRICS-ROUTE-TEMPLATES", Outcome.PASSED)),
        _report(steady, _result("METRICS-ROUTE-TEMPLATES", Outcome.FAILED, "3 requests added 3 route values")),
        _report(steady, _result("METRICS-ROUTE-TEMPLATES", Outcome.PASSED)),
    ]

    (flip,) = session.flaky
    assert (flip.check_id, flip.service, flip.outcomes) == ("METRICS-ROUTE-TEMPLATES", "auth",
                                                           ("passed", "failed", "passed"))  # fmt: skip
    assert len(flip.why) == 1
    assert "3 requests added 3 route values" in flip.why[0]
    assert session.verdicts() == 2


def test_the_same_verdicts_in_every_run_are_no_flip() -> None:
    session = StabilitySession(2)
    session.reports["metrics"] = [_report(_result("METRICS-LINT", Outcome.FAILED, "x"))] * 2
    assert session.flaky == []
