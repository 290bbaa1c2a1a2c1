"""A pass needs evidence: fed an observation with nothing in it, no check of the catalogue passes.

Every check either finds a violation, or says what it judged (``Judged``), or is "not run" with the reason; a check
that judged nothing can never come out "passed". One empty observation per observation kind, every check, every
service the check applies to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from fleetcheck.contracts.catalog import CatalogObservation, CatalogSnapshot, MigrationObservation
from fleetcheck.contracts.catalogue import NEEDS
from fleetcheck.contracts.events import (
    BadInputObservation,
    DeliveryObservation,
    EventScenario,
    ReplayObservation,
    SchemaChange,
    TopicsObservation,
    WriteFaultObservation,
)
from fleetcheck.contracts.findings import Outcome
from fleetcheck.contracts.fleet import load_fleet
from fleetcheck.contracts.flow_observations import (
    AuditFlowObservation,
    DeclaredFlowObservation,
    LoginGatewayObservation,
    RulesSteerObservation,
    WorkflowNotifyObservation,
)
from fleetcheck.contracts.observability import ObservabilityObservation
from fleetcheck.contracts.observations import (
    BootObservation,
    FaultObservation,
    HealthSnapshot,
    HttpExchange,
    MetricsSnapshot,
    OperationObservation,
    TrafficObservation,
)
from fleetcheck.contracts.pact import PactObservation, PactSummary
from fleetcheck.contracts.registry import CHECKS, CheckContext, run_check
from fleetcheck.contracts.tenancy import TenancyObservation, TokenObservation

if TYPE_CHECKING:
    from fleetcheck.contracts.registry import Check

FLEET = load_fleet()
NOTHING = HttpExchange("GET", "http://127.0.0.1:9/", "/", 0, (), b"", 0.0, error="not observed")
EMPTY_SCRAPE = HttpExchange("GET", "http://127.0.0.1:9/metrics", "/metrics", 200, (), b"", 0.0)


def _empty(kind: str) -> list[object]:
    """Observations of ``kind`` that hold nothing: nothing answered, or answers with nothing in them."""
    return {
        "health": [HealthSnapshot((), observed_at=0.0)],
        "fault": [FaultObservation("postgres", "stop", NOTHING, NOTHING, None, NOTHING, 0.0, None, None)],
        "boot": [BootObservation("postgres", 20.0, None, None, None, None, None, 0.0)],
        "metrics": [MetricsSnapshot(NOTHING, NOTHING), MetricsSnapshot(EMPTY_SCRAPE, EMPTY_SCRAPE)],
        "traffic": [TrafficObservation(EMPTY_SCRAPE, (), EMPTY_SCRAPE, ())],
        "operation": [OperationObservation("failed-login", EMPTY_SCRAPE, (), EMPTY_SCRAPE)],
        "migrations": [MigrationObservation("", (), (), ())],
        "catalog": [CatalogObservation("empty database", CatalogSnapshot(server_version=0), None)],
        "topics": [TopicsObservation("127.0.0.1:9", (), error="not observed")],
        "event-scenario": [EventScenario((), ())],
        "event-replay": [ReplayObservation((), 2, ())],
        "event-write-fault": [WriteFaultObservation("audit", "audit_logs", (), (), (), 25.0)],
        "event-bad-input": [BadInputObservation("audit", "audit_logs", "", (), "", "", 0, "", (), 25.0)],
        "event-burst": [DeliveryObservation((), (), (), ())],
        "event-outage": [DeliveryObservation((), (), (), ())],
        "schema-change": [SchemaChange("auth.user.login", {}, {})],
        "flow-login-gateway": [LoginGatewayObservation("", None, NOTHING, None, None, None)],
        "flow-audit": [AuditFlowObservation((), (), (), 0.0, 0.0)],
        "flow-workflow-notifies": [WorkflowNotifyObservation("", NOTHING, None, None, (), 0.0, 0.0)],
        "flow-rules-steer": [RulesSteerObservation("500000.00", (), 0.0, 0.0)],
        "flow-declared": [DeclaredFlowObservation("a flow", ())],
        "observability": [ObservabilityObservation("http://127.0.0.1:9", ())],
        "tenancy": [TenancyObservation("auth", {})],
        "tenancy-tokens": [TokenObservation("auth", "/auth/me")],
        # no pacts; and a pact of every service's with no verdict (the verifier never ran) and no interaction
        "pact": [
            PactObservation((), ()),
            PactObservation(tuple(PactSummary(f"c-{s.name}.json", "c", s.name, ()) for s in FLEET.services), ()),
        ],
    }[kind]


def _cases() -> list[tuple[Check, str]]:
    return [(check, s.name) for check in CHECKS for s in FLEET.services if check.applies_to(s, FLEET)]


def test_every_observation_kind_has_an_empty_observation() -> None:
    assert {c.needs for c in CHECKS} <= set(NEEDS)
    for kind in {c.needs for c in CHECKS}:
        assert _empty(kind), kind


@pytest.mark.parametrize(("check", "service"), _cases(), ids=lambda v: v.id if hasattr(v, "id") else v)
def test_no_check_passes_on_an_empty_observation(check: Check, service: str) -> None:
    ctx = CheckContext(FLEET.service(service), FLEET)
    for observation in _empty(check.needs):
        result = run_check(check, ctx, observation)
        assert result.outcome is not Outcome.PASSED, (check.id, service, observation)
        if result.outcome is Outcome.NOT_RUN:
            assert result.reason, (check.id, service)
        assert not any("itself failed" in f.observed for f in result.findings), [f.observed for f in result.findings]


def test_a_pass_says_how_much_it_judged() -> None:
    from tests.contracts.observation_builders import health_snapshot

    ctx = CheckContext(FLEET.service("auth"), FLEET)
    result = run_check(CHECKS["HEALTH-ENDPOINTS"], ctx, health_snapshot(FLEET.service("auth")))
    assert (result.outcome, result.judged, result.judged_what) == (Outcome.PASSED, 5, "health endpoints")
