"""``fleetcheck verify`` against services it did not write: a real Prometheus server, a closed port, and a tiny
service whose dependency a target file's shell fault hook breaks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from fleetcheck.contracts.findings import Outcome
from fleetcheck.fixtures.prometheus import EmbeddedPrometheus
from fleetcheck.runner import verify
from fleetcheck.targets import TargetFile

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from _tiny_service import TinyService

pytestmark = pytest.mark.servers
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def prometheus(tmp_path: Path) -> Iterator[EmbeddedPrometheus]:
    if not EmbeddedPrometheus.available():
        pytest.skip("the prometheus binary is not installed (Debian package prometheus)")
    server = EmbeddedPrometheus.start(tmp_path, {})
    try:
        yield server
    finally:
        server.close()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CI": "true", "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "fleetcheck", *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def test_verify_of_prometheus_and_a_closed_port_reports_findings_and_exits_1(
    prometheus: EmbeddedPrometheus, closed_port: int, write_target: Callable[[str], Path], tmp_path: Path
) -> None:
    target = write_target(
        f"services:\n  auth: {{base_url: '{prometheus.url}'}}\n"
        f"  master-data: {{base_url: 'http://127.0.0.1:{closed_port}'}}\n"
    )
    done = _cli("verify", "--target", str(target), "--report-dir", str(tmp_path / "reports"))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "✗ HEALTH-ENDPOINTS [auth]" in done.stdout
    assert "GET /health answered 404 while every dependency was up" in done.stdout

    report = json.loads((tmp_path / "reports" / "fleetcheck.json").read_text())
    results = {(r["check_id"], r["service"]): r for r in report["results"]}
    assert results[("HEALTH-ENDPOINTS", "auth")]["outcome"] == "failed"
    unreachable = results[("HEALTH-ENDPOINTS", "master-data")]
    assert unreachable["outcome"] == "failed"
    assert any("ConnectError" in json.dumps(f) for f in unreachable["findings"])
    assert results[("HEALTH-ENDPOINTS", "workflow")]["outcome"] == "not_run"
    assert results[("HEALTH-ENDPOINTS", "workflow")]["reason"] == "not in the target file"
    assert results[("HEALTH-READY-REFLECTS-DEPS", "auth")]["reason"] == (
        "needs a fault hook for kafka (mode stop); the target file has none: add faults.kafka.stop/start; "
        "needs a fault hook for kafka (mode freeze); the target file has none: add faults.kafka.freeze/thaw; "
        "needs a fault hook for postgres (mode stop); the target file has none: add faults.postgres.stop/start; "
        "needs a fault hook for postgres (mode freeze); the target file has none: add faults.postgres.freeze/thaw"
    )

    junit = ET.parse(tmp_path / "reports" / "junit.xml").getroot()
    names = {case.get("name") for case in junit.iter("testcase")}
    assert "HEALTH-ENDPOINTS[auth]" in names


def test_fault_checks_run_through_the_target_files_shell_hook_and_restore(
    tiny: TinyService, write_target: Callable[[str], Path], tmp_path: Path
) -> None:
    marker = tmp_path / "postgres-is-down"
    tiny.broken_file = marker
    target = TargetFile.load(
        write_target(
            f"services:\n  auth: {{base_url: '{tiny.base_url}'}}\n"
            f"faults:\n  postgres: {{stop: 'touch {marker}', start: 'rm -f {marker}'}}\n"
        )
    )
    report = verify(target, areas=["health"], services=["auth"])
    results = {r.check_id: r for r in report.results}
    reflects = results["HEALTH-READY-REFLECTS-DEPS"]
    assert reflects.outcome is not Outcome.NOT_RUN
    assert "needs a fault hook for postgres (mode freeze)" in reflects.reason
    assert "needs a fault hook for kafka (mode stop)" in reflects.reason
    # the tiny service reports postgres down while the marker exists: no finding may name postgres for this check
    assert not [f for f in reflects.findings if "postgres" in f.observed], reflects.findings
    assert results["HEALTH-READY-RECOVERS"].outcome is Outcome.PASSED
    assert not marker.exists()


def test_verify_profile_prints_each_phase_and_the_json_report_holds_the_same_figures(
    prometheus: EmbeddedPrometheus, write_target: Callable[[str], Path], tmp_path: Path
) -> None:
    target = write_target(f"services:\n  auth: {{base_url: '{prometheus.url}'}}\n")
    args = ["verify", "--target", str(target), "--area", "health", "--area", "metrics", "--profile"]
    done = _cli(*args, "--report-dir", str(tmp_path / "reports"))
    assert "Traceback" not in done.stdout + done.stderr
    assert "where the run went" in done.stdout

    phases = json.loads((tmp_path / "reports" / "fleetcheck.json").read_text())["phases"]
    names = [p["phase"] for p in phases]
    assert (names[0], names[-2:]) == ("start", ["judge", "stop"])
    assert {"read", "traffic"} <= set(names)  # the phases these two areas need, in the order they ran
    for phase in phases:
        assert min(phase["wall_s"], phase["cpu_s"]) >= 0
        row = next(line for line in done.stdout.splitlines() if line.strip("│ ").startswith(phase["phase"] + " "))
        assert f"{phase['wall_s']:.1f}" in row
