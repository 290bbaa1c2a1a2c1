"""The prober in the loop, on the real reference fleet: ``fleetcheck probe --listen`` as a process, Debian's
Prometheus scraping it and the fleet with the configuration ``fleetcheck prometheus-config`` wrote, and PostgreSQL
(or one service) frozen through the fleet's own hooks. What Prometheus stores is what is asserted (queried with
prometheus-api-client, its alerts read from ``/api/v1/alerts``), so the whole path is real: service -> prober ->
exposition -> scrape -> query -> rule -> alert. The probes dashboard (``dashboards/prober/``) and the shipped alert
rules are judged by ``fleetcheck verify --area observability`` against that Prometheus, as a user would judge theirs.

The fleet is the session's shared reference fleet (the plugin's ``fleet_target``, also used by tests/contract and
tests/conformance: conftest.py puts the three folders in one xdist group), so this starts no fleet of its own.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from fleetcheck.cli import app
from fleetcheck.fixtures._process import free_port
from fleetcheck.fixtures.prometheus import EmbeddedPrometheus
from fleetcheck.reference import ReferenceFleet

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from prometheus_api_client import PrometheusConnect

    from fleetcheck.targets import Target

pytestmark = pytest.mark.servers

_REPO = Path(__file__).resolve().parents[2]
READINESS_INTERVAL_S = 5.0
SCRAPE_INTERVAL_S = 1.0
_PROBES = f"""
defaults: {{timeout_s: 4, jitter: 0.1, concurrency: 8}}
probes:
  readiness:
    checks: [HEALTH-ENDPOINTS, HEALTH-READY-LISTS-DEPS]
    endpoints: [ready]
    interval_s: {READINESS_INTERVAL_S:g}
  health:
    checks: [HEALTH-ENDPOINTS, HEALTH-SHAPE, HEALTH-SERVICE-NAME]
    endpoints: [health, live]
    interval_s: 10
"""


def _fleetcheck() -> str:
    found = Path(sys.executable).parent / "fleetcheck"
    return str(found) if found.exists() else (shutil.which("fleetcheck") or "fleetcheck")


@pytest.fixture
def reference(fleet_target: Target, close_with_group: Callable[[str, Callable[[], None]], None]) -> ReferenceFleet:
    if not isinstance(fleet_target, ReferenceFleet):
        pytest.skip("freezes PostgreSQL through the reference fleet's own fault hook: runs on the reference fleet only")
    close_with_group(__file__, fleet_target.close)  # the shared fleet stops after its group's last test
    if not EmbeddedPrometheus.available():
        pytest.skip("Debian's prometheus package is not installed (scripts/test installs it)")
    if "postgres" not in fleet_target.fault_hooks:
        pytest.skip("the PostgreSQL backend in use is external and offers no fault hook")
    return fleet_target


@pytest.fixture
def prober(reference: ReferenceFleet, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``fleetcheck probe --listen`` on a free loopback port, against a target file of the running fleet."""
    target = tmp_path / "target.yaml"
    services = {name: {"base_url": e.base_url} for name, e in reference.endpoints.items()}
    target.write_text(yaml.safe_dump({"services": services}), encoding="utf-8")
    probes = tmp_path / "probes.yaml"
    probes.write_text(_PROBES, encoding="utf-8")
    address = f"127.0.0.1:{free_port()}"
    log = (tmp_path / "prober.log").open("w")
    command = [_fleetcheck(), "probe", "--listen", address, "--target", str(target), "--probes", str(probes)]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "CI": "true"})
    try:
        _wait_for(lambda: _answers(f"http://{address}/metrics"), 30.0, "the prober to serve /metrics", tmp_path)
        yield address, target
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15.0)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5.0)
        log.close()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def _wait_for(condition: Callable[[], object], timeout_s: float, what: str, logs: Path | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    tail = (logs / "prober.log").read_text()[-2000:] if logs and (logs / "prober.log").exists() else ""
    pytest.fail(f"waited {timeout_s:g} s for {what}; prober log tail:\n{tail}")


def _readiness(prometheus: PrometheusConnect) -> dict[str, float]:
    rows = prometheus.custom_query('probe_success{job="fleetcheck-prober", check="readiness"}')
    return {row["metric"]["service"]: float(row["value"][1]) for row in rows}


def test_readiness_probes_turn_0_when_postgres_freezes_and_1_after(
    reference: ReferenceFleet, prober: tuple[str, Path], tmp_path: Path
) -> None:
    from prometheus_api_client import PrometheusConnect

    address, target = prober
    config = _prometheus_of(address, target, tmp_path, modules=("readiness",))
    services = sorted(reference.endpoints)
    dependents = sorted(s for s in services if "postgres" in {d.name for d in reference.fleet.service(s).depends_on})
    others = sorted(set(services) - set(dependents))
    assert dependents, "the reference fleet declares no service on PostgreSQL"
    server = EmbeddedPrometheus.start(tmp_path, {}, config=config)
    hook = reference.fault_hooks["postgres"]
    frozen = False
    try:
        prometheus = PrometheusConnect(url=server.url, disable_ssl=True)
        expected_targets = 2 * len(services) + 1  # each service's /metrics, its /probe job, and the prober
        _wait_for(
            lambda: (
                len(ups := prometheus.custom_query("up")) == expected_targets
                and all(float(u["value"][1]) == 1.0 for u in ups)
            ),
            60.0,
            f"Prometheus to see all {expected_targets} targets up == 1",
        )
        _wait_for(
            lambda: _readiness(prometheus) == dict.fromkeys(services, 1.0),
            3 * READINESS_INTERVAL_S + 10.0,
            "every readiness probe to pass before the freeze",
        )
        hook.inject("freeze")
        frozen = True
        # two probe intervals, plus the scrape and the rule of one sample's lag on each side
        bound_s = 2 * READINESS_INTERVAL_S + 2 * SCRAPE_INTERVAL_S
        seen: dict[str, float] = {}

        def dependents_down() -> bool:
            seen.update(_readiness(prometheus))
            return all(seen.get(s) == 0.0 for s in dependents)

        _wait_for(dependents_down, bound_s, f"probe_success 0 for readiness of {', '.join(dependents)}")
        # a service that does not depend on PostgreSQL stays ready: the prober does not fail everything
        assert {s: seen[s] for s in others} == dict.fromkeys(others, 1.0), seen
        # why: a 503 from ready (http_status), or on a loaded machine no answer within the probe's time-out (timeout);
        # never a prober that could not reach the service at all
        reasons = prometheus.custom_query('fleetcheck_probe_reason{job="fleetcheck-prober", check="readiness"} == 1')
        why = {r["metric"]["service"]: r["metric"]["reason"] for r in reasons}
        assert {s: why.get(s) for s in dependents if why.get(s) not in {"http_status", "timeout"}} == {}, why
        hook.restore("freeze")
        frozen = False
        recovery_s = reference.settings.recovery_bound_s + 2 * READINESS_INTERVAL_S + 2 * SCRAPE_INTERVAL_S
        _wait_for(
            lambda: _readiness(prometheus) == dict.fromkeys(services, 1.0),
            recovery_s,
            "every readiness probe to pass again after the thaw",
        )
        # the blackbox-style job saw the same: one /probe per service through the same prober
        probed = prometheus.custom_query('probe_success{job="fleetcheck-probe-readiness"}')
        assert {r["metric"]["service"] for r in probed} == set(services)
    finally:
        if frozen:
            hook.restore("freeze")
        server.close()


def _prometheus_of(
    address: str, target: Path, tmp_path: Path, *rule_files: Path, modules: tuple[str, ...] = ()
) -> dict[str, object]:
    """The configuration ``fleetcheck prometheus-config`` writes for the prober and the fleet."""
    config_file = tmp_path / "prometheus.yml"
    extra = [arg for path in rule_files for arg in ("--rule-file", str(path))]
    extra += [arg for module in modules for arg in ("--module", module)]
    written = CliRunner().invoke(app, ["prometheus-config", "--prober", address, "--target", str(target),
                                       "--scrape-interval", f"{SCRAPE_INTERVAL_S:g}s", *extra,
                                       "--out", str(config_file)])  # fmt: skip
    assert written.exit_code == 0, written.output
    loaded: dict[str, object] = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    return loaded


def _alerts(url: str) -> dict[tuple[str, str], str]:
    """Prometheus's pending and firing alerts: (alert name, service) -> state (a resolved alert is not listed)."""
    body = httpx.get(f"{url}/api/v1/alerts", timeout=5.0).json()
    assert body["status"] == "success", body
    return {(a["labels"]["alertname"], a["labels"].get("service", "")): a["state"] for a in body["data"]["alerts"]}


#: frozen to make alerts fire: it produces events but consumes none, and no other service calls it, so a minute
#: without it disturbs no other service of the shared fleet
_FROZEN = "configuration"
_FIRING = {("FleetServiceDown", _FROZEN), ("FleetcheckProbeFailing", _FROZEN)}


def test_the_probes_dashboard_has_data_and_alerts_fire_when_a_service_is_frozen_and_resolve_after(
    reference: ReferenceFleet, prober: tuple[str, Path], tmp_path: Path
) -> None:
    from prometheus_api_client import PrometheusConnect

    address, target = prober
    rule_files = (_REPO / "alerts" / "http.yml", _REPO / "alerts" / "probes.yml")
    config = _prometheus_of(address, target, tmp_path, *rule_files)
    services = sorted(reference.endpoints)
    server = EmbeddedPrometheus.start(tmp_path, {}, config=config)
    process = reference.running.process(_FROZEN)
    frozen = False
    try:
        prometheus = PrometheusConnect(url=server.url, disable_ssl=True)
        _wait_for(
            lambda: _readiness(prometheus) == dict.fromkeys(services, 1.0),
            3 * READINESS_INTERVAL_S + 30.0,
            "every readiness probe to pass in Prometheus",
        )
        # a rate over the board's 1m window needs two samples of it: a Prometheus of a few seconds has fewer
        scraped = 'count_over_time(up{job="fleetcheck-prober"}[1m]) >= 3'
        _wait_for(lambda: prometheus.custom_query(scraped), 30.0, "three scrapes of the prober")
        # the dashboard and rules, judged the way a user judges theirs: a target file naming this Prometheus
        judged = tmp_path / "observed.yaml"
        observed = yaml.safe_load(target.read_text(encoding="utf-8")) | {"prometheus": {"url": server.url}}
        judged.write_text(yaml.safe_dump(observed), encoding="utf-8")
        report = tmp_path / "report.json"
        verified = CliRunner().invoke(app, ["verify", "--target", str(judged), "--area", "observability",
                                            "--dashboards", str(_REPO / "dashboards" / "prober"),
                                            *[a for p in rule_files for a in ("--alerts", str(p))],
                                            "--json", str(report), "--report-dir", str(tmp_path)])  # fmt: skip
        results = json.loads(report.read_text(encoding="utf-8"))["results"]
        outcomes = {(r["check_id"], r["service"]): r["outcome"] for r in results}
        failed = {
            (r["check_id"], r["service"]): [f["observed"] for f in r["findings"]] or r["reason"]
            for r in results
            if r["outcome"] != "passed"
        }
        assert verified.exit_code == 0, (verified.output[-300:], failed)
        for check in ("OBSERVABILITY-DASHBOARD-DATA", "OBSERVABILITY-ALERT-RULES"):
            assert {s: outcomes.get((check, s)) for s in services} == dict.fromkeys(services, "passed"), failed
        panels = {r["service"]: r["judged"] for r in results if r["check_id"] == "OBSERVABILITY-DASHBOARD-DATA"}
        assert set(panels.values()) == {7}, panels  # the board's seven panel queries, for each service

        assert not _FIRING & set(_alerts(server.url)), _alerts(server.url)
        process.freeze()
        frozen = True
        # each alert's for: 1m, plus two probe intervals, scrapes, rule evaluations and the scrape time-out
        fire_s = 60.0 + 2 * READINESS_INTERVAL_S + 10 * SCRAPE_INTERVAL_S + 15.0
        states: dict[tuple[str, str], str] = {}

        def firing() -> bool:
            states.update(_alerts(server.url))
            return all(states.get(a) == "firing" for a in _FIRING)

        _wait_for(firing, fire_s, f"{' and '.join(a for a, _ in sorted(_FIRING))} to fire for {_FROZEN}")
        # only the frozen service is down: no other service's FleetServiceDown, and not the prober's
        down = sorted(s for (a, s), _state in states.items() if a == "FleetServiceDown")
        assert down == [_FROZEN], states
        process.thaw()
        frozen = False
        resolve_s = reference.settings.recovery_bound_s + 2 * READINESS_INTERVAL_S + 10 * SCRAPE_INTERVAL_S
        _wait_for(lambda: not _FIRING & set(_alerts(server.url)), resolve_s, f"the alerts of {_FROZEN} to resolve")
    finally:
        if frozen:
            process.thaw()
        server.close()
