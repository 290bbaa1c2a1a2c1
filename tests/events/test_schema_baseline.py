"""EVENTS-SCHEMA-EVOLUTION from the command line: `fleetcheck verify --schema-baseline DIR` compares an earlier
release's payload schemas with the current ones; no baseline means "not run", a bad one exit 2 with the path."""

from __future__ import annotations

import json
import shutil
from typing import TYPE_CHECKING

from typer.testing import CliRunner

from fleetcheck.cli import app
from fleetcheck.contracts.fleet import load_fleet
from fleetcheck.contracts.schemas.events import SCHEMA_DIR
from fleetcheck.events import observe_schema_changes

if TYPE_CHECKING:
    from pathlib import Path

runner = CliRunner()


def _verify(tmp_path: Path, *extra: str) -> tuple[int, str]:
    target = tmp_path / "target.yaml"  # no request is sent: the check compares files
    target.write_text('services:\n  master-data: {base_url: "http://127.0.0.1:9"}\n', encoding="utf-8")
    args = ["verify", "--target", str(target), "--check", "EVENTS-SCHEMA-EVOLUTION", "--service", "master-data"]
    result = runner.invoke(app, [*args, "--report-dir", str(tmp_path / "reports"), *extra])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def _baseline(tmp_path: Path) -> Path:
    baseline = tmp_path / "baseline"
    shutil.copytree(SCHEMA_DIR, baseline, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return baseline


def test_the_current_schemas_against_themselves_pass(tmp_path: Path) -> None:
    code, output = _verify(tmp_path, "--schema-baseline", str(_baseline(tmp_path)))
    assert code == 0, output
    report = json.loads((tmp_path / "reports" / "fleetcheck.json").read_text(encoding="utf-8"))
    [result] = report["results"]
    assert (result["check_id"], result["service"], result["outcome"]) == (
        "EVENTS-SCHEMA-EVOLUTION", "master-data", "passed"
    )  # fmt: skip


def test_a_field_that_became_required_since_the_baseline_fails_naming_field_and_rule(tmp_path: Path) -> None:
    baseline = _baseline(tmp_path)
    old = baseline / "master-data.customer.created.json"
    schema = json.loads(old.read_text(encoding="utf-8"))
    schema["required"].remove("name")  # the earlier release did not require it; the current one does
    old.write_text(json.dumps(schema), encoding="utf-8")
    code, output = _verify(tmp_path, "--schema-baseline", str(baseline))
    assert code == 1, output
    report = json.loads((tmp_path / "reports" / "fleetcheck.json").read_text(encoding="utf-8"))
    [result] = report["results"]
    assert result["outcome"] == "failed"
    [finding] = result["findings"]
    assert "'name'" in finding["observed"]
    assert "BACKWARD/no-new-required-field" in finding["observed"]
    assert "master-data.customer.created" in finding["expected"]


def test_a_missing_baseline_directory_exits_2_naming_it(tmp_path: Path) -> None:
    code, output = _verify(tmp_path, "--schema-baseline", str(tmp_path / "nowhere"))
    assert code == 2
    assert "nowhere" in output
    assert "expected a directory of <topic>.json payload schemas" in output


def test_a_baseline_file_that_is_not_json_exits_2_naming_the_file(tmp_path: Path) -> None:
    baseline = _baseline(tmp_path)
    (baseline / "auth.user.login.json").write_text("{not json", encoding="utf-8")
    code, output = _verify(tmp_path, "--schema-baseline", str(baseline))
    assert code == 2
    assert "auth.user.login.json" in output
    assert "expected a JSON Schema document" in output


def test_without_a_baseline_the_check_is_not_run_and_says_how_to_give_one() -> None:
    observed = observe_schema_changes(load_fleet(), ["master-data"], None)
    assert observed[("master-data", "schema-change")][0] == []
    assert "--schema-baseline DIR" in observed[("master-data", "schema-change")][1][0]


def test_each_produced_topic_the_baseline_has_is_one_change_judged() -> None:
    fleet = load_fleet()
    baseline = {"master-data.customer.created": {"type": "object"}, "auth.user.login": {"type": "object"}}
    changes, why = observe_schema_changes(fleet, ["master-data"], baseline)[("master-data", "schema-change")]
    assert [c.topic for c in changes] == ["master-data.customer.created"]
    assert why == []
    changes, why = observe_schema_changes(fleet, ["workflow"], baseline)[("workflow", "schema-change")]
    assert changes == []
    assert "nothing to compare" in why[0]
