"""fleetcheck verifies a fleet it did not write: the bazaar fleet (NestJS, Terminus, prom-client, kafkajs, TypeORM),
described only by its fleet file (``bazaar.fleet.yaml``) and a target file, in every area.

The claim is exact: the only failure is a real deviation of bazaar from its declared contract, explained here; every
check that is not run says why, and the reason is what bazaar's stack cannot give (no check is left not run for want
of configuration); and each of bazaar's mutants is caught by the check that should catch it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml

from fleetcheck.contracts.findings import Outcome
from fleetcheck.events import load_schema_baseline
from fleetcheck.fixtures.prometheus import EmbeddedPrometheus
from fleetcheck.probe_exporter import prometheus_config
from fleetcheck.runner import verify
from fleetcheck.targets import TargetFile
from tests.foreign_fleet.fleet import FLEET_DIR
from tests.foreign_fleet.target import write_target

_REPO = Path(__file__).resolve().parents[2]
_OBSERVABILITY = Path(__file__).resolve().parent / "observability"

if TYPE_CHECKING:
    from collections.abc import Iterator

    from conftest import MutationScore
    from fleetcheck.contracts.findings import CheckResult
    from fleetcheck.runner import VerificationReport
    from tests.foreign_fleet.fleet import ForeignFleet

pytestmark = pytest.mark.servers

#: the real deviations of bazaar from its declared contract, and why each is one
REAL_FAILURES = {
    # catalog's liveness is a hand-written controller beside Terminus and sets no Cache-Control (Terminus does)
    ("HEALTH-NO-STORE", "catalog"): "GET /api/health/liveness answered Cache-Control (none)",
    # TypeOrmModule.forRoot connects before app.listen() and exits after 5 retries (README "Mutants"): started with
    # PostgreSQL down, no service ever listens
    **{
        ("HEALTH-BOOT", service): "started while postgres was stopped, GET /api/health/liveness got no answer"
        for service in ("accounts", "catalog", "trail")
    },
}
#: checks not run on bazaar, and the part of the reason that says it is its stack, not its configuration
INTRINSIC = {
    "HEALTH-SERVICE-NAME": "bodies carry no service field",  # Terminus and a plain {"status":"UP"}
    "HEALTH-TIMESTAMP": "bodies carry no timestamp field",
    "HEALTH-STATS": "declares no stats endpoint",  # SPEC.md's own endpoints, not Terminus's
    "HEALTH-STATS-MOVE": "declares no stats endpoint",
    "HEALTH-READY-LATENCY-MS": "bodies carry no dependency latency",  # Terminus reports up/down only
    "HEALTH-DEPENDENCIES-MATCH": "declares no dependencies endpoint",
    "HEALTH-CHEAP-INDEPENDENT": "declares no health endpoint apart from live and ready",  # Terminus: two endpoints
    "MIGRATIONS-SINGLE-HEAD": "driven by the service's own commands",  # TypeORM's revision list is its own
    "MIGRATIONS-SAFE-SQL": "renders no offline SQL",
    "MIGRATIONS-MODELS-MATCH": "no models of the service",
    "MIGRATIONS-DATA-PRESERVED": "applies every migration at once",
    "MIGRATIONS-FK-INDEXED": "no foreign key",  # catalog and trail have none
    "EVENTS-OUTAGE-ORDER": "publishes no event when a user changes",  # accounts' users are never updated
    "METRICS-ROUTE-TEMPLATES": "declares no id route of trail",  # trail's one read takes the id in the query
    "METRICS-MISSING-ID-NOT-FOUND": "declares no id route of trail",
    "TENANCY-SPOOFED-HEADER": "declares no tenant header",  # bazaar takes the tenant from the token only
    "TENANCY-FOREIGN-WRITES-REREAD": "answers a write",  # users are read-only; trail has no item route
    "TENANCY-LISTS-OWN-ONLY": "has a list route",  # accounts lists no users
    "TENANCY-FOREIGN-ID-NOT-FOUND": "answers a call by id",  # trail's entries are read by subject only
    "TENANCY-NO-EXISTENCE-ORACLE": "answers a call by id",
    "PACT-PROVIDER-VERIFIED": "the fleet file declares no pacts",  # the committed pacts are the erp-bd fleet's
    "PACT-MESSAGE-TOPIC-PRODUCED": "the fleet file declares no pacts",
    "PACT-MESSAGE-FITS-SCHEMA": "the fleet file declares no pacts",
    "PACT-CONSUMERS-COVERED": "the fleet file declares no pacts",
}


@pytest.fixture(scope="module")
def target(bazaar: ForeignFleet, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TargetFile]:
    """Bazaar's target file, with a Prometheus scraping it (as a deployment's would) and the shipped RED dashboards
    and rules (``tests/foreign_fleet/observability``, ``alerts/http.yml``): bazaar follows their conventions."""
    other = bazaar.new_tenant("verify-other")
    work = tmp_path_factory.mktemp("bazaar")
    path = write_target(bazaar, work / "target.yaml", other=other)
    config = prometheus_config(TargetFile.load(path), None, scrape_interval="1s")
    prometheus = EmbeddedPrometheus.start(work, {}, config=config)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        document["prometheus"] = {"url": prometheus.url}
        document["observability"] = {"dashboards": str(_OBSERVABILITY), "alerts": [str(_REPO / "alerts" / "http.yml")]}
        path.write_text(yaml.safe_dump(document, sort_keys=False, width=200), encoding="utf-8")
        yield TargetFile.load(path)
    finally:
        prometheus.close()


@pytest.fixture(scope="module")
def report(target: TargetFile) -> VerificationReport:
    return verify(target, schema_baseline=load_schema_baseline(FLEET_DIR / "schemas"))


def test_every_area_runs_on_bazaar(report: VerificationReport) -> None:
    ran = {(r.service, r.area) for r in report.results if r.outcome is not Outcome.NOT_RUN}
    for service in ("accounts", "catalog", "trail"):
        for area in ("health", "metrics", "migrations"):
            assert (service, area) in ran, (service, area)
    assert {("accounts", "events"), ("catalog", "events"), ("catalog", "flows")} <= ran
    assert {(service, "tenancy") for service in ("accounts", "catalog", "trail")} <= ran
    assert {(service, "observability") for service in ("accounts", "catalog", "trail")} <= ran


def test_the_only_failures_are_bazaars_real_deviations(report: VerificationReport) -> None:
    failed = {(r.check_id, r.service): r for r in report.results if r.outcome is Outcome.FAILED}
    assert set(failed) == set(REAL_FAILURES), {k: [f.observed for f in v.findings] for k, v in failed.items()}
    for key, phrase in REAL_FAILURES.items():
        assert any(phrase in f.observed for f in failed[key].findings), key


def test_nothing_is_left_not_run_for_want_of_configuration(report: VerificationReport) -> None:
    unexplained = [
        (result.check_id, result.service, result.outcome.value, result.reason)
        for result in report.results
        if (result.outcome is Outcome.NOT_RUN and INTRINSIC.get(result.check_id, "\0") not in result.reason)
        or (result.outcome is not Outcome.NOT_RUN and result.reason)  # passed or failed on part of its observations
    ]
    assert not unexplained, "\n".join(map(str, unexplained))


def test_bazaar_boots_without_kafka_or_redis_and_becomes_ready_when_they_return(
    report: VerificationReport, target: TargetFile
) -> None:
    for result in report.results_for(area="health"):
        if result.check_id == "HEALTH-BOOT":
            required = [d.name for d in target.fleet.service(result.service).depends_on if d.required]
            assert result.judged == len(required), (result.service, required, result.reason)
            assert all("postgres" in f.observed for f in result.findings), [f.observed for f in result.findings]


def test_every_pass_judged_something(report: VerificationReport) -> None:
    assert all(r.judged > 0 for r in report.results if r.outcome is Outcome.PASSED)


# ---- bazaar's own mutants, caught by the check that should catch them ---------------------------------------------

MUTANTS = [
    ("catalog_ready_ignores_redis.js", "catalog", "HEALTH-READY-REFLECTS-DEPS", "while redis was stopped"),
    ("liveness_queries_database.js", "accounts", "HEALTH-LIVE-INDEPENDENT", "while postgres was"),
    ("raw_path_route_labels.js", "catalog", "METRICS-ROUTE-TEMPLATES", "route labels hold raw paths"),
    ("counter_never_moves.js", "catalog", "METRICS-BUSINESS-MOVES", "catalog_products_written_total"),
    ("event_bypasses_outbox.js", "catalog", "EVENTS-NO-EVENT-ON-ROLLBACK", "no accepted action caused"),
    # bazaar fails HEALTH-BOOT on PostgreSQL unmutated: this mutant is caught by the finding about Kafka
    ("relay_waits_for_kafka_at_boot.js", "catalog", "HEALTH-BOOT", "started while kafka was stopped"),
    ("cache_key_without_tenant.js", "catalog", "TENANCY-NO-FOREIGN-CANARY", "with another tenant's canary"),
]


@pytest.mark.mutant
@pytest.mark.parametrize(("mutant", "service", "check_id", "phrase"), MUTANTS, ids=[m[0] for m in MUTANTS])
def test_a_bazaar_mutant_is_caught_by_its_check(
    bazaar: ForeignFleet, target: TargetFile, mutation_score: MutationScore, mutant: str, service: str,
    check_id: str, phrase: str,
) -> None:  # fmt: skip
    with bazaar.mutant(service, mutant):
        result = _only(verify(target, services=[service], checks=[check_id]), service)
    killed = result.outcome is Outcome.FAILED and any(phrase in f.observed for f in result.findings)
    mutation_score.record("foreign fleet", mutant, killed=killed)
    assert killed, f"{mutant} survived: {check_id} [{service}] was {result.outcome.value} {result.reason} " + str(
        [f.observed for f in result.findings]
    )


@pytest.mark.mutant
def test_a_trail_that_records_a_redelivery_twice_is_caught_by_the_replay(
    bazaar: ForeignFleet, target: TargetFile, mutation_score: MutationScore
) -> None:
    with bazaar.mutant("trail", "trail_records_redelivery_twice.js"):
        result = _only(verify(target, services=["catalog"], checks=["EVENTS-CONSUMER-IDEMPOTENT"]), "catalog")
    killed = result.outcome is Outcome.FAILED
    mutation_score.record("foreign fleet", "trail_records_redelivery_twice.js", killed=killed)
    assert killed, f"survived: EVENTS-CONSUMER-IDEMPOTENT was {result.outcome.value} {result.reason}"
    assert "without exactly one record" in result.findings[0].observed


def _only(report: VerificationReport, service: str) -> CheckResult:
    (result,) = report.results_for(service=service)
    return result


def test_the_target_file_states_only_what_an_operator_knows(target: TargetFile, tmp_path: Path) -> None:
    text = target.path.read_text()
    assert "bazaar.fleet.yaml" in text
    for fact in ("base_url", "lifecycle", "other_tenant", "postgres_admin_dsn", "faults"):
        assert fact in text, fact


def test_trail_records_catalog_events_whose_first_write_failed(report: VerificationReport) -> None:
    # kafkajs takes a message again when its handler throws: the trigger's failed insert is retried and recorded once
    (retry,) = [r for r in report.results if r.check_id == "EVENTS-CONSUMER-RETRY"]
    assert retry.service == "trail"
    assert retry.outcome is Outcome.PASSED, [f.observed for f in retry.findings] or retry.reason
    assert retry.judged >= 1
