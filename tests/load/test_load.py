"""The tenancy load run: 20+ tenants at once for a bounded time, every answer judged by TENANCY-NO-FOREIGN-CANARY.

On the reference services it exits 0 (no violation, no lost or duplicated event); with notification's
SET-instead-of-SET-LOCAL mutant, which every sequential check passes, the concurrent run finds the leak and the
violation is in its summary. Bounded: a fixed user count and run time, loopback only, locust stops by itself.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from fleetcheck.loadrun import Thresholds, run_load
from fleetcheck.reference import ReferenceFleet

if TYPE_CHECKING:
    from collections.abc import Iterator

    from conftest import MutationScore
    from fleetcheck.fixtures.infra import Infrastructure

pytestmark = pytest.mark.servers

SERVICES = ["organization", "auth", "master-data", "notification", "audit"]
USERS, RUN_TIME = 24, "15s"
#: latency is measured in benchmarks/load.py, not judged here: the suite's machine is shared
LOOSE = Thresholds(p95_ms={"default": 60_000.0}, error_rate=0.05)


@pytest.fixture(scope="module")
def infrastructure() -> Iterator[Infrastructure]:
    from tests.mutants.infrastructure import fresh_infrastructure

    with fresh_infrastructure() as infra:
        yield infra


def _run(infrastructure: Infrastructure, modules: dict[str, str] | None = None, locust_args: list[str] | None = None):  # type: ignore[no-untyped-def]
    with (
        tempfile.TemporaryDirectory() as out,
        ReferenceFleet(services=SERVICES, modules=modules, infrastructure=infrastructure) as fleet,
    ):
        result = run_load(fleet, Path(out), users=USERS, run_time=RUN_TIME, thresholds=LOOSE, locust_args=locust_args)
        html = (Path(out) / "locust.html").is_file()
        log = (Path(out) / "locust.log").read_text(encoding="utf-8")
    return result, html, log


def test_a_concurrent_run_of_24_tenants_leaks_nothing_and_loses_no_event(infrastructure: Infrastructure) -> None:
    result, html, _log = _run(infrastructure)
    assert result.requests > 200, result
    assert result.violations == []
    assert result.lost_events == 0
    assert result.duplicated_events == 0
    assert result.exit_code == 0, result.broken
    assert html


def test_set_instead_of_set_local_leaks_only_under_load_and_fails_the_run(
    infrastructure: Infrastructure, mutation_score: MutationScore
) -> None:
    module = "tests.mutants.tenancy.variants.notification_set_not_set_local"
    result, _html, _log = _run(infrastructure, {"notification": module})
    killed = bool(result.violations) and result.exit_code != 0
    mutation_score.record("tenancy", "notification_set_not_set_local", killed=killed)
    assert killed, result
    assert any("notification" in v and "fc-canary-" in v for v in result.violations), result.violations[:3]
    assert any("isolation violations" in b for b in result.broken)


def test_two_local_worker_processes_report_their_violations_to_the_masters_totals(
    infrastructure: Infrastructure,
) -> None:
    """locust's own distributed mode (``--processes 2``: one master, two workers) on the same locustfile: the
    violations the workers find are in the master's statistics, which set the exit code."""
    module = "tests.mutants.tenancy.variants.notification_set_not_set_local"
    result, _html, log = _run(infrastructure, {"notification": module}, ["--processes", "2"])
    assert "reported as ready. 2 workers connected." in log, log[-2000:]  # the master's own line
    assert result.violations, (result, log[-3000:])  # locust's own account of the run, should it make few requests
    assert any("notification" in v and "fc-canary-" in v for v in result.violations), result.violations[:3]
    assert result.exit_code != 0
