"""Journeys on the real reference fleet (the session's shared fleet, in the group of tests/contract, so no fleet of
its own): a cycle of both journeys passes with every step timed and leaves no customer behind, the leftover of an
interrupted run is deleted by the next, a failing step still runs the clean-up, and a prober that reports such a
journey as passed (a mutant) is caught by what that test asserts."""

from __future__ import annotations

import dataclasses
import time
import uuid
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from fleetcheck.contracts.findings import Outcome
from fleetcheck.contracts.flows import graphql_result
from fleetcheck.events import kafka_bootstrap_of
from fleetcheck.journeys import MARKER, run_journey
from fleetcheck.probes import ProbeResult, ProbeRunner, default_probe_file
from fleetcheck.reference import ReferenceFleet

if TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import MutationScore
    from fleetcheck.contracts.flow_observations import LoginGatewayObservation
    from fleetcheck.probes import Probe, ProbeFile
    from fleetcheck.targets import Target

pytestmark = pytest.mark.servers

_CUSTOMER_STEPS = ["leftovers", "login", "create", "read", "audit", "delete"]


@pytest.fixture
def reference(fleet_target: Target, close_with_group: Callable[[str, Callable[[], None]], None]) -> ReferenceFleet:
    if not isinstance(fleet_target, ReferenceFleet):
        pytest.skip("reads the synthetic tenant's customers back with the reference fleet's own credentials")
    close_with_group(__file__, fleet_target.close)  # the shared fleet stops after its group's last test
    return fleet_target


def _journeys_only() -> ProbeFile:
    spec = default_probe_file()
    return replace(spec, probes=tuple(p for p in spec.probes if p.journey))


def _master_data(fleet: Target, method: str, path: str, body: Any = None) -> httpx.Response:
    token = fleet.credentials.tenant_token
    url = fleet.endpoints["master-data"].url(path)
    return httpx.request(method, url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=15.0)


def _marked_customers(fleet: Target) -> list[str]:
    listed = _master_data(fleet, "GET", "/customers?limit=500")
    assert listed.status_code == 200, listed.text
    return [c["code"] for c in listed.json() if str(c["code"]).startswith(MARKER)]


def test_a_journey_cycle_passes_with_every_step_timed_and_leaves_no_customer(reference: ReferenceFleet) -> None:
    with ProbeRunner(reference, _journeys_only()) as runner:
        results = {r.probe: r for r in runner.cycle()}
    assert set(results) == {"journey-customer", "journey-workflow"}
    for name, result in results.items():
        assert (result.outcome, result.reason) == (Outcome.PASSED, "ok"), (name, result.detail)
        assert all(c.outcome is Outcome.PASSED and c.judged > 0 for c in result.checks), result.checks
        assert all(step.duration_s > 0 for step in result.steps), result.steps
    customer, workflow = results["journey-customer"], results["journey-workflow"]
    assert (customer.service, workflow.service) == ("auth", "workflow")
    assert [s.name for s in customer.steps] == _CUSTOMER_STEPS
    assert [s.name for s in workflow.steps] == ["start", "complete", "notification"]
    assert {c.check_id for c in customer.checks} == {"FLOWS-LOGIN-GATEWAY-MASTER-DATA", "FLOWS-AUDIT-EVERY-OPERATION"}
    assert customer.cleanup_failures == ()
    assert _marked_customers(reference) == []
    print("journey steps:", {n: {s.name: round(s.duration_s, 3) for s in r.steps} for n, r in results.items()})


def test_the_journeys_customer_reads_back_404_after_it_ran(reference: ReferenceFleet) -> None:
    run = run_journey(reference, "customer")
    assert (run.error, run.not_run, run.cleanup_failures) == ("", "", ())
    observed: LoginGatewayObservation = run.observation("flow-login-gateway")  # type: ignore[assignment]
    created = graphql_result(observed.create)[0]["createCustomer"]
    assert created["code"].startswith(MARKER)
    assert observed.rest_read is not None
    assert observed.rest_read.status == 200  # it existed during the journey
    assert _master_data(reference, "GET", f"/customers/{created['id']}").status_code == 404


def test_a_leftover_of_an_interrupted_run_is_deleted_by_the_next_run(reference: ReferenceFleet) -> None:
    # what an interrupted run leaves: a marked customer created an hour ago (the code carries the second it was made)
    code = f"{MARKER}{int(time.time()) - 3600}-{uuid.uuid4().hex[:8]}"
    made = _master_data(reference, "POST", "/customers", {"code": code, "name": "fleetcheck journey"})
    assert made.status_code == 201, made.text
    young = f"{MARKER}{int(time.time())}-{uuid.uuid4().hex[:8]}"  # a journey still running elsewhere: left alone
    in_flight = _master_data(reference, "POST", "/customers", {"code": young, "name": "fleetcheck journey"})
    assert in_flight.status_code == 201, in_flight.text
    try:
        run = run_journey(reference, "customer", in_flight_s=300.0)
        assert code in run.cleaned, run
        assert young not in run.cleaned
        assert _master_data(reference, "GET", f"/customers/{made.json()['id']}").status_code == 404
        assert _master_data(reference, "GET", f"/customers/{in_flight.json()['id']}").status_code == 200
    finally:
        _master_data(reference, "DELETE", f"/customers/{made.json()['id']}")
        _master_data(reference, "DELETE", f"/customers/{in_flight.json()['id']}")


class _AuditUnreachable:
    """The reference fleet with audit's URL pointing at a port nobody serves: the journey's audit step fails."""

    def __init__(self, fleet: ReferenceFleet, port: int) -> None:
        self._fleet, self._port = fleet, port

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fleet, name)

    @property
    def endpoints(self) -> dict[str, Any]:
        endpoints = dict(self._fleet.endpoints)
        endpoints["audit"] = dataclasses.replace(endpoints["audit"], base_url=f"http://127.0.0.1:{self._port}")
        return endpoints

    @property
    def kafka_bootstrap(self) -> str | None:
        return kafka_bootstrap_of(self._fleet)


def _customer_journey(spec: ProbeFile) -> Probe:
    # a short time-out shrinks the waits in proportion: the dead audit is polled for seconds, not 45
    return replace(spec.probe("journey-customer"), timeout_s=20.0)


def _failed_step_cleaned_up(runner_type: type[ProbeRunner], target: Any, fleet: Target) -> tuple[bool, ProbeResult]:
    """What the failing-step test asserts: the journey failed at its audit step, and its customer is gone."""
    with runner_type(target, default_probe_file()) as runner:
        result = runner.run("auth", _customer_journey(runner.spec))
    verdicts = {c.check_id: c.outcome for c in result.checks}
    holds = (
        result.outcome is Outcome.FAILED
        and result.reason != "ok"
        and verdicts.get("FLOWS-AUDIT-EVERY-OPERATION") is Outcome.FAILED
        and verdicts.get("FLOWS-LOGIN-GATEWAY-MASTER-DATA") is Outcome.PASSED  # the customer was made and read
        and [s.name for s in result.steps][-1:] == ["delete"]
        and _marked_customers(fleet) == []
    )
    return holds, result


def test_a_failing_step_still_runs_the_cleanup(reference: ReferenceFleet, closed_port: int) -> None:
    holds, result = _failed_step_cleaned_up(ProbeRunner, _AuditUnreachable(reference, closed_port), reference)
    assert holds, (result.outcome, result.reason, result.detail, result.steps)
    assert "audit GET /audit-logs" in result.detail
    assert [s.name for s in result.steps] == _CUSTOMER_STEPS


class PassesAFailedJourney(ProbeRunner):
    """Reads a journey that got through to its delete as passed, whatever a step before it showed."""

    def _run_journey(self, service: str, probe: Probe, started: float) -> ProbeResult:
        result = super()._run_journey(service, probe, started)
        if [s.name for s in result.steps][-1:] == ["delete"]:
            return replace(result, outcome=Outcome.PASSED, reason="ok")
        return result


@pytest.mark.mutant
def test_mutant_passes_a_failed_journey_is_caught(
    reference: ReferenceFleet, closed_port: int, mutation_score: MutationScore
) -> None:
    target = _AuditUnreachable(reference, closed_port)
    killed = not _failed_step_cleaned_up(PassesAFailedJourney, target, reference)[0]
    mutation_score.record("probes", "passes_a_failed_journey", killed=killed)
    assert killed, "a prober that reports a journey with a failed step as passed went unnoticed"
