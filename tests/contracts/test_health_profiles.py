"""Health profiles normalise realistic bodies of each dialect into one model."""

from __future__ import annotations

import json

import pytest
from fleetcheck.contracts.health_profiles import ENDPOINTS, DependencyState, profile_for

# The NestJS Terminus documentation's examples (docs.nestjs.com/recipes/terminus), with the fleet's indicators.
TERMINUS_UP = {
    "status": "ok",
    "info": {"database": {"status": "up"}, "memory_heap": {"status": "up"}},
    "error": {},
    "details": {"database": {"status": "up"}, "memory_heap": {"status": "up"}},
}
TERMINUS_DOWN = {
    "status": "error",
    "info": {"database": {"status": "up"}},
    "error": {"kafka": {"status": "down", "message": "Connection to broker timed out"}},
    "details": {"database": {"status": "up"}, "kafka": {"status": "down", "message": "Connection to broker timed out"}},
}
# The application/health+json draft's example (draft-inadarei-api-health-check, section 3), trimmed.
HEALTH_JSON = {
    "status": "warn",
    "version": "1",
    "releaseId": "1.2.2",
    "serviceId": "f03e522f-1f44-4062-9b55-9587f91c9c41",
    "description": "health of authz service",
    "checks": {
        "cassandra:responseTime": [
            {
                "componentId": "dfd6cf2b-1b6e-4412-a0b8-f6f7797a60d2",
                "componentType": "datastore",
                "observedValue": 250,
                "observedUnit": "ms",
                "status": "pass",
                "time": "2018-01-17T03:36:48Z",
                "output": "",
            }
        ],
        "cassandra:connections": [
            {
                "componentId": "dfd6cf2b-1b6e-4412-a0b8-f6f7797a60d2",
                "componentType": "datastore",
                "observedValue": 75,
                "status": "warn",
                "time": "2018-01-17T03:36:48Z",
                "output": "",
            }
        ],
        "uptime": [
            {
                "componentType": "system",
                "observedValue": 1209600.245,
                "observedUnit": "s",
                "status": "pass",
                "time": "2018-01-17T03:36:48Z",
            }
        ],
        "database:responseTime": [
            {
                "componentId": "pg-1",
                "observedValue": 2.5,
                "observedUnit": "s",
                "status": "fail",
                "time": "2018-01-17T03:36:48Z",
                "output": "statement timeout",
            }
        ],
    },
}


def _body(data: object) -> bytes:
    return json.dumps(data).encode()


def test_fleet_profile_reads_ready_with_a_down_dependency() -> None:
    body = {
        "status": "error",
        "timestamp": "2025-01-01T06:00:00+06:00",
        "checks": {"postgres": {"status": "up", "latency_ms": 1.25}, "kafka": {"status": "down", "error": "refused"}},
    }
    health = profile_for("fleet").normalize("ready", _body(body))
    assert health.status == "down"
    assert health.timestamp == "2025-01-01T06:00:00+06:00"
    assert not health.problems
    assert health.dependencies == {
        "postgres": DependencyState("up", latency_ms=1.25),
        "kafka": DependencyState("down", error="refused"),
    }


def test_fleet_profile_reads_dependencies_list_with_types() -> None:
    body = {
        "service": "auth",
        "timestamp": "2025-01-01T00:00:00Z",
        "dependencies": [{"name": "postgres", "type": "postgres", "required": True, "status": "up", "latency_ms": 2}],
    }
    health = profile_for("fleet").normalize("dependencies", _body(body))
    assert health.service == "auth"
    assert health.dependencies["postgres"] == DependencyState("up", 2.0, None, "postgres", True)


def test_fleet_profile_reports_unknown_status_and_bad_json() -> None:
    odd = profile_for("fleet").normalize("health", b'{"status": "healthy"}')
    assert odd.status == "unknown"
    assert odd.problems == ("status is 'healthy', expected 'ok' or 'error'",)
    broken = profile_for("fleet").normalize("health", b"<html>")
    assert broken.status == "unknown"
    assert broken.problems[0].startswith("body is not JSON")


def test_fleet_schemas_accept_spec_bodies_and_reject_a_naive_timestamp() -> None:
    profile = profile_for("fleet")
    assert (
        profile.validate("health", _body({"status": "ok", "service": "a", "timestamp": "2025-01-01T00:00:00Z"})) == ()
    )
    problems = profile.validate("live", _body({"status": "ok", "timestamp": "2025-01-01T00:00:00"}))
    assert len(problems) == 1
    assert problems[0].startswith("$.timestamp:")


def test_terminus_up_maps_database_to_postgres() -> None:
    health = profile_for("terminus").normalize("ready", _body(TERMINUS_UP))
    assert health.status == "up"
    assert health.timestamp is None
    assert health.service is None
    assert health.dependencies["postgres"].status == "up"
    assert "memory_heap" in health.dependencies


def test_terminus_down_carries_the_message_as_error() -> None:
    health = profile_for("terminus").normalize("ready", _body(TERMINUS_DOWN))
    assert health.status == "down"
    assert health.dependencies["kafka"] == DependencyState("down", error="Connection to broker timed out")
    assert profile_for("terminus").validate("ready", _body(TERMINUS_DOWN)) == ()


def test_health_json_groups_measurements_by_component() -> None:
    health = profile_for("health+json").normalize("ready", _body(HEALTH_JSON))
    assert health.status == "up"  # warn is healthy with a concern
    assert health.dependencies["cassandra"] == DependencyState("up", latency_ms=250.0)
    assert health.dependencies["postgres"] == DependencyState("down", latency_ms=2500.0, error="statement timeout")
    assert health.dependencies["uptime"].status == "up"


def test_health_json_fail_is_down_and_validates() -> None:
    profile = profile_for("health+json")
    assert profile.normalize("health", _body({"status": "fail"})).status == "down"
    assert profile.validate("ready", _body(HEALTH_JSON)) == ()
    assert profile.validate("ready", _body({"status": "pass", "checks": {"db": {"status": "pass"}}})) == (
        "$.checks['db']: expected an array of check results",
    )


@pytest.mark.parametrize(
    ("name", "endpoints"),
    [("fleet", ENDPOINTS), ("terminus", ("health", "live", "ready")), ("health+json", ("health", "live", "ready"))],
)
def test_profiles_say_which_endpoints_exist(name: str, endpoints: tuple[str, ...]) -> None:
    assert profile_for(name).endpoints == endpoints


def test_unknown_profile_lists_the_known_ones() -> None:
    with pytest.raises(KeyError, match="known profiles: fleet, terminus, health\\+json"):
        profile_for("spring-actuator")
