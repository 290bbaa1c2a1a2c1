"""The observability area on the shared reference fleet: the shipped dashboards and rules pass against a real
Prometheus, and each mutant (a broken copy of them, or a scrape of the wrong path) fails its check, naming what
nobody exports. The mutants are files, not services: they run on the same fleet, each with a Prometheus of its own.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from fleetcheck.contracts.findings import Outcome
from fleetcheck.contracts.observability import ObservabilityFiles
from fleetcheck.contracts.registry import CHECKS, CheckContext, run_check
from fleetcheck.fixtures.prometheus import EmbeddedPrometheus
from fleetcheck.observability import DEFAULT_ALERTS, DEFAULT_DASHBOARDS, observe_observability
from fleetcheck.probe_exporter import prometheus_config

if TYPE_CHECKING:
    from pathlib import Path

    from conftest import MutationScore
    from fleetcheck.contracts.observability import ObservabilityObservation
    from fleetcheck.targets import Target

pytestmark = [
    pytest.mark.servers,
    pytest.mark.skipif(not EmbeddedPrometheus.available(), reason="Debian's prometheus package is not installed"),
]
SERVICES = ["auth", "master-data", "audit"]
_CHECK_IDS = ("OBSERVABILITY-SCRAPED", "OBSERVABILITY-DASHBOARD-DATA", "OBSERVABILITY-ALERT-RULES")
#: the RED board's first panel query, as the JSON file spells it
_RATE_BY_ROUTE = 'sum by (route) (rate(http_requests_total{service=\\"$service\\"}'


@dataclass(frozen=True)
class Mutant:
    name: str
    file: str  # under dashboards/ or alerts/
    old: str
    new: str
    check_id: str
    observed: str


MUTANTS = [
    Mutant("dashboard_misspelt_metric", "dashboards/service-red.json", "process_resident_memory_bytes{",
           "process_resident_memory{", "OBSERVABILITY-DASHBOARD-DATA",
           "no metric named process_resident_memory is scraped"),
    Mutant("panel_on_a_label_nobody_has", "dashboards/service-red.json", _RATE_BY_ROUTE,
           _RATE_BY_ROUTE.replace('\\"}', '\\", route_name=~\\".+\\"}'), "OBSERVABILITY-DASHBOARD-DATA",
           "http_requests_total has no label route_name"),
    Mutant("alert_on_a_misspelt_metric", "alerts/fleet.yml", "expr: outbox_pending_events > 100",
           "expr: outbox_pending_event > 100", "OBSERVABILITY-ALERT-RULES",
           "no metric named outbox_pending_event is scraped"),
    Mutant("alert_range_of_one_scrape", "alerts/fleet.yml", "increase(auth_account_lockouts_total[10m])",
           "increase(auth_account_lockouts_total[1s])", "OBSERVABILITY-ALERT-RULES",
           "range of 1 s holds fewer than two samples of a series scraped every 1 s"),
    Mutant("alert_test_expects_another_summary", "alerts/fleet.test.yml", '{summary: "30 accounts locked',
           '{summary: "3 accounts locked', "OBSERVABILITY-ALERT-RULES", "fleet.test.yml of fleet.yml to pass"),
]  # fmt: skip


def _copy(into: Path) -> ObservabilityFiles:
    shutil.copytree(DEFAULT_DASHBOARDS, into / "dashboards")
    shutil.copytree(DEFAULT_ALERTS[0].parent, into / "alerts")
    return ObservabilityFiles(into / "dashboards", tuple(into / "alerts" / p.name for p in DEFAULT_ALERTS))


def _judge(fleet: Target, check_id: str, service: str, observation: ObservabilityObservation) -> Any:
    return run_check(CHECKS[check_id], CheckContext(fleet.fleet.service(service), fleet.fleet), observation)


def test_the_shipped_dashboards_and_rules_pass_for_each_service(observed_fleet: Target) -> None:
    files = ObservabilityFiles(DEFAULT_DASHBOARDS, DEFAULT_ALERTS)
    observation = observe_observability(observed_fleet, SERVICES, files)
    for service in SERVICES:
        for check in _CHECK_IDS:
            result = _judge(observed_fleet, check, service, observation)
            assert result.outcome is Outcome.PASSED, (check, service, [f.observed for f in result.findings])
            assert result.judged >= 1
    # audit consumes events: the events board speaks for it; auth's lockout rule for auth alone
    assert any(p.dashboard == "Events and outbox" for p in observation.panels if p.service == "audit")
    assert {r.service for r in observation.rules if r.rule == "FleetLockoutSpike"} == {"auth"}


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_observability_mutant_is_caught_by_its_check(
    mutant: Mutant, observed_fleet: Target, tmp_path: Path, mutation_score: MutationScore
) -> None:
    files = _copy(tmp_path)
    path = tmp_path / mutant.file
    text = path.read_text(encoding="utf-8")
    assert mutant.old in text, f"the mutant's text is not in {mutant.file}"
    path.write_text(text.replace(mutant.old, mutant.new, 1), encoding="utf-8")
    observation = observe_observability(observed_fleet, SERVICES, files)
    result = _judge(observed_fleet, mutant.check_id, "auth", observation)
    killed = result.outcome is Outcome.FAILED
    mutation_score.record("observability", mutant.name, killed=killed)
    assert killed, f"{mutant.name} survived: {result.outcome.value} {result.reason}"
    messages = "\n".join(f"{f.expected} {f.observed}" for f in result.findings)
    assert mutant.observed in messages, messages


class _OwnPrometheus:
    """The fleet as a deployment with its own Prometheus (``prometheus.url``): every attribute the fleet's."""

    def __init__(self, fleet: Target, url: str) -> None:
        self._fleet, self.prometheus_url = fleet, url

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fleet, name)


def test_a_scrape_of_the_wrong_path_fails_scraped_with_prometheus_error(
    observed_fleet: Target, tmp_path: Path, mutation_score: MutationScore
) -> None:
    config = prometheus_config(observed_fleet, None, scrape_interval="1s")
    for job in config["scrape_configs"]:
        job["metrics_path"] = job["metrics_path"].replace("/metrics", "/metricz")
    prometheus = EmbeddedPrometheus.start(tmp_path, {}, config=config)
    try:
        deployed: Any = _OwnPrometheus(observed_fleet, prometheus.url)
        observation = _wait_for_a_scrape(deployed)
    finally:
        prometheus.close()
    result = _judge(observed_fleet, "OBSERVABILITY-SCRAPED", "auth", observation)
    killed = result.outcome is Outcome.FAILED
    mutation_score.record("observability", "scrape_of_the_wrong_path", killed=killed)
    assert killed, result.reason
    assert "404" in result.findings[0].observed


def _wait_for_a_scrape(deployed: Any) -> ObservabilityObservation:
    """The observation once Prometheus has scraped auth at least once (its health is no longer unknown)."""
    deadline = time.monotonic() + 20
    while True:
        observation = observe_observability(deployed, ["auth"], ObservabilityFiles())
        mine = [t for t in observation.targets if t.service == "auth"]
        if (mine and mine[0].health != "unknown") or time.monotonic() > deadline:
            return observation
        time.sleep(0.5)


def test_a_target_file_with_its_own_prometheus_and_files_is_verified_by_area_observability(
    observed_fleet: Target, tmp_path: Path
) -> None:
    import yaml

    from fleetcheck.runner import verify
    from fleetcheck.targets import TargetFile

    files = _copy(tmp_path)
    config = prometheus_config(observed_fleet, None, scrape_interval="1s")
    prometheus = EmbeddedPrometheus.start(tmp_path, {}, config=config)
    try:
        document = {
            "services": {name: {"base_url": observed_fleet.endpoints[name].base_url} for name in SERVICES},
            "prometheus": {"url": prometheus.url},
            "observability": {"dashboards": "dashboards", "alerts": [f"alerts/{p.name}" for p in files.alerts]},
        }
        (tmp_path / "target.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
        target = TargetFile.load(tmp_path / "target.yaml")
        assert target.observability.dashboards == tmp_path / "dashboards"
        _wait_for_a_scrape(_OwnPrometheus(observed_fleet, prometheus.url))
        time.sleep(3.0)  # three more scrapes (1 s apart): a rate() needs two samples in its window, as on a live one
        report = verify(target, areas=["observability"])
    finally:
        prometheus.close()
    outcomes = {(r.check_id, r.service): r.outcome for r in report.results if r.service in SERVICES}
    assert set(outcomes) == {(c, s) for c in _CHECK_IDS for s in SERVICES}
    assert {r.reason for r in report.results if r.service not in SERVICES} == {"not in the target file"}
    failed = [(r.check_id, r.service, [f.observed for f in r.findings]) for r in report.results if r.findings]
    assert set(outcomes.values()) == {Outcome.PASSED}, failed
