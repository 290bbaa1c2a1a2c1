"""Health profiles normalise realistic bodies of each dialect into one model."""

from __future__ import annotations

import json

import pytest

from fleetcheck.contracts.health_profiles import (
    ENDPOINTS,
    CustomProfileSpec,
    DependencyState,
    custom_profile,
    dependency_keys,
    find_dependency,
    profile_for,
)

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


def test_terminus_up_reports_database_which_postgres_is_found_under() -> None:
    health = profile_for("terminus").normalize("ready", _body(TERMINUS_UP))
    assert health.status == "up"
    assert health.timestamp is None
    assert health.service is None
    assert health.dependencies["database"].status == "up"
    postgres = find_dependency(health, dependency_keys("postgres", "postgres"))
    assert postgres is not None
    assert postgres.status == "up"
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
    postgres = find_dependency(health, dependency_keys("postgres", "postgres"))
    assert postgres == DependencyState("down", latency_ms=2500.0, error="statement timeout")
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
    [
        ("fleet", ENDPOINTS),
        ("terminus", ("health", "live", "ready")),
        ("health+json", ("health", "live", "ready")),
        ("spring", ("health", "live", "ready")),
        ("kubernetes", ("health", "live", "ready")),
        ("plain", ("health", "live", "ready")),
    ],
)
def test_profiles_say_which_endpoints_exist(name: str, endpoints: tuple[str, ...]) -> None:
    assert profile_for(name).endpoints == endpoints


def test_unknown_profile_lists_the_known_ones() -> None:
    with pytest.raises(KeyError, match="known profiles: fleet, terminus, health\\+json, spring, kubernetes, plain"):
        profile_for("spring-actuator")


# Spring Boot Actuator's documented shape (docs.spring.io, "Health" and "Kubernetes Probes"), trimmed.
SPRING_DOWN = {
    "status": "DOWN",
    "components": {
        "db": {"status": "DOWN", "details": {"database": "PostgreSQL", "error": "Connection refused"}},
        "diskSpace": {"status": "UP", "details": {"total": 1, "free": 1}},
        "ping": {"status": "UP"},
    },
}


def test_spring_reads_components_and_down_errors() -> None:
    health = profile_for("spring").normalize("ready", _body(SPRING_DOWN))
    assert health.status == "down"
    db = find_dependency(health, dependency_keys("postgres", "postgres"))
    assert db == DependencyState("down", error="Connection refused")
    assert health.dependencies["ping"].status == "up"
    assert profile_for("spring").validate("ready", _body(SPRING_DOWN)) == ()
    assert profile_for("spring").normalize("live", b'{"status":"UP"}').status == "up"
    assert profile_for("spring").validate("live", b'{"status":"GREEN"}') == (
        "status is 'GREEN', expected UP, DOWN, OUT_OF_SERVICE or UNKNOWN",
    )


# What etcd 3.5 and the Kubernetes API server answer on /readyz?verbose.
READYZ_OK = b"[+]data_corruption ok\n[+]serializable_read ok\n[+]linearizable_read ok\nok\n"
READYZ_FAILED = (
    b"[+]data_corruption ok\n[-]linearizable_read failed: etcdserver: request timed out\nreadyz check failed\n"
)


def test_kubernetes_verbose_lines_are_dependencies_and_the_last_line_the_verdict() -> None:
    profile = profile_for("kubernetes")
    up = profile.normalize("ready", READYZ_OK)
    assert up.status == "up"
    assert sorted(up.dependencies) == ["data_corruption", "linearizable_read", "serializable_read"]
    down = profile.normalize("ready", READYZ_FAILED)
    assert down.status == "down"
    assert down.dependencies["linearizable_read"] == DependencyState("down", error="etcdserver: request timed out")
    assert profile.normalize("live", b"ok").status == "up"
    assert profile.validate("ready", b"<html>") == ("last line is '<html>', expected 'ok'",)


def test_plain_profile_judges_by_status_code_and_lists_nothing() -> None:
    profile = profile_for("plain")
    assert profile.lists_dependencies is False
    assert profile.normalize("ready", b"Prometheus Server is Ready.").dependencies == {}
    assert profile.default_paths["ready"] == "/ready"


def test_a_custom_profile_reads_what_its_json_paths_point_at() -> None:
    spec = CustomProfileSpec(
        status="$.health.overall",
        up=("GREEN",),
        down=("RED",),
        dependencies="$.health.parts",
        dependency_name="$.id",
        dependency_status="$.state",
        dependency_error="$.why",
        service="$.app",
    )
    profile = custom_profile("ours", spec)
    body = {"app": "billing", "health": {"overall": "RED", "parts": [
        {"id": "pg", "state": "RED", "why": "refused"}, {"id": "cache", "state": "GREEN"}]}}  # fmt: skip
    health = profile.normalize("ready", _body(body))
    assert (health.status, health.service) == ("down", "billing")
    assert health.dependencies == {"pg": DependencyState("down", error="refused"), "cache": DependencyState("up")}
    assert profile.validate("ready", _body({"health": {"overall": "BLUE"}})) == (
        "$.health.overall is 'BLUE', expected one of ('GREEN',)",
    )
    assert profile.service_endpoints == ("health", "live", "ready")
    assert profile.lists_dependencies is True


def test_a_metrics_profile_reads_an_exporters_up_gauges_as_its_dependencies() -> None:
    spec = CustomProfileSpec(format="metrics", dependency_metrics={"postgres": "pg_up"}, down_statuses=(200,))
    profile = custom_profile("exporter", spec)
    up = profile.normalize("ready", b"# TYPE pg_up gauge\npg_up 1\npg_exporter_scrapes_total 3\n")
    assert (up.status, up.dependencies) == ("up", {"postgres": DependencyState("up")})
    down = profile.normalize("ready", b"pg_up 0\n")
    assert (down.status, down.dependencies["postgres"]) == ("down", DependencyState("down", error="pg_up is 0"))
    assert profile.validate("ready", b"go_goroutines 7\n") == ("the exposition has no pg_up sample",)
    assert (profile.lists_dependencies, profile.down_statuses) == (True, (200,))


def test_a_text_profile_judges_by_status_code_with_its_own_media_types() -> None:
    profile = custom_profile("landing", CustomProfileSpec(format="text", content_types=("text/html",)))
    assert profile.normalize("live", b"<html>exporter</html>").status == "up"
    assert (profile.lists_dependencies, profile.content_types) == (False, ("text/html",))
