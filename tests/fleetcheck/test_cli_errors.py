"""User mistakes on the command line give one clear paragraph and exit 2, never a traceback."""

from __future__ import annotations

from typing import TYPE_CHECKING

from typer.testing import CliRunner

from fleetcheck.cli import app

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_bad_url_in_target_file_exits_2_with_the_key(write_target: Callable[[str], Path], tmp_path: Path) -> None:
    path = write_target("services:\n  auth: {base_url: 'localhost:3001'}\n")
    code, output = _run("verify", "--target", str(path), "--report-dir", str(tmp_path))
    assert code == 2
    assert "services.auth.base_url: Value error, must be an http:// or https:// URL" in output
    assert "Traceback" not in output


def test_missing_key_in_target_file_exits_2(write_target: Callable[[str], Path], tmp_path: Path) -> None:
    path = write_target("credentials: {}\n")
    code, output = _run("verify", "--target", str(path), "--report-dir", str(tmp_path))
    assert code == 2
    assert "services: Field required" in output
    assert "Traceback" not in output


def test_bad_fleet_file_exits_2(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text("name: x\nservices: [{name: a, port: abc}]\n")
    code, output = _run("verify", "--fleet", str(fleet))
    assert code == 2
    assert "invalid fleet file" in output
    assert "Traceback" not in output


def test_unknown_area_exits_2_naming_the_allowed_areas() -> None:
    code, output = _run("verify", "--area", "healthz")
    assert code == 2
    assert "unknown area healthz; allowed: " in output
    assert "health" in output.split("allowed: ", 1)[1]


def test_unknown_service_exits_2_naming_the_fleet_services(write_target: Callable[[str], Path], tmp_path: Path) -> None:
    path = write_target("services:\n  auth: {base_url: 'http://127.0.0.1:1'}\n")
    code, output = _run("verify", "--target", str(path), "--service", "billing", "--report-dir", str(tmp_path))
    assert code == 2
    assert "unknown service billing; the fleet erp-bd declares: auth, master-data" in output


def test_checks_lists_the_catalogue() -> None:
    code, output = _run("checks")
    assert code == 0
    assert "HEALTH-ENDPOINTS" in output


def test_a_dashboards_folder_or_rule_file_that_cannot_be_read_exits_2_before_anything_starts(tmp_path: Path) -> None:
    code, output = _run("verify", "--dashboards", str(tmp_path / "none"), "--area", "observability")
    assert code == 2
    assert "Pass an existing folder to --dashboards" in output
    (tmp_path / "rules.yml").write_text("groups: 5\n")
    code, output = _run("verify", "--alerts", str(tmp_path / "rules.yml"), "--area", "observability")
    assert code == 2
    assert "expected a Prometheus rule file, a mapping with a groups list" in output
    assert "Traceback" not in output
