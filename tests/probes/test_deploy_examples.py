"""The deployment examples in probes/deploy/ run as written: their command lines are the CLI's, with only the paths
and the port put where this machine has them."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import yaml
from typer.testing import CliRunner

from fleetcheck.cli import app
from fleetcheck.fixtures._process import free_port
from fleetcheck.probes import default_probe_file, load_probe_file

if TYPE_CHECKING:
    from collections.abc import Callable

    from _stand_in import StandIn

_DEPLOY = Path(__file__).resolve().parents[2] / "probes" / "deploy"


def _exec_start() -> list[str]:
    for line in (_DEPLOY / "fleetcheck-probe.service").read_text(encoding="utf-8").splitlines():
        if line.startswith("ExecStart="):
            return shlex.split(line.removeprefix("ExecStart="))
    raise AssertionError("the unit has no ExecStart")


def _kubernetes() -> dict[str, dict[str, object]]:
    documents = yaml.safe_load_all((_DEPLOY / "kubernetes.yaml").read_text(encoding="utf-8"))
    return {str(d["kind"]): d for d in documents}


def _here(args: list[str], paths: dict[str, str]) -> list[str]:
    return [paths.get(a, a) for a in args]


def test_the_systemd_units_command_serves_metrics_and_stops_on_sigterm(
    stand_ins: Callable[[str], StandIn], target_of: Callable[[dict[str, str]], Path], tmp_path: Path
) -> None:
    command = _exec_start()
    assert command[0] == "/opt/fleetcheck/bin/fleetcheck"
    auth = stand_ins("auth")
    probes = tmp_path / "probes.yaml"
    probes.write_text((_DEPLOY.parent / "fleet.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    address = f"127.0.0.1:{free_port()}"
    paths = {"/etc/fleetcheck/target.yaml": str(target_of({"auth": auth.base_url})),
             "/etc/fleetcheck/probes.yaml": str(probes), "127.0.0.1:9115": address}  # fmt: skip
    binary = str(Path(sys.executable).parent / "fleetcheck")
    log = (tmp_path / "prober.log").open("w")
    process = subprocess.Popen([binary, *_here(command[1:], paths)], stdout=log, stderr=subprocess.STDOUT,
                               env={**os.environ, "CI": "true"})  # fmt: skip
    try:
        deadline, text = time.monotonic() + 30.0, ""
        while time.monotonic() < deadline and 'probe_success{check="health",service="auth"} 1.0' not in text:
            time.sleep(0.25)
            try:
                text = httpx.get(f"http://{address}/metrics", timeout=2.0).text
            except httpx.HTTPError:
                continue
        assert 'probe_success{check="health",service="auth"} 1.0' in text
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(15.0)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5.0)
            raise
        finally:
            log.close()
    assert code == 0, (tmp_path / "prober.log").read_text()


def test_the_kubernetes_cronjob_runs_one_cycle_and_its_exit_code_is_the_result(
    closed_port: int, target_of: Callable[[dict[str, str]], Path], tmp_path: Path
) -> None:
    kinds = _kubernetes()
    assert set(kinds) == {"ConfigMap", "Deployment", "Service", "CronJob"}
    config = kinds["ConfigMap"]["data"]
    assert isinstance(config, dict)
    probes = tmp_path / "probes.yaml"
    probes.write_text(config["probes.yaml"], encoding="utf-8")
    assert load_probe_file(probes).probes == default_probe_file().probes
    job = kinds["CronJob"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]  # type: ignore[index]
    args = job["containers"][0]["args"]
    target = target_of({"auth": f"http://127.0.0.1:{closed_port}"})
    paths = {"/etc/fleetcheck/target.yaml": str(target), "/etc/fleetcheck/probes.yaml": str(probes)}
    result = CliRunner().invoke(app, _here(args, paths))
    assert result.exit_code == 1, result.output  # the service is down: a failed probe, so a failed Job
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert {(line["check"], line["reason"]) for line in lines} == {
        ("health", "connect_error"),
        ("readiness", "connect_error"),
        ("metrics-lint", "connect_error"),
    }
    deployment = kinds["Deployment"]["spec"]["template"]["spec"]["containers"][0]  # type: ignore[index]
    assert deployment["args"][:3] == ["probe", "--listen", "0.0.0.0:9115"]
    assert deployment["readinessProbe"]["httpGet"]["path"] == "/-/healthy"
