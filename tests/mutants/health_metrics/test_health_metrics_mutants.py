"""Every health/metrics mutant (a deliberately broken reference service) is caught by its expected check.

Each mutant runs in place of one reference service (beside real organization/auth/master-data, which the synthetic
tenant needs) and only its expected check is run on it: a check that passes on the good fleet (tests/contract) and
fails here is proven to catch that violation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from fleetcheck.contracts.findings import Outcome
from fleetcheck.reference import ReferenceFleet
from fleetcheck.runner import verify

if TYPE_CHECKING:
    from conftest import MutationScore
    from fleetcheck.fixtures._forkserver import ForkServer
    from fleetcheck.fixtures.infra import Infrastructure

pytestmark = [pytest.mark.servers, pytest.mark.mutant]

# the synthetic tenant needs organization and auth; master-data runs only when it is the mutated service
_SERVICES = ["organization", "auth"]


@dataclass(frozen=True)
class Mutant:
    name: str
    service: str
    check_id: str
    observed: str  # a phrase the finding must contain, so the right violation is what got caught


MUTANTS = [
    Mutant("ready_hardcoded", "organization", "HEALTH-READY-REFLECTS-DEPS", "answered 200 while"),
    Mutant("check_without_timeout", "master-data", "HEALTH-READY-BOUNDED", "while postgres was frozen"),
    Mutant("live_checks_dependencies", "auth", "HEALTH-LIVE-INDEPENDENT", "answered 503"),
    Mutant("health_queries_database", "organization", "HEALTH-CHEAP-INDEPENDENT", "GET /health answered 503"),
    Mutant("timestamp_without_offset", "organization", "HEALTH-TIMESTAMP", "offset"),
    Mutant("ready_omits_kafka", "auth", "HEALTH-READY-LISTS-DEPS", "kafka"),
    Mutant("health_cacheable", "organization", "HEALTH-NO-STORE", "Cache-Control"),
    Mutant("wrong_service_name", "master-data", "HEALTH-SERVICE-NAME", "masterdata-svc"),
    Mutant("metrics_wrong_content_type", "master-data", "METRICS-CONTENT-TYPE", "application/json"),
    Mutant("raw_path_route_labels", "master-data", "METRICS-ROUTE-TEMPLATES", "/customers/"),
    Mutant("missing_id_is_500", "master-data", "METRICS-MISSING-ID-NOT-FOUND", "answered 500 for an id that does not"),
    Mutant("request_counter_frozen", "auth", "METRICS-COUNTERS-MOVE", "http_requests_total"),
    Mutant("business_family_missing", "auth", "METRICS-REQUIRED", "auth_account_lockouts_total"),
    Mutant("business_counter_frozen", "master-data", "METRICS-BUSINESS-MOVES", "master_data_crud_operations_total"),
    Mutant("millisecond_gauge", "organization", "METRICS-LINT", "organization_sync_latency_milliseconds"),
    Mutant("email_in_label", "auth", "METRICS-NO-PII", "auth_logins_by_user_total"),
    # judged on the scrape after the declared operations: at rest the family has no sample
    Mutant("phone_label_after_create", "master-data", "METRICS-NO-PII", "label phone holds a Bangladeshi mobile"),
    Mutant("duration_is_a_clock_reading", "organization", "METRICS-DURATION-PLAUSIBLE", "_sum moved by"),
    # found by the automatic mutation run (README: "Automatic mutants"), each caught by the check built for it
    Mutant("stats_uptime_is_a_ratio", "organization", "HEALTH-STATS-MOVE", "statistics.uptime_seconds moved"),
    Mutant("stats_requests_counted_twice", "master-data", "HEALTH-STATS-MOVE", "statistics.requests_total moved"),
    Mutant("stats_requests_never_counted", "auth", "HEALTH-STATS-MOVE", "statistics.requests_total moved by 0"),
    Mutant("ready_latency_in_seconds", "organization", "HEALTH-READY-LATENCY-MS", "under a tenth of the"),
    Mutant(
        "pending_check_latency_sentinel", "master-data", "HEALTH-READY-LATENCY-MS", "again 0.2 s after the first read"
    ),
]


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_mutant_is_caught_by_its_check(
    mutant: Mutant, mutant_infrastructure: Infrastructure, mutant_fork_server: ForkServer, mutation_score: MutationScore
) -> None:
    module = f"tests.mutants.health_metrics.variants.{mutant.name}"
    services = sorted({*_SERVICES, mutant.service})
    with ReferenceFleet(
        services=services,
        modules={mutant.service: module},
        infrastructure=mutant_infrastructure,
        fork_server=mutant_fork_server,
    ) as fleet:
        report = verify(fleet, services=[mutant.service], checks=[mutant.check_id])
    (result,) = report.results_for(service=mutant.service)
    killed = result.outcome is Outcome.FAILED
    mutation_score.record("health+metrics", mutant.name, killed=killed)
    assert killed, f"{mutant.name} survived: {mutant.check_id} on {mutant.service} was {result.outcome.value}"
    messages = "\n".join(f.message() for f in result.findings)
    assert mutant.observed in messages, messages
