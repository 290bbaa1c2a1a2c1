"""User-facing finding messages, locked: expected / observed / hint, naming the service and what it concerns."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from observation_builders import Scrape, exchange, fault, metrics_snapshot, ready_up

from fleetcheck.contracts.catalogue import CHECKS
from fleetcheck.contracts.registry import CheckContext, run_check

if TYPE_CHECKING:
    from fleetcheck.contracts.fleet import Fleet


def test_ready_ignoring_a_stopped_database_reads_like_the_style_guide(run: Any, fleet: Fleet) -> None:
    svc = fleet.service("master-data")
    (finding,) = run("HEALTH-READY-REFLECTS-DEPS", "master-data", fault(svc, during_ready=ready_up(svc))).findings
    assert finding.observed == "GET /health/ready answered 200 while postgres was stopped"
    assert finding.expected == '503 with checks.postgres.status = "down"'
    assert finding.hint == "Readiness must run a real query (SELECT 1) with a timeout."
    assert finding.evidence[0] == ("request", "GET /health/ready (http://127.0.0.1:9/health/ready)")


def test_gateway_ready_ignoring_a_stopped_subgraph_names_its_health_check(run: Any, fleet: Fleet) -> None:
    svc = fleet.service("api-gateway")
    (finding,) = run(
        "HEALTH-READY-REFLECTS-DEPS", "api-gateway", fault(svc, "organization", during_ready=ready_up(svc))
    ).findings
    assert finding.message() == (
        "api-gateway: GET /health/ready answered 200 while organization was stopped\n"
        '  expected: 503 with checks.organization.status = "down"\n'
        "  fix: Readiness must GET the downstream service's /health with a timeout."
    )


def test_business_counter_that_did_not_move(run: Any, fleet: Fleet) -> None:
    from fleetcheck.contracts.observations import OperationObservation

    scrape = Scrape(fleet, fleet.service("organization"))
    obs = OperationObservation(
        "create-tenant", scrape.exchange(), (exchange("/tenants", method="POST", status=201),), scrape.exchange()
    )
    (finding,) = run("METRICS-BUSINESS-MOVES", "organization", obs).findings
    assert finding.message() == (
        'organization: organization_tenant_operations_total{operation="create", status="success"} moved by 0 '
        "during create-tenant\n"
        "  expected: a move of exactly 1\n"
        "  fix: Increment the counter once where the operation completes, with the declared labels."
    )


def test_lint_finding_for_milliseconds(run: Any) -> None:
    text = b"# HELP render_milliseconds r\n# TYPE render_milliseconds gauge\nrender_milliseconds 3\n"
    (finding,) = run("METRICS-LINT", "document-generator", metrics_snapshot(text)).findings
    assert finding.message() == (
        'document-generator: GET /metrics family render_milliseconds: use base unit "seconds" instead of '
        '"milliseconds"\n'
        "  expected: names in base units (seconds, bytes, meters, grams, joules, celsius)\n"
        "  fix: Rename the family and convert the value (observe seconds, not milliseconds)."
    )


def test_a_crashing_check_becomes_a_finding(fleet: Fleet) -> None:
    ctx = CheckContext(fleet.service("auth"), fleet)
    result = run_check(CHECKS["HEALTH-ENDPOINTS"], ctx, object())
    (finding,) = result.findings
    assert finding.observed.startswith("the check HEALTH-ENDPOINTS itself failed: AttributeError")
