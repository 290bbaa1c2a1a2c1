"""Observers against real loopback servers: transport errors become data, traffic and operations are exact,
the fault phase breaks once, reads concurrently and always restores."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest

from fleetcheck.contracts.fleet import Fleet, OperationSpec, load_fleet
from fleetcheck.observe import (
    exchange,
    observe_client,
    observe_faults,
    observe_health,
    observe_metrics,
    observe_traffic,
    process_start_time,
)
from fleetcheck.steps import MissingStepCredential, observe_operation
from fleetcheck.targets import Credentials, Endpoint

if TYPE_CHECKING:
    from _tiny_service import TinyService

pytestmark = pytest.mark.servers
FLEET = load_fleet()


def _at(base_url: str) -> Endpoint:
    return Endpoint.of(FLEET, "auth", base_url)


@dataclass
class _Target:
    """Just enough of a target for the step runner: the fleet, one endpoint, credentials."""

    endpoint: Endpoint
    credentials: Credentials
    fleet: Fleet = FLEET
    unavailable: dict[str, str] = field(default_factory=dict)

    @property
    def endpoints(self) -> dict[str, Endpoint]:
        return {"auth": self.endpoint}


def _count(scrape: bytes, route: str) -> float:
    total = 0.0
    for line in scrape.decode().splitlines():
        if line.startswith("http_requests_total{") and f'route="{route}"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_closed_port_gives_status_0_with_the_error_not_an_exception(closed_port: int) -> None:
    snapshot = observe_health(_at(f"http://127.0.0.1:{closed_port}"))
    assert [r.endpoint for r in snapshot.reads] == ["health", "live", "ready", "stats", "dependencies"]
    for answer in (r.exchange for r in snapshot.reads):
        assert answer is not None
        assert answer.status == 0
        assert "ConnectError" in answer.error


def test_health_snapshot_reads_the_five_endpoints(tiny: TinyService) -> None:
    snapshot = observe_health(_at(tiny.base_url))
    statuses = [r.exchange.status for r in snapshot.reads if r.exchange is not None and r.endpoint != "stats"]
    assert statuses[:3] == [200, 200, 200]
    assert snapshot.stats is not None
    assert snapshot.stats.path == "/health/stats"
    health = snapshot.exchange("health")
    assert health is not None
    assert json.loads(health.body)["service"] == "auth"


def test_metrics_snapshot_asks_for_openmetrics_the_second_time(tiny: TinyService) -> None:
    snapshot = observe_metrics(_at(tiny.base_url))
    assert snapshot.text.status == 200
    assert dict(snapshot.openmetrics.request_headers)["Accept"].startswith("application/openmetrics-text")


def test_traffic_moves_the_counter_by_exactly_the_requests_sent(tiny: TinyService) -> None:
    observed = observe_traffic(_at(tiny.base_url), ["/things/{id}"], health_requests=4)
    assert _count(observed.after.body, "/health") - _count(observed.before.body, "/health") == 4
    assert _count(observed.after.body, "/things/{thing_id}") - _count(observed.before.body, "/things/{thing_id}") == 2
    assert len(observed.id_paths) == len(set(observed.id_paths)) == 2
    assert all(p.startswith("/things/") and len(p) == len("/things/") + 36 for p in observed.id_paths)
    assert len(observed.sent) == 6


def test_stats_in_whole_seconds_are_read_again_more_than_a_second_apart(tiny: TinyService) -> None:
    plain = observe_traffic(_at(tiny.base_url), [], health_requests=2)
    assert plain.stats is not None
    # without the profile the observer cannot tell the uptime is whole seconds, so it reads no third time
    assert [r.exchange.status for r in (plain.stats.first, plain.stats.second) if r.exchange] == [200, 200]
    stretched = observe_traffic(_at(tiny.base_url), [], health_requests=2, stats_profile=FLEET.profile("fleet"))
    assert stretched.stats is not None
    shortest, longest = stretched.stats.between_s
    assert 1.2 <= shortest <= longest  # so a whole-second uptime has a second to move by
    assert [r.exchange.status for r in (stretched.stats.first, stretched.stats.second) if r.exchange] == [200, 200]


def _operation(auth: str) -> OperationSpec:
    return OperationSpec.model_validate(
        {
            "name": "echo",
            "steps": [
                {
                    "name": "echo",
                    "request": {
                        "method": "POST",
                        "path": "/echo/{uuid}",
                        "auth": auth,
                        "json": {"t": "{tenant.id}-{uuid}"},
                    },
                    "save": {"echoed": "$.value"},
                },
                {"name": "echo again", "request": {"method": "POST", "path": "/echo/{echoed}", "auth": "none"}},
            ],
            "moves": [],
        }
    )


def test_operation_fills_placeholders_saves_answers_and_attaches_the_tenant_bearer(tiny: TinyService) -> None:
    target = _Target(_at(tiny.base_url), Credentials(tenant_token="tok-1", tenant_id="ten-1"))
    observed = observe_operation(target, "auth", _operation("tenant"))  # type: ignore[arg-type]
    first, second = (json.loads(e.body) for e in observed.exchanges)
    assert first["authorization"] == "Bearer tok-1"
    assert first["json"] == {"t": f"ten-1-{first['value']}"}
    assert len(first["value"]) == 36
    assert second["value"] == first["value"]  # the second step used what the first one saved
    assert second["authorization"] is None
    assert observed.before.status == observed.after.status == 200
    assert observed.refused == ()


def test_operation_needing_a_missing_credential_says_why_before_sending(tiny: TinyService) -> None:
    credentials = Credentials(tenant_token="tok-1", missing_reason="the target file has no platform_admin_token")
    target = _Target(_at(tiny.base_url), credentials)
    with pytest.raises(MissingStepCredential, match="needs the platform-admin token; the target file has no"):
        observe_operation(target, "auth", _operation("platform_admin"))  # type: ignore[arg-type]


@dataclass
class _SwitchHook:
    """Breaks the tiny service's dependency the way a real outage looks from outside: ready answers 503."""

    service: TinyService
    fail_restore: bool = False
    modes: frozenset[str] = frozenset({"stop"})
    calls: list[str] = field(default_factory=list)

    def inject(self, mode: str) -> None:
        self.calls.append(f"inject {mode}")
        self.service.broken.set()

    def restore(self, mode: str) -> None:
        self.calls.append(f"restore {mode}")
        self.service.broken.clear()


def test_fault_phase_reads_ready_during_the_fault_and_after_recovery(tiny: TinyService) -> None:
    hook = _SwitchHook(tiny)
    observed = observe_faults(hook, "postgres", "stop", {"auth": _at(tiny.base_url)})["auth"]
    assert hook.calls == ["inject stop", "restore stop"]
    statuses = (observed.baseline_ready.status, observed.during_ready.status, observed.during_live.status)
    assert statuses == (200, 503, 200)
    assert observed.recovered_ready.status == 200
    assert observed.recovery_s < 15.0
    assert (observed.dependency, observed.mode, observed.profile) == ("postgres", "stop", "fleet")


def test_fault_phase_restores_even_when_a_read_fails(tiny: TinyService, monkeypatch: pytest.MonkeyPatch) -> None:
    import fleetcheck.observe as observe

    def explode(*_args: object) -> None:
        raise RuntimeError("reader bug")

    monkeypatch.setattr(observe, "_read_during", explode)
    hook = _SwitchHook(tiny)
    with pytest.raises(RuntimeError, match="reader bug"):
        observe_faults(hook, "postgres", "stop", {"auth": _at(tiny.base_url)})
    assert hook.calls == ["inject stop", "restore stop"]
    assert not tiny.broken.is_set()


def test_process_start_time_is_read_from_the_scrape_or_none(tiny: TinyService) -> None:
    with observe_client() as client:
        scrape = exchange(client, "GET", f"{tiny.base_url}/metrics")
    assert process_start_time(scrape) is None  # the tiny service exposes no process collector
    with_start = type(scrape)("GET", "u", "/metrics", 200, (), b"process_start_time_seconds 1.7e9\n", 0.0)
    assert process_start_time(with_start) == 1.7e9
