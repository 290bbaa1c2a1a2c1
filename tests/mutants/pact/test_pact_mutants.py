"""Every pact mutant (a provider that breaks what a consumer's pact relies on) fails provider verification, with a
verdict naming the consumer, the interaction and the field.

Each mutant runs in place of its service among organization, auth and master-data (the synthetic tenants need the
first two), or among the services its pact's provider states and message causes need, on the mutants' shared
PostgreSQL and Kafka; the same pacts verify on the reference fleet (tests/pact).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from fleetcheck.pact import PACT_DIR, load_pacts, verify_pact
from fleetcheck.reference import ReferenceFleet

if TYPE_CHECKING:
    from conftest import MutationScore
    from fleetcheck.fixtures._forkserver import ForkServer
    from fleetcheck.fixtures.infra import Infrastructure

pytestmark = [pytest.mark.servers, pytest.mark.mutant]


@dataclass(frozen=True)
class Mutant:
    name: str
    service: str
    module: str
    pact: str  # the pact file that must fail
    interaction: str
    field: str  # what the verdict must name
    # the services run beside the mutant: the synthetic tenants need organization and auth
    services: tuple[str, ...] = ("organization", "auth", "master-data")


MUTANTS = [
    Mutant(
        "md_customer_without_tin",
        "master-data",
        "tests.mutants.pact.variants.md_customer_without_tin",
        "api-gateway-master-data.json",
        "a customer query for a customer of the caller's tenant",
        "$.data.customer.tin",
    ),
    Mutant(
        "md_customer_code_renamed",
        "master-data",
        "tests.mutants.pact.variants.md_customer_code_renamed",
        "import-export-master-data.json",
        "a page of the tenant's customers",
        "Actual map is missing the following keys: code",
    ),
    Mutant(
        "md_duplicate_code_is_400",
        "master-data",
        "tests.mutants.pact.variants.md_duplicate_code_is_400",
        "import-export-master-data.json",
        "a customer row whose code the tenant has",
        "expected 409 but was 400",
    ),
    # the events area's mutant, reused: master-data's events carry no tenant (attribute and header)
    Mutant(
        "md_events_without_tenant",
        "master-data",
        "tests.mutants.events.variants.missing_tenant",
        "audit-master-data.json",
        "master-data.customer.created: a customer created",
        "x-tenant-id",
    ),
    Mutant(
        "auth_errors_not_problem_json",
        "auth",
        "tests.mutants.pact.variants.auth_errors_not_problem_json",
        "api-gateway-auth.json",
        "a me query with a token auth does not accept",
        "application/problem+json",
    ),
    Mutant(
        "md_customer_created_on_another_topic",
        "master-data",
        "tests.mutants.pact.variants.md_customer_created_on_another_topic",
        "audit-master-data.json",
        "master-data.customer.created: a customer created",
        "caused no master-data.customer.created event",
    ),
    # rules-engine's evaluation of workflow's approval task is caused by starting a process through workflow
    Mutant(
        "rules_evaluation_without_context",
        "rules-engine",
        "tests.mutants.pact.variants.rules_evaluation_without_context",
        "workflow-rules-engine.json",
        "rules.evaluation.completed: an approval task's evaluation decided",
        "$.data: Actual map is missing the following keys: context",
        ("organization", "auth", "rules-engine", "workflow"),
    ),
]


def _mutant_fleet(mutant: Mutant, infrastructure: Infrastructure, server: ForkServer) -> ReferenceFleet:
    modules = {mutant.service: mutant.module}
    return ReferenceFleet(services=list(mutant.services), modules=modules, infrastructure=infrastructure,
                          fork_server=server)  # fmt: skip


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_pact_mutant_fails_verification(
    mutant: Mutant, mutant_infrastructure: Infrastructure, mutant_fork_server: ForkServer, mutation_score: MutationScore
) -> None:
    (pact,) = load_pacts(PACT_DIR / mutant.pact)
    with _mutant_fleet(mutant, mutant_infrastructure, mutant_fork_server) as fleet:
        verification = verify_pact(fleet, pact)
    killed = not verification.verified
    mutation_score.record("pact", mutant.name, killed=killed)
    assert killed, f"{mutant.name} survived: {verification.summary()}"
    summary = verification.summary()
    assert pact.consumer in summary
    assert mutant.interaction in summary, summary
    assert mutant.field in summary, summary


AREA_MUTANTS = [m for m in MUTANTS if m.name in {"md_customer_without_tin", "rules_evaluation_without_context"}]


@pytest.mark.parametrize("mutant", AREA_MUTANTS, ids=[m.name for m in AREA_MUTANTS])
def test_the_pact_area_of_verify_fails_on_a_mutant(
    mutant: Mutant, mutant_infrastructure: Infrastructure, mutant_fork_server: ForkServer
) -> None:
    """The same verdict through ``fleetcheck verify``'s area pact: PACT-PROVIDER-VERIFIED fails, naming the consumer,
    the interaction and the field."""
    from fleetcheck.contracts.findings import Outcome
    from fleetcheck.runner import verify

    (pact,) = load_pacts(PACT_DIR / mutant.pact)
    with _mutant_fleet(mutant, mutant_infrastructure, mutant_fork_server) as fleet:
        report = verify(fleet, services=[mutant.service], checks=["PACT-PROVIDER-VERIFIED"])
    (result,) = report.results_for(service=mutant.service)
    assert result.outcome is Outcome.FAILED, result
    (finding,) = result.findings  # only the pact that relies on what the mutant broke
    assert f"{pact.consumer}'s pact failed" in finding.observed
    assert mutant.interaction in finding.observed
    assert mutant.field in finding.observed
