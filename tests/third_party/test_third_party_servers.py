"""The third-party fixture: every server answers its paths as FACTS.md says, and each exporter shows a broken
dependency in its metric and recovers without a restart."""

from __future__ import annotations

import re
import subprocess
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.support.waiting import wait_for

if TYPE_CHECKING:
    from tests.third_party.servers import ThirdPartyServers

pytestmark = pytest.mark.servers

_EXPOSITION = "text/plain; version=0.0.4; charset=utf-8"
# The exporters' own bounds, measured (FACTS.md): pg_up reads 0 on the first scrape after a stop (~1 s); the redis
# exporter waits out its 15 s connection timeout on a frozen Redis. Twice that, so a slow machine does not flake.
_DOWN_WITHIN_S = 40.0
_UP_WITHIN_S = 20.0


@pytest.mark.parametrize(
    ("server", "path", "status", "content_type"),
    [
        ("etcd", "/health", 200, "text/plain; charset=utf-8"),
        ("etcd", "/livez", 404, "text/plain; charset=utf-8"),  # etcd 3.4 has no /livez or /readyz (3.5.11+ does)
        ("etcd", "/readyz", 404, "text/plain; charset=utf-8"),
        ("etcd", "/metrics", 200, _EXPOSITION),
        ("prometheus", "/-/healthy", 200, "text/plain; charset=utf-8"),
        ("prometheus", "/-/ready", 200, "text/plain; charset=utf-8"),
        ("prometheus", "/metrics", 200, _EXPOSITION),
        ("alertmanager", "/-/healthy", 200, "text/plain; charset=utf-8"),
        ("alertmanager", "/-/ready", 200, "text/plain; charset=utf-8"),
        ("alertmanager", "/metrics", 200, _EXPOSITION),
        ("postgres-exporter", "/metrics", 200, _EXPOSITION),
        ("redis-exporter", "/health", 200, "text/plain; charset=utf-8"),
        ("redis-exporter", "/metrics", 200, _EXPOSITION),
    ],
)
def test_server_answers_its_path_with_the_measured_status_and_content_type(
    third_party: ThirdPartyServers, server: str, path: str, status: int, content_type: str
) -> None:
    response = httpx.get(third_party.urls[server] + path, timeout=10.0)

    assert (response.status_code, response.headers["content-type"]) == (status, content_type)


def test_etcd_health_body_says_true(third_party: ThirdPartyServers) -> None:
    assert httpx.get(third_party.urls["etcd"] + "/health", timeout=10.0).json() == {"health": "true"}


def test_alertmanager_runs_without_a_cluster(third_party: ThirdPartyServers) -> None:
    status = httpx.get(third_party.urls["alertmanager"] + "/api/v2/status", timeout=10.0).json()

    assert status["cluster"]["status"] == "disabled"


def _metric(url: str, name: str, timeout: float = 30.0) -> str:
    text = httpx.get(f"{url}/metrics", timeout=timeout).text
    match = re.search(rf"^{name}(?:\{{[^}}]*\}})? (\S+)$", text, re.MULTILINE)
    assert match, f"{name} missing from {url}/metrics"
    return match.group(1)


def _run(command: str) -> None:
    done = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, f"{command} exited {done.returncode}:\n{done.stdout}{done.stderr}"


@pytest.mark.parametrize(
    ("exporter", "dependency", "metric"),
    [("postgres-exporter", "postgres", "pg_up"), ("redis-exporter", "redis", "redis_up")],
)
def test_stopping_the_dependency_turns_its_up_metric_0_and_starting_it_turns_it_back_to_1(
    third_party: ThirdPartyServers, exporter: str, dependency: str, metric: str
) -> None:
    url, controls = third_party.urls[exporter], third_party.controls[dependency]
    assert _metric(url, metric) == "1"

    _run(controls["stop"])
    try:
        wait_for(lambda: _metric(url, metric) == "0", _DOWN_WITHIN_S, f"{metric} = 0 with {dependency} stopped")
    finally:
        _run(controls["start"])

    wait_for(lambda: _metric(url, metric) == "1", _UP_WITHIN_S, f"{metric} = 1 after {dependency} started")


def test_a_frozen_redis_turns_redis_up_0_after_the_exporter_timeout_and_recovers_on_thaw(
    third_party: ThirdPartyServers,
) -> None:
    url, controls = third_party.urls["redis-exporter"], third_party.controls["redis"]

    _run(controls["freeze"])
    try:
        wait_for(lambda: _metric(url, "redis_up") == "0", _DOWN_WITHIN_S, "redis_up = 0 with Redis frozen")
    finally:
        _run(controls["thaw"])

    wait_for(lambda: _metric(url, "redis_up") == "1", _UP_WITHIN_S, "redis_up = 1 after Redis thawed")


def test_a_frozen_postgres_hangs_the_scrape_instead_of_reporting_pg_up_0_and_recovers_on_thaw(
    third_party: ThirdPartyServers,
) -> None:
    url, controls = third_party.urls["postgres-exporter"], third_party.controls["postgres"]

    _run(controls["freeze"])
    try:
        with pytest.raises(httpx.ReadTimeout):  # postgres_exporter 0.11 sets no query timeout of its own
            httpx.get(f"{url}/metrics", timeout=5.0)
    finally:
        _run(controls["thaw"])

    wait_for(lambda: _metric(url, "pg_up", timeout=5.0) == "1", _UP_WITHIN_S, "pg_up = 1 after PostgreSQL thawed")
