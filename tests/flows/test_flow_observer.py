"""The flow observer refuses, with the reason, a flow the target cannot run, and the runner reports it as not run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest

from fleetcheck.contracts.findings import Outcome
from fleetcheck.contracts.fleet import load_fleet
from fleetcheck.contracts.registry import CheckSettings
from fleetcheck.flows import FlowNotRunnable, observe_flow
from fleetcheck.runner import verify
from fleetcheck.targets import Credentials, Endpoint

if TYPE_CHECKING:
    from fleetcheck.contracts.fleet import Fleet


@dataclass
class StubTarget:
    """A target whose services answer nowhere: only what the observer decides before sending anything is tested."""

    services: tuple[str, ...]
    credentials: Credentials = field(default_factory=lambda: Credentials("a.b.c", "tenant-1"))
    kafka_bootstrap: str | None = None
    fleet: Fleet = field(default_factory=load_fleet)
    settings: CheckSettings = field(default_factory=CheckSettings)
    description: str = "stub target"
    fault_hooks: dict[str, object] = field(default_factory=dict)

    @property
    def endpoints(self) -> dict[str, Endpoint]:
        return {s: Endpoint.of(load_fleet(), s, "http://127.0.0.1:1") for s in self.services}

    @property
    def unavailable(self) -> dict[str, str]:
        return {s: "not in the target file" for s in self.fleet.names() if s not in self.services}

    def missing_fault_reason(self, dependency: str, mode: str) -> str:
        return "stub"


def test_a_flow_whose_services_the_target_lacks_is_refused_naming_them() -> None:
    target = StubTarget(("auth", "master-data"))
    with pytest.raises(FlowNotRunnable, match="needs api-gateway, which the target lacks"):
        observe_flow(target, "flow-login-gateway")  # type: ignore[arg-type]


def test_a_flow_without_tenant_credentials_is_refused_with_the_targets_reason() -> None:
    target = StubTarget(("workflow", "rules-engine"), Credentials(missing_reason="the target file has no tenant"))
    with pytest.raises(FlowNotRunnable, match="the target file has no tenant"):
        observe_flow(target, "flow-rules-steer")  # type: ignore[arg-type]


def test_the_audit_flow_without_kafka_is_refused_saying_what_to_add() -> None:
    target = StubTarget(("master-data", "auth", "audit"))
    with pytest.raises(FlowNotRunnable, match=r"add kafka\.bootstrap to the target file"):
        observe_flow(target, "flow-audit")  # type: ignore[arg-type]


def test_the_runner_reports_unrunnable_flows_as_not_run_with_the_reason() -> None:
    target = StubTarget(("auth", "master-data", "workflow"))
    report = verify(target, areas=["flows"])  # type: ignore[arg-type]
    results = {r.check_id: r for r in report.results if r.outcome is not Outcome.PASSED}
    assert results["FLOWS-LOGIN-GATEWAY-MASTER-DATA"].outcome is Outcome.NOT_RUN
    assert "api-gateway" in results["FLOWS-LOGIN-GATEWAY-MASTER-DATA"].reason
    assert "rules-engine" in results["FLOWS-RULES-STEER-WORKFLOW"].reason
    assert "audit" in results["FLOWS-AUDIT-EVERY-OPERATION"].reason
