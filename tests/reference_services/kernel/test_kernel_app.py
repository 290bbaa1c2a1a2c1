"""Kernel units without servers: problem+json, route-template labels, content negotiation, health shapes, config."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from litestar import get, post
from litestar.params import FromPath, JSONBody  # noqa: TC002 - Litestar reads annotations at runtime
from litestar.testing import TestClient
from prometheus_client.parser import text_string_to_metric_families

from reference_services.kernel import ConfigError, ServiceConfig, ServiceMetrics, create_app
from reference_services.kernel.rls import rls_disable_sql, rls_enable_sql


@get("/customers/{customer_id:uuid}", sync_to_thread=False)
def read_customer(customer_id: FromPath[uuid.UUID]) -> dict[str, str]:
    return {"id": str(customer_id)}


@post("/echo", sync_to_thread=False)
def echo(data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
    return data


@get("/boom", sync_to_thread=False)
def boom() -> None:
    raise RuntimeError("secret internals /etc/passwd")


class _Down:
    name, type, required = "postgres", "postgres", True

    async def check(self) -> None:
        raise ConnectionRefusedError("connection refused")


def _client(dependencies: list[Any] | None = None, **env: str) -> tuple[TestClient[Any], ServiceMetrics]:
    config = ServiceConfig.from_env("demo", environ={"FLEET_SERVICE_PORT": "8000", **env})
    metrics = ServiceMetrics("demo")
    app = create_app(config=config, route_handlers=[read_customer, echo, boom], metrics=metrics, database=None,
                     dependencies=dependencies or [])  # fmt: skip
    return TestClient(app, raise_server_exceptions=False), metrics


def _samples(metrics: ServiceMetrics, name: str) -> list[Any]:
    body, _ = metrics.render(None)
    return [s for f in text_string_to_metric_families(body.decode()) for s in f.samples if s.name == name]


def test_garbage_json_answers_problem_json_400() -> None:
    client, _ = _client()
    with client:
        response = client.post("/echo", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert {"type", "title", "status", "detail"} <= response.json().keys()


def test_unhandled_error_answers_500_without_internals() -> None:
    client, _ = _client()
    with client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "passwd" not in response.text
    assert "Traceback" not in response.text


def test_unknown_path_answers_problem_json_404() -> None:
    client, _ = _client()
    with client:
        response = client.get("/nope")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


def test_route_label_is_the_template_not_the_raw_path() -> None:
    client, metrics = _client()
    with client:
        for _ in range(3):
            client.get(f"/customers/{uuid.uuid4()}")
        client.get(f"/unknown/{uuid.uuid4()}")
    routes = {s.labels["route"]: s.value for s in _samples(metrics, "http_requests_total")}
    assert routes["/customers/{customer_id}"] == 3
    assert routes["<unmatched>"] == 1
    assert all("-" not in route for route in routes), routes


def test_metrics_negotiates_openmetrics_when_asked() -> None:
    client, _ = _client()
    with client:
        classic = client.get("/metrics")
        open_metrics = client.get("/metrics", headers={"accept": "application/openmetrics-text; version=1.0.0"})
    assert classic.headers["content-type"].startswith("text/plain")
    assert "process_resident_memory_bytes" in classic.text
    assert open_metrics.headers["content-type"].startswith("application/openmetrics-text")
    assert open_metrics.text.rstrip().endswith("# EOF")


def test_ready_turns_503_with_the_failing_dependency_named() -> None:
    client, _ = _client([_Down()])
    with client:
        response = client.get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["postgres"]["status"] == "down"
    assert "refused" in body["checks"]["postgres"]["error"]
    assert response.headers["cache-control"] == "no-store"


def test_health_bodies_have_offset_timestamps_and_no_store() -> None:
    client, _ = _client()
    with client:
        for path in ("/health", "/health/live", "/health/ready", "/health/stats", "/health/dependencies"):
            response = client.get(path)
            assert response.status_code == 200, path
            assert response.headers["content-type"] == "application/json", path
            assert response.headers["cache-control"] == "no-store", path
            assert response.json()["timestamp"].endswith("+00:00"), path


def test_live_turns_503_over_the_rss_limit() -> None:
    client, _ = _client(FLEET_LIVE_RSS_LIMIT_BYTES="1024")
    with client:
        response = client.get("/health/live")
    assert response.status_code == 503
    assert response.json()["reason"].endswith(" over 1024")


def test_tenant_rls_sql_enables_forces_and_fails_closed() -> None:
    enable = rls_enable_sql("customers")
    assert enable[:2] == ["ALTER TABLE customers ENABLE ROW LEVEL SECURITY",
                          "ALTER TABLE customers FORCE ROW LEVEL SECURITY"]  # fmt: skip
    assert "NULLIF(current_setting('app.tenant_id', true), '')::uuid" in enable[2]
    assert "WITH CHECK" in enable[2]
    assert rls_disable_sql("customers")[0] == "DROP POLICY IF EXISTS tenant_isolation ON customers"


def test_config_error_names_the_variable_and_the_form() -> None:
    with pytest.raises(ConfigError, match=r"FLEET_SERVICE_PORT: expected an integer.*'eighty'"):
        ServiceConfig.from_env("demo", environ={"FLEET_SERVICE_PORT": "eighty"})
    with pytest.raises(ConfigError, match="FLEET_KAFKA_BOOTSTRAP: expected bootstrap servers"):
        ServiceConfig.from_env("demo", environ={"FLEET_KAFKA_BOOTSTRAP": "nohostport"})
    with pytest.raises(ConfigError, match="FLEET_DATABASE_URL: expected a value"):
        ServiceConfig.from_env("demo", environ={}, required=["FLEET_DATABASE_URL"])
