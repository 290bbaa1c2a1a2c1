"""Baselines: known findings (each with a reason) do not fail a run, new ones do, and one that stopped occurring is
reported as fixed."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from fleetcheck.baseline import Baseline, BaselineError, apply_baseline, fingerprint, write_baseline
from fleetcheck.cli import app
from fleetcheck.contracts.findings import CheckResult, Finding, Outcome
from fleetcheck.runner import VerificationReport

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path


def _failed(service: str, observed: str) -> CheckResult:
    finding = Finding("METRICS-LINT", service, expected="e", observed=observed, hint="h")
    return CheckResult("METRICS-LINT", "metrics", service, Outcome.FAILED, (finding,))


def _report(*results: CheckResult) -> VerificationReport:
    return VerificationReport("t", "f", ("metrics",), ("catalog", "accounts"), results)


def test_the_fingerprint_ignores_what_changes_between_runs() -> None:
    first = "GET /x/3f2a1b4c-0d9e-4f3a-8b7c-6d5e4f3a2b1c took 1.73 s on port 41231"
    second = "GET /x/9b8a7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d took 2.05 s on port 39001"
    assert fingerprint(first) == fingerprint(second)
    assert fingerprint("family a_total") != fingerprint("family b_total")


def test_a_baselined_finding_does_not_fail_the_run_and_a_new_one_does(tmp_path: Path) -> None:
    known = _failed("catalog", "family nodejs_active_handles_total: non-counter metrics should not have _total")
    path = tmp_path / "baseline.yaml"
    assert write_baseline(path, [known], "prom-client's default family") == 1
    baseline = Baseline.load(path)
    marked, outcome = apply_baseline(_report(known), baseline)
    assert not marked.failed
    assert outcome.baselined == 1
    assert marked.results[0].findings[0].baselined == "prom-client's default family"
    new = _failed("accounts", "family sign_ins: counter metrics should have _total suffix")
    assert apply_baseline(_report(known, new), baseline)[0].failed


def test_a_baselined_finding_that_no_longer_occurs_is_reported_fixed(tmp_path: Path) -> None:
    path = tmp_path / "baseline.yaml"
    write_baseline(path, [_failed("catalog", "family x_ms: use base unit")], "known")
    marked, outcome = apply_baseline(_report(), Baseline.load(path))
    assert [e.observed for e in outcome.fixed] == ["family x_ms: use base unit"]
    assert marked.baseline_fixed == ("METRICS-LINT [catalog]: family x_ms: use base unit",)


def test_a_written_baseline_without_reasons_is_refused_until_each_entry_has_one(tmp_path: Path) -> None:
    path = tmp_path / "baseline.yaml"
    write_baseline(path, [_failed("catalog", "family x_ms: use base unit")])
    with pytest.raises(BaselineError) as info:
        Baseline.load(path)
    assert "findings[0].reason" in str(info.value)
    assert "a reason saying why the finding is accepted" in str(info.value)


def test_the_cli_writes_a_baseline_and_a_run_with_it_exits_0_naming_the_baselined(
    write_target: Callable[[str], Path], closed_port: int, tmp_path: Path
) -> None:
    target = write_target(f"services:\n  auth: {{base_url: 'http://127.0.0.1:{closed_port}'}}\n")
    baseline = tmp_path / "known.yaml"
    args = ["verify", "--target", str(target), "--area", "health", "--report-dir", str(tmp_path)]
    first = CliRunner().invoke(app, [*args, "--write-baseline", str(baseline), "--baseline-reason", "not deployed yet"])
    assert first.exit_code == 1, first.output
    assert "finding(s) written to" in first.output
    second = CliRunner().invoke(app, [*args, "--baseline", str(baseline)])
    assert second.exit_code == 0, second.output
    assert "(baselined: not deployed yet)" in second.output
    assert "baselined" in second.output.split("checks:", 1)[1]
    data = json.loads((tmp_path / "fleetcheck.json").read_text())
    assert data["summary"]["baselined"] > 0
