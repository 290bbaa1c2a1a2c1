"""Every tenancy mutant (a service that leaks, or lets another tenant learn of or change a row) is caught by its
TENANCY-* check, with a message naming the service, the route and the canary where there is one.

Each mutant runs in place of one reference service beside organization and auth (the two tenants need them), and
only its expected check runs, through the runner. The same checks pass on the reference fleet
(tests/contract/test_tenancy.py). The SET-instead-of-SET-LOCAL mutant leaks only under concurrency: the load run
catches it (tests/load/test_load.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from fleetcheck.contracts.findings import Outcome, Severity
from fleetcheck.contracts.fleet import load_fleet
from fleetcheck.reference import ReferenceFleet, services_to_start
from fleetcheck.runner import verify

if TYPE_CHECKING:
    from conftest import MutationScore
    from fleetcheck.fixtures._forkserver import ForkServer
    from fleetcheck.fixtures.infra import Infrastructure

pytestmark = [pytest.mark.servers, pytest.mark.mutant]


@dataclass(frozen=True)
class Mutant:
    name: str
    service: str
    check_id: str
    observed: str  # a phrase the finding must contain, so the right violation is what got caught
    also: tuple[str, ...] = ()


MUTANTS = [
    Mutant("md_delete_ignores_tenant", "master-data", "TENANCY-FOREIGN-WRITES-REREAD", "the row was removed"),
    Mutant("md_update_changes_foreign_row", "master-data", "TENANCY-FOREIGN-WRITES-REREAD", "changed"),
    Mutant("md_list_ignores_tenant", "master-data", "TENANCY-LISTS-OWN-ONLY", "listed another tenant's row (canary"),
    Mutant("md_cache_without_tenant", "master-data", "TENANCY-NO-FOREIGN-CANARY", "with another tenant's canary"),
    Mutant("md_foreign_id_403", "master-data", "TENANCY-NO-EXISTENCE-ORACLE", "answered 403"),
    Mutant("md_foreign_id_500", "master-data", "TENANCY-FOREIGN-ID-NOT-FOUND", "answered 500"),
    Mutant("fs_download_without_tenant", "file-storage", "TENANCY-NO-FOREIGN-CANARY", "/content as tenant"),
    Mutant("audit_default_tenant", "audit", "TENANCY-EVENTS-OWN-TENANT", "audit audit-log", also=("master-data",)),
    Mutant("verifier_accepts_alg_none", "master-data", "TENANCY-TOKENS-REFUSED", "with a alg=none token answered 200"),
    Mutant(
        "verifier_accepts_hs256_public_key",
        "master-data",
        "TENANCY-TOKENS-REFUSED",
        "with a hs256-public-key token answered 200",
    ),
]


def _run(  # type: ignore[no-untyped-def]
    name: str,
    service: str,
    check_id: str,
    infrastructure: Infrastructure,
    server: ForkServer,
    also: tuple[str, ...] = (),
):
    services = sorted({"organization", "auth", service, *also})
    module = f"tests.mutants.tenancy.variants.{name}"
    with ReferenceFleet(
        services=services, modules={service: module}, infrastructure=infrastructure, fork_server=server
    ) as fleet:
        report = verify(fleet, services=[service], checks=[check_id])
    (result,) = report.results_for(service=service)
    return result


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_tenancy_mutant_is_caught_by_its_check(
    mutant: Mutant, mutant_infrastructure: Infrastructure, mutant_fork_server: ForkServer, mutation_score: MutationScore
) -> None:
    result = _run(mutant.name, mutant.service, mutant.check_id, mutant_infrastructure, mutant_fork_server, mutant.also)
    killed = result.outcome is Outcome.FAILED
    mutation_score.record("tenancy", mutant.name, killed=killed)
    assert killed, (
        f"{mutant.name} survived: {mutant.check_id} on {mutant.service} was {result.outcome.value} {result.reason}"
    )
    messages = "\n".join(f.message() + " " + str(f.evidence) for f in result.findings)
    assert mutant.observed in messages, messages
    assert mutant.service in messages


def test_a_graphql_update_that_ignores_the_tenant_is_caught_by_the_mutation_reread_and_by_nothing_rest(
    mutant_infrastructure: Infrastructure, mutant_fork_server: ForkServer, mutation_score: MutationScore
) -> None:
    """master-data's GraphQL updateCustomer writes another tenant's row and answers NOT_FOUND as for a missing id;
    its REST routes are the reference ones. Every tenancy check of master-data (REST) and of the api-gateway runs:
    only the gateway's GraphQL mutation probe, re-read by the owner, fails."""
    name, services = "md_graphql_update_ignores_tenant", ["master-data", "api-gateway"]
    module = f"tests.mutants.tenancy.variants.{name}"
    with ReferenceFleet(
        services=services_to_start(load_fleet(), services),  # the gateway's subgraphs too
        modules={"master-data": module},
        infrastructure=mutant_infrastructure,
        fork_server=mutant_fork_server,
    ) as fleet:
        report = verify(fleet, areas=["tenancy"], services=services)
    failed = {(r.service, r.check_id): r for r in report.results if r.outcome is Outcome.FAILED}
    killed = ("api-gateway", "TENANCY-FOREIGN-WRITES-REREAD") in failed
    mutation_score.record("tenancy", name, killed=killed)
    assert set(failed) == {("api-gateway", "TENANCY-FOREIGN-WRITES-REREAD")}, {k: r.reason for k, r in failed.items()}
    rest = next(r for r in report.results_for(service="master-data") if r.check_id == "TENANCY-FOREIGN-WRITES-REREAD")
    assert rest.outcome is Outcome.PASSED, rest.reason
    messages = "\n".join(f.message() for f in failed[("api-gateway", "TENANCY-FOREIGN-WRITES-REREAD")].findings)
    assert "customer (GraphQL mutation updateCustomer)" in messages, messages
    assert "the row was changed" in messages, messages


def test_without_its_app_filter_rls_still_holds_and_the_note_says_which_layer_stopped_it(
    mutant_infrastructure: Infrastructure, mutant_fork_server: ForkServer, mutation_score: MutationScore
) -> None:
    result = _run(
        "md_app_filter_removed", "master-data", "TENANCY-DEFENCE-IN-DEPTH", mutant_infrastructure, mutant_fork_server
    )
    notes = [f for f in result.findings if f.severity is Severity.WARNING]
    mutation_score.record("tenancy", "md_app_filter_removed", killed=bool(notes))
    assert result.outcome is Outcome.PASSED, result.findings
    assert notes, "no informational finding about the missing application filter"
    assert "row-level security alone stopped the cross-tenant read" in notes[0].observed
    assert "master-data customer (table customers)" in notes[0].observed
