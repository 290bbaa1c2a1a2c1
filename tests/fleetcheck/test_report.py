"""Reports render from the results alone: scorecard cells and totals, findings text, JUnit XML, JSON."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

import pytest
from rich.console import Console

from fleetcheck.contracts.findings import CheckResult, Finding, Outcome
from fleetcheck.report import (
    cell,
    profile_table,
    render_findings,
    render_text,
    report_from_json,
    to_json,
    to_junit_xml,
)
from fleetcheck.runner import PhaseTime, VerificationReport

_FINDING = Finding(
    check_id="HEALTH-ENDPOINTS",
    service="auth",
    expected="200",
    observed="GET /health/ready answered 404 while every dependency was up",
    hint="Health endpoints answer 200 when healthy.",
    evidence=(("request", "GET /health/ready"),),
)


def _result(check: str, service: str, outcome: Outcome, area: str = "health", **extra: object) -> CheckResult:
    return CheckResult(check, area, service, outcome, **extra)  # type: ignore[arg-type]


@pytest.fixture
def report() -> VerificationReport:
    results = (
        _result("HEALTH-ENDPOINTS", "auth", Outcome.FAILED, findings=(_FINDING,), claim="every endpoint answers"),
        _result("HEALTH-SHAPE", "auth", Outcome.PASSED),
        _result("HEALTH-READY-BOUNDED", "auth", Outcome.NOT_RUN, reason="needs a fault hook for postgres"),
        _result("METRICS-PARSE", "auth", Outcome.PASSED, area="metrics"),
        _result("HEALTH-ENDPOINTS", "master-data", Outcome.PASSED),
        _result("HEALTH-SHAPE", "master-data", Outcome.PASSED),
        _result("METRICS-PARSE", "master-data", Outcome.NOT_RUN, area="metrics", reason="not in the target file"),
    )
    phases = (
        PhaseTime("start", 12.5, 0.4),
        PhaseTime("read", 0.8, 0.2),
        PhaseTime("migrations", 9.0, 3.0, concurrent=True),
        PhaseTime("judge", 0.1, 0.1),
    )
    return VerificationReport(
        "target file t.yaml", "erp-bd", ("health", "metrics"), ("auth", "master-data"), results, phases=phases
    )


def test_cell_counts_failures_of_the_checks_that_ran() -> None:
    assert cell([_result("A", "s", Outcome.FAILED), _result("B", "s", Outcome.PASSED)]) == "❌ 1 failed · 1 passed"
    assert cell([_result("A", "s", Outcome.PASSED)] * 12) == "✅ 12 passed"
    assert cell([_result("A", "s", Outcome.NOT_RUN)] * 3) == "not run (3)"
    assert cell([_result("A", "s", Outcome.PASSED), _result("B", "s", Outcome.NOT_RUN)]) == "✅ 1 passed · 1 not run"
    assert cell([]) == "—"


def test_scorecard_shows_each_service_and_area_and_totals(report: VerificationReport) -> None:
    text = render_text(report)
    auth_row = next(line for line in text.splitlines() if "│ auth" in line)
    assert "❌ 1 failed · 1 passed · 1 not run" in auth_row
    assert "✅ 1 passed" in auth_row
    master_row = next(line for line in text.splitlines() if "│ master-data" in line)
    assert "✅ 2 passed" in master_row
    assert "not run (1)" in master_row
    assert "7 checks: 4 passed, 1 failed, 2 not run" in text


def test_findings_text_names_service_check_observed_expected_and_fix(report: VerificationReport) -> None:
    text = render_findings(report.results)
    assert "✗ HEALTH-ENDPOINTS [auth] every endpoint answers" in text
    assert "auth: GET /health/ready answered 404 while every dependency was up" in text
    assert "expected: 200" in text
    assert "fix: Health endpoints answer 200 when healthy." in text
    assert "HEALTH-READY-BOUNDED [auth]: needs a fault hook for postgres" in text


def test_junit_xml_has_a_testcase_per_check_and_service(report: VerificationReport) -> None:
    root = ET.fromstring(to_junit_xml(report))
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert len(cases) == 7
    failed = cases["HEALTH-ENDPOINTS[auth]"]
    assert failed.get("classname") == "health"
    failure = failed.find("failure")
    assert failure is not None
    assert "answered 404" in (failure.get("message") or "")
    assert "fix: Health endpoints answer 200" in (failure.text or "")
    skipped = cases["METRICS-PARSE[master-data]"].find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "not in the target file"
    assert cases["HEALTH-SHAPE[auth]"].find("failure") is None
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert (suites["health"].get("tests"), suites["health"].get("failures"), suites["health"].get("skipped")) == (
        "5",
        "1",
        "1",
    )


def test_json_round_trips_every_result_and_finding(report: VerificationReport) -> None:
    assert report_from_json(to_json(report)) == report


def test_the_json_report_and_the_profile_table_give_each_phase_its_wall_and_cpu_seconds(
    report: VerificationReport,
) -> None:
    """A phase that ran beside the others is listed after the total and is no share of it."""
    phases = json.loads(to_json(report))["phases"]
    assert phases[0] == {"phase": "start", "wall_s": 12.5, "cpu_s": 0.4, "concurrent": False}
    assert phases[2] == {"phase": "migrations", "wall_s": 9.0, "cpu_s": 3.0, "concurrent": True}
    buffer = io.StringIO()
    Console(file=buffer, width=100, color_system=None).print(profile_table(report))
    rows = [line.split("│")[1:-1] for line in buffer.getvalue().splitlines() if line.count("│") == 5]
    cells = [[c.strip() for c in row] for row in rows]
    assert cells == [
        ["start", "12.5", "93%", "0.4"],
        ["read", "0.8", "6%", "0.2"],
        ["judge", "0.1", "1%", "0.1"],
        ["total", "13.4", "100%", "0.7"],
        ["migrations (beside the others)", "9.0", "", "3.0"],
    ]
