"""`fleetcheck init --discover` recognises the health dialects real servers answer, and writes files that load."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from fleetcheck.contracts.fleet import load_fleet
from fleetcheck.contracts.observations import HttpExchange
from fleetcheck.discover import DiscoveredService, fleet_file_text, recognise, target_file_text

if TYPE_CHECKING:
    from pathlib import Path


def _answer(status: int, content_type: str, body: str) -> HttpExchange:
    return HttpExchange("GET", "http://h/x", "/x", status, (("content-type", content_type),), body.encode(), 0.01)


@pytest.mark.parametrize(
    ("content_type", "body", "profile"),
    [
        ("application/json", '{"status": "ok", "service": "auth", "timestamp": "2026-01-01T00:00:00+00:00"}', "fleet"),
        (
            "application/json",
            '{"status": "ok", "info": {"database": {"status": "up"}}, "error": {}, "details": {}}',
            "terminus",
        ),
        ("application/vnd.spring-boot.actuator.v3+json", '{"status": "UP", "components": {}}', "spring"),
        ("application/health+json", '{"status": "pass"}', "health+json"),
        ("text/plain", "[+]ping ok\n[+]log ok\nok\n", "kubernetes"),
        ("text/plain; charset=utf-8", "Prometheus Server is Ready.\n", "plain"),
    ],
)
def test_recognise_names_the_builtin_profile(content_type: str, body: str, profile: str) -> None:
    assert recognise(_answer(200, content_type, body)) == (profile, None)


def test_an_unknown_json_shape_becomes_a_custom_profile_on_its_up_word() -> None:
    found = recognise(_answer(200, "text/plain; charset=utf-8", '{"health":"true"}'))  # etcd 3.4's /health
    assert found == ("custom", {"status": "$.health", "up": ["true"], "content_types": ["text/plain"]})


def test_a_landing_page_or_a_404_is_no_health_endpoint() -> None:
    assert recognise(_answer(200, "text/html; charset=UTF-8", "<html><a href='/metrics'>Metrics</a></html>")) is None
    assert recognise(_answer(404, "text/plain", "404 page not found")) is None


def test_the_written_files_load_and_an_exporter_is_ready_by_its_up_gauge(tmp_path: Path) -> None:
    exporter = DiscoveredService("pg-exporter", "http://127.0.0.1:9187", metrics_path="/metrics")
    exporter.families = {"pg_up": ("gauge", ()), "process_cpu_seconds_total": ("counter", ())}
    exporter.dependencies = [{"name": "postgres", "type": "postgres", "metric": "pg_up"}]
    from fleetcheck.discover import _readiness_from_metrics

    assert _readiness_from_metrics(exporter)
    exporter.health["ready"] = ("/metrics", "pg-exporter-metrics")
    (tmp_path / "fleet.yaml").write_text(fleet_file_text([exporter], "third-party"))
    (tmp_path / "target.yaml").write_text(target_file_text([exporter], "fleet.yaml", None))
    fleet = load_fleet(tmp_path / "fleet.yaml")
    spec = fleet.service("pg-exporter")
    assert [(h.endpoint, h.path, h.profile) for h in fleet.health_endpoints(spec)] == [
        ("ready", "/metrics", "pg-exporter-metrics")
    ]
    assert [d.name for d in spec.depends_on] == ["postgres"]
    assert "#   postgres: {stop: '...'" in (tmp_path / "target.yaml").read_text()
