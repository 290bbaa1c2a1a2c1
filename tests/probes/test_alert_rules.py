"""The alert rules that ship (alerts/probes.yml): promtool accepts them, their promtool unit tests pass, every
metric they use is one the prober exports (read from a real /metrics), and prometheus-config loads them."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from fleetcheck.cli import app
from fleetcheck.probe_exporter import ProbeServer
from fleetcheck.probes import ProbeRunner, ProbeScheduler, ProbeStore, default_probe_file
from fleetcheck.targets import TargetFile

if TYPE_CHECKING:
    from collections.abc import Callable

    from _stand_in import StandIn

_ALERTS = Path(__file__).resolve().parents[2] / "alerts"
_PROMTOOL = shutil.which("promtool")
pytestmark = pytest.mark.skipif(_PROMTOOL is None, reason="Debian's prometheus package (promtool) is not installed")
#: series Prometheus itself makes for every target
_PROMETHEUS_OWN = {"up"}


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    assert _PROMTOOL is not None
    return subprocess.run([_PROMTOOL, *args], capture_output=True, text=True, timeout=60, cwd=_ALERTS, check=False)


def test_the_rules_pass_promtool_check_and_their_unit_tests() -> None:
    checked = _promtool("check", "rules", "probes.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 3 rules found" in checked.stdout
    tested = _promtool("test", "rules", "probes.test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr


def _metric_names(expr: str) -> set[str]:
    """Metric names an expression selects: identifiers followed by a label matcher."""
    return set(re.findall(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\{", expr))


def test_every_metric_the_rules_use_is_exported_by_the_prober(
    stand_ins: Callable[[str], StandIn], target_of: Callable[[dict[str, str]], Path]
) -> None:
    rules = yaml.safe_load((_ALERTS / "probes.yml").read_text(encoding="utf-8"))
    used = {name for group in rules["groups"] for rule in group["rules"] for name in _metric_names(rule["expr"])}
    auth = stand_ins("auth")
    target = TargetFile.load(target_of({"auth": auth.base_url}))
    store, ran = ProbeStore(), threading.Event()
    with ProbeRunner(target, default_probe_file()) as runner:
        scheduler = ProbeScheduler(runner, store, on_result=lambda _r: ran.set() if len(store.latest) == 3 else None)
        server = ProbeServer("127.0.0.1", 0, runner, store)
        server.start()
        scheduler.start()
        try:
            assert ran.wait(20.0), "the three probes did not run"
            text = httpx.get(f"{server.url}/metrics", timeout=10.0).text
        finally:
            scheduler.stop()
            server.close()
    exported = {sample.name for family in text_string_to_metric_families(text) for sample in family.samples}
    assert used, "no metric found in the rules' expressions"
    assert used - _PROMETHEUS_OWN <= exported, f"used but not exported: {sorted(used - _PROMETHEUS_OWN - exported)}"


def test_prometheus_config_loads_the_rule_files(tmp_path: Path, target_of: Callable[[dict[str, str]], Path]) -> None:
    out = tmp_path / "prometheus.yml"
    target = target_of({"auth": "http://127.0.0.1:3001"})
    result = CliRunner().invoke(app, ["prometheus-config", "--prober", "127.0.0.1:9115", "--target", str(target),
                                      "--rule-file", str(_ALERTS / "probes.yml"), "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(out.read_text(encoding="utf-8"))["rule_files"] == [str(_ALERTS / "probes.yml")]
    checked = _promtool("check", "config", str(out))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 3 rules found" in checked.stdout
