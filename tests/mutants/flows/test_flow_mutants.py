"""Every flows mutant (a service that breaks one step of a seed flow) is caught by its FLOWS-* check.

Each mutant runs in place of one reference service, beside the real services its flow crosses (organization and
auth always: the synthetic tenant needs them), and only its expected check runs, through the runner. The same checks
pass on the reference fleet (tests/contract/test_flows.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from fleetcheck.contracts.findings import Outcome
from fleetcheck.contracts.flows import FLOWS
from fleetcheck.contracts.registry import CheckSettings
from fleetcheck.reference import ReferenceFleet
from fleetcheck.runner import verify

if TYPE_CHECKING:
    from conftest import MutationScore
    from fleetcheck.fixtures._forkserver import ForkServer
    from fleetcheck.fixtures.infra import Infrastructure

pytestmark = [pytest.mark.servers, pytest.mark.mutant]

_GATEWAY_SUBGRAPHS = ("master-data", "workflow", "rules-engine")  # the gateway starts only beside all its subgraphs
#: A mutant whose flow never completes is waited for the whole deadline; the defaults (30-60 s) are for a loaded
#: deployment, and the reference services of these small fleets finish a flow within a few seconds.
_SETTINGS = CheckSettings(flow_events_s=15.0, flow_audit_s=15.0, flow_process_s=20.0, flow_notification_s=15.0)


@dataclass(frozen=True)
class Mutant:
    name: str
    service: str
    check_id: str
    observed: str  # a phrase the finding must contain, so the right violation is what got caught
    also: tuple[str, ...] = ()


MUTANTS = [
    Mutant("audit_double_record", "audit", "FLOWS-AUDIT-EVERY-OPERATION", "audit holds 2 record(s)"),
    Mutant("audit_never_records", "audit", "FLOWS-AUDIT-EVERY-OPERATION", "audit holds 0 record(s)"),
    Mutant("notification_ignores_completed", "notification", "FLOWS-WORKFLOW-NOTIFIES", "0 notification(s) about it"),
    Mutant("rules_never_publish_completed", "rules-engine", "FLOWS-RULES-STEER-WORKFLOW", "status pending_rules"),
    Mutant("rules_inverted_threshold", "rules-engine", "FLOWS-RULES-STEER-WORKFLOW", "threshold): status completed"),
    Mutant(
        "gateway_drops_authorization",
        "api-gateway",
        "FLOWS-LOGIN-GATEWAY-MASTER-DATA",
        "UNAUTHENTICATED",
        also=_GATEWAY_SUBGRAPHS,
    ),
]


def _services(mutant: Mutant) -> list[str]:
    spec = next(s for s in FLOWS.values() if s.check_id == mutant.check_id)
    return sorted({"organization", "auth", *spec.requires, *mutant.also})


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_flows_mutant_is_caught_by_its_check(
    mutant: Mutant, mutant_infrastructure: Infrastructure, mutant_fork_server: ForkServer, mutation_score: MutationScore
) -> None:
    module = f"tests.mutants.flows.variants.{mutant.name}"
    entry = next(s.entry for s in FLOWS.values() if s.check_id == mutant.check_id)
    with ReferenceFleet(
        services=_services(mutant),
        modules={mutant.service: module},
        infrastructure=mutant_infrastructure,
        fork_server=mutant_fork_server,
        settings=_SETTINGS,
    ) as fleet:
        report = verify(fleet, services=[entry], checks=[mutant.check_id])
    (result,) = report.results_for(service=entry)
    killed = result.outcome is Outcome.FAILED
    mutation_score.record("flows", mutant.name, killed=killed)
    assert killed, f"{mutant.name} survived: {mutant.check_id} on {entry} was {result.outcome.value} {result.reason}"
    messages = "\n".join(f.message() for f in result.findings)
    assert mutant.observed in messages, messages


#: mutants of behaviour a declared flow of the fleet file exercises (FLOWS-DECLARED), by entry service
DECLARED_MUTANTS = [
    Mutant("lockout_never_resets", "auth", "FLOWS-DECLARED", "POST /auth/login (4 wrong passwords again, counted"),
]


@pytest.mark.parametrize("mutant", DECLARED_MUTANTS, ids=[m.name for m in DECLARED_MUTANTS])
def test_declared_flow_mutant_is_caught(
    mutant: Mutant, mutant_infrastructure: Infrastructure, mutant_fork_server: ForkServer, mutation_score: MutationScore
) -> None:
    module = f"tests.mutants.flows.variants.{mutant.name}"
    with ReferenceFleet(
        services=["organization", "auth"],
        modules={mutant.service: module},
        infrastructure=mutant_infrastructure,
        fork_server=mutant_fork_server,
        settings=_SETTINGS,
    ) as fleet:
        report = verify(fleet, services=[mutant.service], checks=[mutant.check_id])
    (result,) = report.results_for(service=mutant.service)
    killed = result.outcome is Outcome.FAILED and mutant.observed in "\n".join(f.message() for f in result.findings)
    mutation_score.record("flows", mutant.name, killed=killed)
    assert killed, f"{mutant.name} survived: {mutant.check_id} was {result.outcome.value} {result.reason} " + str(
        [f.message() for f in result.findings]
    )
