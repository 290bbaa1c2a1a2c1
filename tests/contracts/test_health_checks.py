"""HEALTH-* checks judged on hand-made observations: each passes a healthy one and fails a broken one."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import pytest
from observation_builders import (
    JSON_HEADERS,
    NOW,
    boot,
    exchange,
    fault,
    fleet_bodies,
    health_snapshot,
    ready_down,
    ready_up,
    replace,
    stamp,
)

from fleetcheck.contracts.findings import Outcome
from fleetcheck.contracts.observations import EndpointRead, StatsReads, TrafficObservation

if TYPE_CHECKING:
    from fleetcheck.contracts.fleet import Fleet

SNAPSHOT_CHECKS = [
    "HEALTH-ENDPOINTS",
    "HEALTH-CONTENT-TYPE",
    "HEALTH-NO-STORE",
    "HEALTH-SHAPE",
    "HEALTH-SERVICE-NAME",
    "HEALTH-TIMESTAMP",
    "HEALTH-READY-LISTS-DEPS",
    "HEALTH-DEPENDENCIES-MATCH",
    "HEALTH-STATS",
    "HEALTH-LATENCY",
]
FAULT_CHECKS = [
    "HEALTH-READY-REFLECTS-DEPS",
    "HEALTH-LIVE-INDEPENDENT",
    "HEALTH-CHEAP-INDEPENDENT",
    "HEALTH-READY-RECOVERS",
    "HEALTH-READY-LATENCY-MS",
]


@pytest.mark.parametrize("check_id", SNAPSHOT_CHECKS)
@pytest.mark.parametrize("service", ["auth", "api-gateway", "file-storage"])
def test_healthy_snapshot_passes(run: Any, fleet: Fleet, check_id: str, service: str) -> None:
    result = run(check_id, service, health_snapshot(fleet.service(service)))
    assert result.outcome is Outcome.PASSED, [f.message() for f in result.findings]


@pytest.mark.parametrize("check_id", FAULT_CHECKS)
def test_well_behaved_fault_passes(run: Any, fleet: Fleet, check_id: str) -> None:
    result = run(check_id, "master-data", fault(fleet.service("master-data")))
    assert result.outcome is Outcome.PASSED, [f.message() for f in result.findings]


def test_frozen_dependency_answered_in_bound_passes_ready_bounded(run: Any, fleet: Fleet) -> None:
    result = run(
        "HEALTH-READY-BOUNDED",
        "auth",
        fault(
            fleet.service("auth"),
            "kafka",
            mode="freeze",
            during_ready=ready_down(fleet.service("auth"), "kafka", elapsed_s=2.1),
        ),
    )
    assert result.outcome is Outcome.PASSED, [f.message() for f in result.findings]


def _failing(run: Any, check_id: str, service: str, observation: object, **settings: Any) -> list[str]:
    result = run(check_id, service, observation, **settings)
    assert result.outcome is Outcome.FAILED
    assert all(f.check_id == check_id and f.service == service for f in result.findings)
    return [f.message() for f in result.findings]


def test_endpoints_fails_on_500_and_transport_error(run: Any, fleet: Fleet) -> None:
    svc = fleet.service("auth")
    snap = health_snapshot(
        svc,
        overrides={
            "stats": exchange("/health/stats", status=500, body={"detail": "boom"}),
            "live": exchange("/health/live", status=0, error="connection refused"),
        },
    )
    messages = _failing(run, "HEALTH-ENDPOINTS", "auth", snap)
    assert any("GET /health/stats answered 500" in m for m in messages)
    assert any("GET /health/live got no response: connection refused" in m for m in messages)


def test_endpoints_fails_when_a_defined_endpoint_was_not_observed(run: Any, fleet: Fleet) -> None:
    snap = health_snapshot(fleet.service("auth"), overrides={"dependencies": None})
    assert (
        "the dependencies endpoint (GET /health/dependencies) was not observed"
        in _failing(run, "HEALTH-ENDPOINTS", "auth", snap)[0]
    )


def test_content_type_fails_on_text_html(run: Any, fleet: Fleet) -> None:
    snap = health_snapshot(fleet.service("auth"), headers={"content-type": "text/html", "cache-control": "no-store"})
    messages = _failing(run, "HEALTH-CONTENT-TYPE", "auth", snap)
    assert len(messages) == 5
    assert "answered Content-Type text/html" in messages[0]


def test_content_type_accepts_json_with_charset(run: Any, fleet: Fleet) -> None:
    headers = {"content-type": "application/json; charset=utf-8", "cache-control": "no-store"}
    assert run("HEALTH-CONTENT-TYPE", "auth", health_snapshot(fleet.service("auth"), headers=headers)).outcome is (
        Outcome.PASSED
    )


def test_no_store_fails_when_cacheable(run: Any, fleet: Fleet) -> None:
    headers = {"content-type": "application/json", "cache-control": "max-age=60"}
    messages = _failing(run, "HEALTH-NO-STORE", "auth", health_snapshot(fleet.service("auth"), headers=headers))
    assert "Cache-Control max-age=60" in messages[0]


def test_shape_fails_on_ready_without_checks(run: Any, fleet: Fleet) -> None:
    snap = health_snapshot(fleet.service("auth"), bodies={"ready": {"status": "ok", "timestamp": stamp()}})
    messages = _failing(run, "HEALTH-SHAPE", "auth", snap)
    assert "GET /health/ready body is not a valid ready body: $: 'checks' is a required property" in messages[0]


def test_shape_fails_on_down_dependency_without_error(run: Any, fleet: Fleet) -> None:
    body = {"status": "error", "checks": {"postgres": {"status": "down"}}, "timestamp": stamp()}
    snap = health_snapshot(fleet.service("auth"), bodies={"ready": body})
    assert "'error' is a required property" in _failing(run, "HEALTH-SHAPE", "auth", snap)[0]


def test_service_name_fails_on_wrong_name(run: Any, fleet: Fleet) -> None:
    svc = fleet.service("master-data")
    snap = health_snapshot(svc, bodies={"health": {"status": "ok", "service": "masterdata", "timestamp": stamp()}})
    message = _failing(run, "HEALTH-SERVICE-NAME", "master-data", snap)[0]
    assert "GET /health names the service 'masterdata'" in message
    assert 'expected: "service": "master-data"' in message


@pytest.mark.parametrize(
    ("timestamp", "fragment"),
    [
        ("2025-06-15T15:06:40", "without an offset"),
        ("yesterday", "not ISO-8601"),
        (stamp(NOW - 120), "-120.0 s from the observer's clock"),
    ],
)
def test_timestamp_fails_without_offset_or_stale(run: Any, fleet: Fleet, timestamp: str, fragment: str) -> None:
    snap = health_snapshot(fleet.service("auth"), bodies={"live": {"status": "ok", "timestamp": timestamp}})
    messages = _failing(run, "HEALTH-TIMESTAMP", "auth", snap)
    assert len(messages) == 1
    assert fragment in messages[0]
    assert "GET /health/live" in messages[0]


def test_timestamp_accepts_dhaka_offset(run: Any, fleet: Fleet) -> None:
    body = {"status": "ok", "timestamp": "2025-06-15T21:06:40+06:00"}  # == NOW in Asia/Dhaka
    snap = health_snapshot(fleet.service("auth"), bodies={"live": body})
    assert run("HEALTH-TIMESTAMP", "auth", snap).outcome is Outcome.PASSED


def test_ready_lists_deps_fails_on_missing_kafka_and_missing_latency(run: Any, fleet: Fleet) -> None:
    body = {"status": "ok", "checks": {"postgres": {"status": "up"}}, "timestamp": stamp()}
    snap = health_snapshot(fleet.service("auth"), bodies={"ready": body})
    messages = _failing(run, "HEALTH-READY-LISTS-DEPS", "auth", snap)
    assert any("gives it no numeric latency (declared dependency postgres" in m for m in messages)
    assert any(
        "does not list it (declared dependency kafka, type kafka, looked up as kafka or broker)" in m for m in messages
    )


def test_ready_lists_deps_names_the_downstream_service_for_the_gateway(run: Any, fleet: Fleet) -> None:
    svc = fleet.service("api-gateway")
    body = {"status": "ok", "checks": {"kafka": {"status": "up", "latency_ms": 1}}, "timestamp": stamp()}
    messages = _failing(run, "HEALTH-READY-LISTS-DEPS", "api-gateway", health_snapshot(svc, bodies={"ready": body}))
    assert len(messages) == 5
    assert any("declared dependency organization, type service" in m for m in messages)


def test_dependencies_match_fails_on_extra_and_wrong_type(run: Any, fleet: Fleet) -> None:
    svc = fleet.service("document-generator")
    body = {
        "service": svc.name,
        "timestamp": stamp(),
        "dependencies": [
            {"name": "postgres", "type": "postgres", "required": True, "status": "up", "latency_ms": 1},
            {"name": "kafka", "type": "kafka", "required": True, "status": "up", "latency_ms": 1},
            {"name": "file-storage", "type": "storage", "required": True, "status": "up", "latency_ms": 1},
            {"name": "redis", "type": "service", "required": False, "status": "up", "latency_ms": 1},
        ],
    }
    message = _failing(run, "HEALTH-DEPENDENCIES-MATCH", svc.name, health_snapshot(svc, bodies={"dependencies": body}))[
        0
    ]
    assert "file-storage (storage, required)" in message
    assert "redis (service, optional)" in message
    assert "file-storage (service, required)" in message


def test_stats_fails_on_missing_rss(run: Any, fleet: Fleet) -> None:
    body = {"service": "auth", "statistics": {"uptime_seconds": 1, "requests_total": "7"}, "timestamp": stamp()}
    messages = _failing(run, "HEALTH-STATS", "auth", health_snapshot(fleet.service("auth"), bodies={"stats": body}))
    assert [m.split(": ", 1)[1].split("\n")[0] for m in messages] == [
        "GET /health/stats statistics.requests_total is '7'",
        "GET /health/stats statistics.rss_bytes is None",
    ]


def test_latency_fails_over_budget(run: Any, fleet: Fleet) -> None:
    svc = fleet.service("auth")
    healthy = health_snapshot(svc).exchange("health")
    assert healthy is not None
    slow = replace(healthy, elapsed_s=1.7)
    messages = _failing(run, "HEALTH-LATENCY", "auth", health_snapshot(svc, overrides={"health": slow}))
    assert "GET /health took 1.700 s" in messages[0]
    assert "within 1 s" in messages[0]


# --- fault checks ------------------------------------------------------------------------------------------------


def test_ready_reflects_deps_fails_when_ready_stays_200(run: Any, fleet: Fleet) -> None:
    svc = fleet.service("master-data")
    messages = _failing(run, "HEALTH-READY-REFLECTS-DEPS", "master-data", fault(svc, during_ready=ready_up(svc)))
    assert messages == [
        "master-data: GET /health/ready answered 200 while postgres was stopped\n"
        '  expected: 503 with checks.postgres.status = "down"\n'
        "  fix: Readiness must run a real query (SELECT 1) with a timeout."
    ]


def test_ready_reflects_deps_fails_when_503_does_not_name_the_dependency(run: Any, fleet: Fleet) -> None:
    svc = fleet.service("auth")
    body = {"status": "error", "checks": {"postgres": {"status": "up", "latency_ms": 1}}, "timestamp": stamp()}
    during = exchange("/health/ready", status=503, body=body, headers=JSON_HEADERS)
    messages = _failing(run, "HEALTH-READY-REFLECTS-DEPS", "auth", fault(svc, "kafka", during_ready=during))
    assert "answered 503 but does not list it while kafka was stopped" in messages[0]
    assert "metadata request" in messages[0]


def test_ready_reflects_deps_is_not_run_on_a_freeze_observation(run: Any, fleet: Fleet) -> None:
    svc = fleet.service("auth")
    obs = fault(svc, mode="freeze", during_ready=ready_up(svc))
    result = run("HEALTH-READY-REFLECTS-DEPS", "auth", obs)
    assert result.outcome is Outcome.NOT_RUN
    assert result.reason == "judged when a dependency is stopped; this observation froze it"


def test_ready_bounded_is_not_run_on_a_stop_observation(run: Any, fleet: Fleet) -> None:
    svc = fleet.service("auth")
    result = run("HEALTH-READY-BOUNDED", "auth", fault(svc, mode="stop", during_ready=ready_up(svc)))
    assert result.outcome is Outcome.NOT_RUN


def test_ready_bounded_fails_when_ready_hangs_with_the_dependency(run: Any, fleet: Fleet) -> None:
    svc = fleet.service("auth")
    hung = exchange("/health/ready", status=0, error="read timeout after 10 s", elapsed_s=10.0)
    messages = _failing(run, "HEALTH-READY-BOUNDED", "auth", fault(svc, mode="freeze", during_ready=hung))
    assert "took 10.00 s while postgres was frozen" in messages[0]
    assert "within 3 s" in messages[0]
    assert "own timeout" in messages[0]


def test_ready_fault_cannot_be_judged_without_a_ready_baseline(run: Any, fleet: Fleet) -> None:
    svc = fleet.service("auth")
    obs = fault(svc, baseline_ready=ready_down(svc, "kafka"))
    assert "before postgres was broken" in _failing(run, "HEALTH-READY-REFLECTS-DEPS", "auth", obs)[0]


def test_live_independent_fails_when_live_follows_the_dependency(run: Any, fleet: Fleet) -> None:
    svc = fleet.service("auth")
    live = exchange("/health/live", status=503, body={"status": "error", "timestamp": stamp()}, elapsed_s=2.0)
    message = _failing(run, "HEALTH-LIVE-INDEPENDENT", "auth", fault(svc, during_live=live))[0]
    assert "GET /health/live answered 503 after 2.00 s while postgres was stopped" in message


def test_cheap_health_fails_when_it_queries_the_stopped_database(run: Any, fleet: Fleet) -> None:
    svc = fleet.service("auth")
    health = exchange("/health", status=503, body={"status": "error"}, elapsed_s=0.4)
    message = _failing(run, "HEALTH-CHEAP-INDEPENDENT", "auth", fault(svc, during_health=health))[0]
    assert "GET /health answered 503 after 0.40 s while postgres was stopped" in message


def test_cheap_health_is_not_run_where_it_is_the_live_endpoint(run: Any, fleet: Fleet) -> None:
    svc = fleet.service("auth")
    same = exchange("/health/live", body={"status": "ok", "timestamp": stamp()}, headers=JSON_HEADERS)
    result = run("HEALTH-CHEAP-INDEPENDENT", "auth", fault(svc, during_health=same))
    assert result.outcome is Outcome.NOT_RUN
    assert "is also the live endpoint" in result.reason


def test_ready_recovers_fails_slow_recovery_and_restart(run: Any, fleet: Fleet) -> None:
    svc = fleet.service("auth")
    obs = fault(svc, recovery_s=40.0, start_time_after=1_750_000_100.0)
    messages = _failing(run, "HEALTH-READY-RECOVERS", "auth", obs)
    assert len(messages) == 2
    assert "answered 200 only after 40.0 s, beyond the 15 s recovery bound, once postgres came back" in messages[0]
    assert "the service restarted instead of recovering" in messages[1]


def test_ready_recovers_fails_when_still_down(run: Any, fleet: Fleet) -> None:
    svc = fleet.service("auth")
    message = _failing(run, "HEALTH-READY-RECOVERS", "auth", fault(svc, recovered_ready=ready_down(svc, "postgres")))[0]
    assert "answered 503" in message


# --- boot ---------------------------------------------------------------------------------------------------------


def test_boot_passes_a_service_that_listens_and_waits_for_its_dependency(run: Any, fleet: Fleet) -> None:
    result = run("HEALTH-BOOT", "auth", boot(fleet.service("auth")))
    assert result.outcome is Outcome.PASSED, [f.message() for f in result.findings]
    assert result.judged == 1


def test_boot_fails_a_service_that_holds_its_listener_until_the_broker_answers(run: Any, fleet: Fleet) -> None:
    refused = exchange("/health/live", status=0, error="ConnectError: connection refused", elapsed_s=0.0)
    obs = boot(fleet.service("auth"), live=refused, listening_s=None, ready=None, recovered_ready=None)
    (message,) = _failing(run, "HEALTH-BOOT", "auth", obs)
    assert "started while kafka was stopped, GET /health/live got no answer (ConnectError" in message
    assert "live 200 within 20 s of the start, with kafka down" in message


def test_boot_says_how_the_start_command_failed(run: Any, fleet: Fleet) -> None:
    refused = exchange("/health/live", status=0, error="ConnectError: connection refused", elapsed_s=0.0)
    failed = {"start_error": "exited with status 1 after 5.3 s", "start_output": "Unable to connect to the database"}
    obs = boot(
        fleet.service("auth"), "postgres", live=refused, listening_s=None, ready=None, recovered_ready=None, **failed
    )
    result = run("HEALTH-BOOT", "auth", obs)
    (finding,) = result.findings
    assert "within 20 s; its start command exited with status 1 after 5.3 s" in finding.message()
    assert ("start output", "Unable to connect to the database") in finding.evidence


def test_boot_fails_ready_that_says_up_without_its_dependency(run: Any, fleet: Fleet) -> None:
    svc = fleet.service("auth")
    (message,) = _failing(run, "HEALTH-BOOT", "auth", boot(svc, ready=ready_up(svc)))
    assert "GET /health/ready said ready (200) at boot while kafka was stopped" in message


def test_boot_fails_a_service_that_never_becomes_ready_after_the_dependency_returns(run: Any, fleet: Fleet) -> None:
    svc = fleet.service("auth")
    obs = boot(svc, recovered_ready=ready_down(svc, "kafka"), recovery_s=15.2)
    (message,) = _failing(run, "HEALTH-BOOT", "auth", obs)
    assert "answered 503 15.2 s after kafka came back" in message


# --- other profiles ----------------------------------------------------------------------------------------------

TERMINUS_OK = {
    "status": "ok",
    "info": {"database": {"status": "up"}, "kafka": {"status": "up"}},
    "error": {},
    "details": {"database": {"status": "up"}, "kafka": {"status": "up"}},
}


def test_terminus_snapshot_passes_and_does_not_run_checks_its_bodies_cannot_answer(run: Any, fleet: Fleet) -> None:
    svc = fleet.service("auth")
    snap = health_snapshot(svc, profile="terminus", bodies=dict.fromkeys(("health", "live", "ready"), TERMINUS_OK))
    not_run = {
        "HEALTH-STATS": "the service declares no stats endpoint",
        "HEALTH-DEPENDENCIES-MATCH": "the service declares no dependencies endpoint",
        # Terminus bodies carry neither: a pass here would be vacuous (the foreign-fleet issue)
        "HEALTH-SERVICE-NAME": "the terminus health profile's bodies carry no service field",
        "HEALTH-TIMESTAMP": "the terminus health profile's bodies carry no timestamp field",
    }
    for check_id in SNAPSHOT_CHECKS:
        result = run(check_id, "auth", snap)
        if check_id in not_run:
            assert result.outcome is Outcome.NOT_RUN, check_id
            assert not_run[check_id] in result.reason
        else:
            assert result.outcome is Outcome.PASSED, (check_id, [f.message() for f in result.findings])
            assert result.judged > 0, check_id


def test_terminus_ready_missing_kafka_fails_lists_deps(run: Any, fleet: Fleet) -> None:
    svc = fleet.service("auth")
    body = {
        "status": "ok",
        "info": {"database": {"status": "up"}},
        "error": {},
        "details": {"database": {"status": "up"}},
    }
    snap = health_snapshot(svc, profile="terminus", bodies={"health": body, "live": body, "ready": body})
    assert "(declared dependency kafka" in _failing(run, "HEALTH-READY-LISTS-DEPS", "auth", snap)[0]


def test_health_json_content_type_is_required_for_that_profile(run: Any, fleet: Fleet) -> None:
    svc = fleet.service("auth")
    body = {
        "status": "pass",
        "checks": {
            "postgres:responseTime": [{"status": "pass", "observedValue": 3, "observedUnit": "ms"}],
            "kafka:responseTime": [{"status": "pass", "observedValue": 0.004, "observedUnit": "s"}],
        },
    }
    bodies = dict.fromkeys(("health", "live", "ready"), body)
    ok = health_snapshot(
        svc,
        profile="health+json",
        bodies=bodies,
        headers={"content-type": "application/health+json", "cache-control": "no-store"},
    )
    assert run("HEALTH-CONTENT-TYPE", "auth", ok).outcome is Outcome.PASSED
    assert run("HEALTH-READY-LISTS-DEPS", "auth", ok).outcome is Outcome.PASSED
    plain = health_snapshot(svc, profile="health+json", bodies=bodies)
    assert "expected: Content-Type application/health+json" in _failing(run, "HEALTH-CONTENT-TYPE", "auth", plain)[0]


# --- stats around known traffic (HEALTH-STATS-MOVE) -----------------------------------------------------------------


def _stats_traffic(
    fleet: Fleet,
    *,
    uptimes: tuple[float, float] = (12.5, 12.62),
    counts: tuple[int, int] = (40, 47),
    between_s: tuple[float, float] = (0.1, 0.13),
    sent: int = 5,
) -> TrafficObservation:
    def read(uptime: float, count: int) -> EndpointRead:
        body = fleet_bodies(fleet.service("auth"))["stats"]
        body["statistics"] |= {"uptime_seconds": uptime, "requests_total": count}
        return EndpointRead("stats", "/health/stats", "fleet", exchange("/health/stats", body=body))

    scrape = exchange("/metrics", body=b"")
    return TrafficObservation(
        before=scrape,
        sent=tuple(exchange("/health") for _ in range(sent)),
        after=scrape,
        id_paths=(),
        stats=StatsReads(read(uptimes[0], counts[0]), read(uptimes[1], counts[1]), between_s=between_s),
    )


def test_stats_move_passes_when_uptime_and_count_follow_the_traffic(run: Any, fleet: Fleet) -> None:
    # 5 answered requests, plus up to 3 of fleetcheck's own reads (the first stats read, both scrapes)
    for counts in ((40, 45), (40, 48)):
        result = run("HEALTH-STATS-MOVE", "auth", _stats_traffic(fleet, counts=counts))
        assert result.outcome is Outcome.PASSED, [f.message() for f in result.findings]


def test_stats_move_allows_an_uptime_in_whole_seconds(run: Any, fleet: Fleet) -> None:
    result = run("HEALTH-STATS-MOVE", "auth", _stats_traffic(fleet, uptimes=(12, 13)))
    assert result.outcome is Outcome.PASSED, [f.message() for f in result.findings]


def test_stats_move_fails_on_an_uptime_that_does_not_follow_the_clock(run: Any, fleet: Fleet) -> None:
    # now / started instead of now - started: it barely moves over a tenth of a second
    (message,) = _failing(run, "HEALTH-STATS-MOVE", "auth", _stats_traffic(fleet, uptimes=(1.0001, 1.0001)))
    assert "statistics.uptime_seconds moved from 1.0001 to 1.0001" in message
    assert "0.100-0.130 s apart" in message


@pytest.mark.parametrize(("counts", "moved"), [((40, 40), "by 0"), ((40, 56), "by 16")])
def test_stats_move_fails_on_a_count_that_misses_or_doubles_requests(
    run: Any, fleet: Fleet, counts: tuple[int, int], moved: str
) -> None:
    (message,) = _failing(run, "HEALTH-STATS-MOVE", "auth", _stats_traffic(fleet, counts=counts))
    assert f"statistics.requests_total moved {moved} while 5 requests were answered" in message


def test_stats_move_is_not_run_without_a_stats_endpoint(run: Any, fleet: Fleet) -> None:
    traffic = dataclasses.replace(_stats_traffic(fleet), stats=None)
    result = run("HEALTH-STATS-MOVE", "auth", traffic)
    assert result.outcome is Outcome.NOT_RUN
    assert "declares no stats endpoint" in result.reason


# --- latencies in ready bodies around a fault (HEALTH-READY-LATENCY-MS) ---------------------------------------------


def _frozen(fleet: Fleet, latency_ms: float, *, again: float | None = 0.0) -> Any:
    service = fleet.service("master-data")
    return fault(
        service,
        mode="freeze",
        during_ready=ready_down(service, "postgres", latency_ms=latency_ms, elapsed_s=2.05),
        during_ready_again=None if again is None else ready_down(service, "postgres", latency_ms=again),
    )


def test_ready_latency_ms_passes_on_a_timed_out_check_reported_in_milliseconds(run: Any, fleet: Fleet) -> None:
    result = run("HEALTH-READY-LATENCY-MS", "master-data", _frozen(fleet, 2001.4))
    assert result.outcome is Outcome.PASSED, [f.message() for f in result.findings]
    assert result.judged == 4


def test_ready_latency_ms_fails_on_seconds_under_a_millisecond_name(run: Any, fleet: Fleet) -> None:
    (message,) = _failing(run, "HEALTH-READY-LATENCY-MS", "master-data", _frozen(fleet, 2.001))
    assert "while postgres was frozen" in message
    assert "latency_ms 2.001: under a tenth of the 2050 ms it waited" in message


def test_ready_latency_ms_fails_on_a_sentinel_for_a_pending_check(run: Any, fleet: Fleet) -> None:
    (message,) = _failing(run, "HEALTH-READY-LATENCY-MS", "master-data", _frozen(fleet, 2001.4, again=-1.0))
    assert "again 0.2 s after the first read, while postgres was frozen" in message
    assert "latency_ms -1: negative" in message


def test_ready_latency_ms_does_not_bound_a_stopped_dependency_from_below(run: Any, fleet: Fleet) -> None:
    service = fleet.service("master-data")
    # a refused connection is reported in 0.3 ms of a slow answer: nothing hung, so no lower bound applies
    stopped = fault(service, during_ready=ready_down(service, "postgres", latency_ms=0.3, elapsed_s=1.5))
    result = run("HEALTH-READY-LATENCY-MS", "master-data", stopped)
    assert result.outcome is Outcome.PASSED, [f.message() for f in result.findings]


def test_ready_latency_ms_allows_a_pending_check_in_a_slow_second_answer(run: Any, fleet: Fleet) -> None:
    # a loaded machine makes the second read slow, and its pending check has spent no time of its own: no bound
    service = fleet.service("master-data")
    observation = _frozen(fleet, 2001.4, again=None)
    slow_again = ready_down(service, "postgres", latency_ms=0.0, elapsed_s=1.6)
    result = run(
        "HEALTH-READY-LATENCY-MS", "master-data", dataclasses.replace(observation, during_ready_again=slow_again)
    )
    assert result.outcome is Outcome.PASSED, [f.message() for f in result.findings]
