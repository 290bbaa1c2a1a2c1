"""fleetcheck aimed at servers nobody here wrote: ``fleetcheck init --discover`` writes the fleet and target files
for etcd, Prometheus, Alertmanager and two exporters, and ``verify`` runs them unedited.

The claim is exact: every failure is a real deviation of the server from the contract fleetcheck holds it to, said
in ``REAL_FAILURES`` with the reason it is one (FACTS.md has the measurements); no other check fails; METRICS-LINT
says what ``promtool check metrics`` says about the same scrape, line for line; and every check that is not run says
the server declares nothing for it to judge.
"""

from __future__ import annotations

import shutil
import subprocess
from typing import TYPE_CHECKING

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from fleetcheck.cli import app
from fleetcheck.contracts.findings import Outcome
from fleetcheck.runner import verify
from fleetcheck.targets import TargetFile

if TYPE_CHECKING:
    from pathlib import Path

    from fleetcheck.runner import VerificationReport
    from tests.third_party.servers import ThirdPartyServers

pytestmark = pytest.mark.servers

SERVERS = ("etcd", "prometheus", "alertmanager", "postgres-exporter", "redis-exporter")
#: what each server really does against the contract, and the words of the finding that says so
REAL_FAILURES = {
    # none of the five sets Cache-Control on a health answer: a cache between prober and server may replay it
    **{("HEALTH-NO-STORE", server): "answered Cache-Control (none)" for server in SERVERS},
    # promtool's own lint fails on these three (Prometheus and Alertmanager lint clean)
    ("METRICS-LINT", "etcd"): "non-counter metrics should not have",
    ("METRICS-LINT", "postgres-exporter"): 'should have "_total" suffix',
    ("METRICS-LINT", "redis-exporter"): "should not contain abbreviated units",
    # one family per gRPC method x code: 697 series of one family on an idle one-member cluster, over the default
    # budget of 500; a fleet that accepts it raises series_budget for that family in its fleet file
    ("METRICS-SERIES-BUDGET", "etcd"): "family grpc_server_handled_total has",
}
#: with the exporters' dependencies breakable and the exporters restartable, two more: a frozen dependency hangs
#: the scrape (FACTS.md)
REAL_FAILURES_UNDER_FAULTS = {
    **REAL_FAILURES,
    # postgres_exporter 0.11.1 has no query timeout: a frozen PostgreSQL hangs /metrics past any scraper's timeout
    ("HEALTH-READY-BOUNDED", "postgres-exporter"): "while postgres was frozen",
    # redis_exporter waits out its 15 s connection timeout on a frozen Redis, past the 10 s readiness bound
    ("HEALTH-READY-BOUNDED", "redis-exporter"): "while redis was frozen",
}
#: every reason a check is not run on these servers says what they do not declare or do not have
INTRINSIC_PHRASES = (
    "declares no",
    "is also the live endpoint",  # etcd's, Prometheus's and the redis exporter's cheap health is their live
    "bodies carry no",
    "the fleet file declares no",
)


@pytest.fixture(scope="module")
def discovered(third_party: ThirdPartyServers, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("third-party-init")
    args = ["init", "--fleet-name", "third-party", "--out-dir", str(out)]
    for name in SERVERS:
        args += ["--discover", third_party.urls[name], "--name", name]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def report(discovered: Path) -> VerificationReport:
    return verify(TargetFile.load(discovered / "target.yaml"))


@pytest.fixture(scope="module")
def report_under_faults(discovered: Path, third_party: ThirdPartyServers) -> VerificationReport:
    target = yaml.safe_load((discovered / "target.yaml").read_text())
    target["faults"] = {
        dependency: {action: third_party.controls[dependency][action] for action in ("stop", "start", "freeze", "thaw")}
        for dependency in ("postgres", "redis")
    }
    for exporter in ("postgres-exporter", "redis-exporter"):  # the boot check restarts them with the dependency down
        target["services"][exporter]["lifecycle"] = {
            action: third_party.servers.command(exporter, action) for action in ("start", "stop")
        }
    path = discovered / "target-faults.yaml"
    path.write_text(yaml.safe_dump(target))
    return verify(TargetFile.load(path))


def _failures(report: VerificationReport) -> dict[tuple[str, str], list[str]]:
    return {
        (r.check_id, r.service): [f.observed for f in r.findings] for r in report.results if r.outcome is Outcome.FAILED
    }


def test_discovery_recognises_each_servers_health_and_metrics(discovered: Path) -> None:
    fleet = yaml.safe_load((discovered / "fleet.yaml").read_text())
    services = {s["name"]: s for s in fleet["services"]}
    assert set(services) == set(SERVERS)
    assert services["prometheus"]["health"]["endpoints"]["ready"] == {"path": "/-/ready", "profile": "plain"}
    assert services["etcd"]["health"]["endpoints"]["live"]["path"] == "/health"  # etcd 3.4 has no /livez
    assert services["postgres-exporter"]["health"]["endpoints"]["ready"]["path"] == "/metrics"  # pg_up tells
    assert services["postgres-exporter"]["depends_on"][0]["type"] == "postgres"
    assert services["redis-exporter"]["depends_on"][0]["type"] == "redis"


@pytest.mark.parametrize("which", ["plain", "with dependency faults"])
def test_the_only_failures_are_the_servers_real_deviations(
    report: VerificationReport, report_under_faults: VerificationReport, which: str
) -> None:
    run, expected = (report, REAL_FAILURES) if which == "plain" else (report_under_faults, REAL_FAILURES_UNDER_FAULTS)
    failed = _failures(run)

    assert set(failed) == set(expected), failed
    for key, phrase in expected.items():
        assert any(phrase in observed for observed in failed[key]), (key, failed[key])


def test_dependency_faults_and_boots_are_judged_and_recovered_from(report_under_faults: VerificationReport) -> None:
    passed = {(r.check_id, r.service) for r in report_under_faults.results if r.outcome is Outcome.PASSED}
    for exporter in ("postgres-exporter", "redis-exporter"):
        assert ("HEALTH-READY-REFLECTS-DEPS", exporter) in passed  # its *_up gauge reads 0 with the dependency down
        assert ("HEALTH-READY-RECOVERS", exporter) in passed  # and 1 again without a restart
        assert ("HEALTH-BOOT", exporter) in passed  # started with it stopped: listens, reads 0, then 1


def test_nothing_is_left_not_run_for_want_of_configuration(report_under_faults: VerificationReport) -> None:
    for result in report_under_faults.results:
        if result.outcome is Outcome.NOT_RUN:
            assert any(p in (result.reason or "") for p in INTRINSIC_PHRASES), (result.check_id, result.reason)


def test_without_fault_hooks_the_fault_checks_say_which_hook_to_add(report: VerificationReport) -> None:
    reasons = {r.reason for r in report.results if r.check_id == "HEALTH-READY-RECOVERS"}
    assert "needs a fault hook for postgres (mode stop); the target file has none: add faults.postgres.stop/start" in (
        "; ".join(r or "" for r in reasons)
    )


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool missing (Debian package prometheus)")
@pytest.mark.parametrize("server", SERVERS)
def test_metrics_lint_says_what_promtool_says(
    report: VerificationReport, third_party: ThirdPartyServers, server: str
) -> None:
    scrape = httpx.get(third_party.urls[server] + "/metrics", timeout=10.0).content
    promtool = subprocess.run(
        ["promtool", "check", "metrics"], input=scrape, capture_output=True, timeout=60, check=False
    )
    said = {line.strip() for line in (promtool.stdout + promtool.stderr).decode().splitlines() if line.strip()}
    (lint,) = [r for r in report.results if r.check_id == "METRICS-LINT" and r.service == server]
    ours = {f.observed.split("family ", 1)[1].replace(": ", " ", 1) for f in lint.findings}

    assert ours == said
    assert (lint.outcome is Outcome.PASSED) == (promtool.returncode == 0)
