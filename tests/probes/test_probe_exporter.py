"""The prober's HTTP face and command line: blackbox-compatible families on /metrics and /probe, JSON lines and exit
codes of ``probe --once``, usage errors without a traceback, and a scrape configuration promtool accepts."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from dataclasses import replace
from typing import TYPE_CHECKING

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from fleetcheck.cli import app
from fleetcheck.probe_exporter import ProbeServer, parse_listen
from fleetcheck.probes import REASONS, ProbeFile, ProbeRunner, ProbeScheduler, ProbeStore, default_probe_file
from fleetcheck.targets import TargetFile

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from _stand_in import StandIn

    from fleetcheck.probes import ProbeResult

cli = CliRunner()


def _samples(text: str) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """family sample name -> {sorted labels: value}"""
    out: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return out


def _fast_spec() -> ProbeFile:
    """Every probe's first run within 0.5 s of the start (the jitter window), and none again during the test; a
    time-out roomy enough for a loaded machine (the healthy stand-in must not time out)."""
    spec = default_probe_file()
    return replace(spec, probes=tuple(replace(p, interval_s=5.0, timeout_s=4.0) for p in spec.probes))


def test_metrics_and_probe_speak_blackbox_families(
    stand_ins: Callable[[str], StandIn], closed_port: int, target_of: Callable[[dict[str, str]], Path]
) -> None:
    auth, broken = stand_ins("auth"), stand_ins("master-data")
    broken.mode = "error"
    urls = {"auth": auth.base_url, "master-data": broken.base_url, "workflow": f"http://127.0.0.1:{closed_port}"}
    target = TargetFile.load(target_of(urls))
    store, every_one = ProbeStore(), threading.Event()

    def on_result(_result: ProbeResult) -> None:
        if len(store.latest) == 9:
            every_one.set()

    with ProbeRunner(target, _fast_spec()) as runner:
        server = ProbeServer("127.0.0.1", 0, runner, store)
        scheduler = ProbeScheduler(runner, store, on_result=on_result)
        server.start()
        scheduler.start()
        try:
            assert every_one.wait(20.0), f"not every probe ran: {sorted(store.latest)}"
            scrape = httpx.get(f"{server.url}/metrics", timeout=10.0)
            probe = httpx.get(f"{server.url}/probe", params={"target": "auth", "module": "readiness"}, timeout=10.0)
            single = httpx.get(f"{server.url}/probe", params={"target": "master-data", "module": "HEALTH-ENDPOINTS"})
            unknown_target = httpx.get(f"{server.url}/probe", params={"target": "nope", "module": "readiness"})
            unknown_module = httpx.get(f"{server.url}/probe", params={"target": "auth", "module": "HEALTH-BOOT"})
        finally:
            scheduler.stop()
            server.close()
    assert scrape.status_code == 200
    assert scrape.headers["content-type"].startswith("text/plain; version=")
    samples = _samples(scrape.text)
    success = samples["probe_success"]
    assert success[(("check", "readiness"), ("service", "auth"))] == 1.0
    assert success[(("check", "readiness"), ("service", "master-data"))] == 0.0
    assert success[(("check", "health"), ("service", "workflow"))] == 0.0
    assert samples["probe_http_status_code"][(("check", "readiness"), ("service", "master-data"))] == 500.0
    assert samples["probe_http_status_code"][(("check", "readiness"), ("service", "workflow"))] == 0.0
    assert (("check", "health"), ("service", "auth")) in samples["probe_duration_seconds"]
    stamps = samples["fleetcheck_probe_last_success_timestamp_seconds"]
    assert (("check", "health"), ("service", "auth")) in stamps
    assert not any(dict(k)["service"] != "auth" for k in stamps), "only a probe that passed has a success time"
    reasons = samples["fleetcheck_probe_reason"]
    for service, expected in (("auth", "ok"), ("master-data", "http_status"), ("workflow", "connect_error")):
        states = {dict(k)["reason"]: v for k, v in reasons.items() if dict(k)["service"] == service
                  and dict(k)["check"] == "readiness"}  # fmt: skip
        assert set(states) == set(REASONS)
        assert [r for r, v in states.items() if v == 1.0] == [expected]
    assert any(dict(k)["outcome"] == "passed" for k in samples["fleetcheck_probe_runs_total"])
    # blackbox's multi-target form: the same families, unlabelled, for one probe run now
    assert probe.status_code == 200
    assert _samples(probe.text)["probe_success"] == {(): 1.0}
    assert _samples(single.text)["probe_success"] == {(): 0.0}
    assert _samples(single.text)["probe_http_status_code"] == {(): 500.0}
    assert unknown_target.status_code == 400
    assert "expected a service of the target" in unknown_target.text
    assert unknown_module.status_code == 400
    assert "HEALTH-BOOT" in unknown_module.text


def test_probe_once_prints_json_lines_and_exits_0_when_every_probe_passed(
    stand_ins: Callable[[str], StandIn], target_of: Callable[[dict[str, str]], Path]
) -> None:
    auth = stand_ins("auth")
    result = cli.invoke(app, ["probe", "--once", "--target", str(target_of({"auth": auth.base_url}))])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert {(line["service"], line["check"], line["outcome"]) for line in lines} == {
        ("auth", "health", "passed"),
        ("auth", "readiness", "passed"),
        ("auth", "metrics-lint", "passed"),
    }
    assert all(line["checks"] and line["success"] for line in lines)


def test_probe_once_exits_1_when_a_probe_failed(
    stand_ins: Callable[[str], StandIn], target_of: Callable[[dict[str, str]], Path]
) -> None:
    auth, broken = stand_ins("auth"), stand_ins("audit")
    broken.mode = "error"
    target = target_of({"auth": auth.base_url, "audit": broken.base_url})
    result = cli.invoke(app, ["probe", "--once", "--target", str(target)])
    assert result.exit_code == 1, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    failed = {(line["service"], line["reason"]) for line in lines if not line["success"]}
    assert failed == {("audit", "http_status")}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["probe"], "give exactly one of --once or --listen"),
        (["probe", "--once", "--listen", "127.0.0.1:9115"], "give exactly one of --once or --listen"),
        (["probe", "--listen", "localhost"], "expected HOST:PORT"),
        (["probe", "--once", "--probes", "/nonexistent/probes.yaml"], "no such probe file"),
        (["probe", "--once", "--service", "payroll"], "unknown service payroll"),
    ],
)
def test_probe_usage_errors_exit_2_without_a_traceback(args: list[str], expected: str) -> None:
    result = cli.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert "Traceback" not in result.output


def test_a_malformed_probe_file_on_the_command_line_exits_2_naming_the_key(
    tmp_path: Path, target_of: Callable[[dict[str, str]], Path]
) -> None:
    bad = tmp_path / "probes.yaml"
    bad.write_text("probes:\n  readiness:\n    checks: [HEALTH-READY-RECOVERS]\n", encoding="utf-8")
    target = target_of({"auth": "http://127.0.0.1:1"})
    result = cli.invoke(app, ["probe", "--once", "--probes", str(bad), "--target", str(target)])
    assert result.exit_code == 2
    assert f"{bad}: probes.readiness.checks[0]: HEALTH-READY-RECOVERS needs a 'fault' observation" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("value", ["127.0.0.1", "127.0.0.1:0", ":9115", "127.0.0.1:99999", "127.0.0.1:x"])
def test_parse_listen_refuses_what_is_not_host_port(value: str) -> None:
    with pytest.raises(ValueError, match="expected HOST:PORT"):
        parse_listen(value)


@pytest.mark.skipif(shutil.which("promtool") is None, reason="Debian's prometheus package (promtool) is not installed")
def test_prometheus_config_is_valid_for_promtool(tmp_path: Path, target_of: Callable[[dict[str, str]], Path]) -> None:
    target = target_of({"auth": "http://127.0.0.1:3001", "audit": "http://127.0.0.1:3013"})
    out = tmp_path / "prometheus.yml"
    args = ["prometheus-config", "--prober", "127.0.0.1:9115", "--target", str(target), "--out", str(out),
            "--module", "readiness", "--module", "HEALTH-ENDPOINTS"]  # fmt: skip
    result = cli.invoke(app, args)
    assert result.exit_code == 0, result.output
    config = yaml.safe_load(out.read_text(encoding="utf-8"))
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    probe_jobs = {"fleetcheck-probe-readiness", "fleetcheck-probe-HEALTH-ENDPOINTS"}
    assert set(jobs) == {"fleet", "fleetcheck-prober", *probe_jobs}
    assert jobs["fleet"]["static_configs"] == [
        {"targets": ["127.0.0.1:3001"], "labels": {"service": "auth"}},
        {"targets": ["127.0.0.1:3013"], "labels": {"service": "audit"}},
    ]
    assert jobs["fleetcheck-prober"]["honor_labels"] is True
    assert jobs["fleetcheck-probe-readiness"]["params"] == {"module": ["readiness"]}
    checked = subprocess.run(["promtool", "check", "config", str(out)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_prometheus_config_refuses_an_unknown_module(target_of: Callable[[dict[str, str]], Path]) -> None:
    target = target_of({"auth": "http://127.0.0.1:3001"})
    result = cli.invoke(app, ["prometheus-config", "--prober", "127.0.0.1:9115", "--target", str(target),
                              "--module", "HEALTH-BOOT"])  # fmt: skip
    assert result.exit_code == 2
    assert "unknown module 'HEALTH-BOOT'" in result.output
    assert "Traceback" not in result.output


PUSHGATEWAY = "/usr/bin/prometheus-pushgateway"


@pytest.mark.skipif(shutil.which(PUSHGATEWAY) is None, reason="Debian's prometheus-pushgateway is not installed")
def test_probe_once_pushes_the_cycle_to_a_real_pushgateway(
    stand_ins: Callable[[str], StandIn], target_of: Callable[[dict[str, str]], Path], tmp_path: Path
) -> None:
    from fleetcheck.fixtures._process import ManagedProcess, free_port

    auth, broken = stand_ins("auth"), stand_ins("audit")
    broken.mode = "error"
    target = target_of({"auth": auth.base_url, "audit": broken.base_url})
    port = free_port()
    gateway = ManagedProcess.spawn("Pushgateway", [PUSHGATEWAY, f"--web.listen-address=127.0.0.1:{port}"], port=port,
                                   log_path=tmp_path / "pushgateway.log", timeout=30.0)  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        gateway.wait_ready(lambda: httpx.get(f"{url}/-/ready", timeout=1.0).status_code == 200, timeout=30.0)
        result = cli.invoke(app, ["probe", "--once", "--target", str(target), "--push", url, "--push-job", "nightly"])
        assert result.exit_code == 1, result.output  # audit answers 500: the pushed run failed
        samples = _samples(httpx.get(f"{url}/metrics", timeout=10.0).text)
    finally:
        gateway.terminate()
    success = {(dict(k)["service"], dict(k)["check"]): v for k, v in samples["probe_success"].items()
               if dict(k).get("job") == "nightly"}  # fmt: skip
    assert success[("auth", "readiness")] == 1.0
    assert success[("audit", "readiness")] == 0.0
    assert len(success) == 6


def test_probe_once_push_to_nothing_exits_3_after_printing_the_results(
    stand_ins: Callable[[str], StandIn], target_of: Callable[[dict[str, str]], Path], closed_port: int
) -> None:
    auth = stand_ins("auth")
    target = target_of({"auth": auth.base_url})
    result = cli.invoke(app, ["probe", "--once", "--target", str(target), "--push", f"http://127.0.0.1:{closed_port}"])
    assert result.exit_code == 3
    assert f"Pushgateway at http://127.0.0.1:{closed_port} failed" in result.output
    assert len([line for line in result.stdout.splitlines() if line.startswith("{")]) == 3
    assert "Traceback" not in result.output


def test_push_without_once_is_a_usage_error() -> None:
    result = cli.invoke(app, ["probe", "--listen", "127.0.0.1:9115", "--push", "http://127.0.0.1:9091"])
    assert result.exit_code == 2
    assert "--push goes with --once" in result.output
