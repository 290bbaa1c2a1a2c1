"""Fleet benchmark: cold start of all 13 reference services to all-ready, and their resident memory.

Run: ``python -m benchmarks.fleet [--runs N]`` (default 3). Figures are min/median/max over N runs, beside a baseline
measured in the same run:

- the reference fleet from nothing to every ``/health/ready`` 200 (embedded PostgreSQL and Kafka, databases,
  migrations, topics, the services, the synthetic tenant: what ``fleetcheck up`` does before it prints its table) vs
  one service (organization) started the same way alone;
- the resident memory (RSS, psutil, each service process with its children) of every service once all are ready, in
  total and per service, vs organization alone;
- ``fleetcheck up`` from the command line, once: spawn to its "reference fleet up in ..." line, and SIGTERM to exit.

The issue's goals (all-ready under 20 s, under 2 GiB for the 13 services) are printed beside the medians; they are
not asserted (speed is measured here, never in tests).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from rich.console import Console

from benchmarks._table import Row, print_table, timed
from fleetcheck.reference import ReferenceFleet

MIB = 1024 * 1024
GOAL_READY_S, GOAL_RSS_BYTES = 20.0, 2 * 1024 * MIB
_CLI = "import sys; from fleetcheck.cli import app; sys.argv[0] = 'fleetcheck'; app()"
_UP_LINE = re.compile(r"reference fleet up in ([0-9.]+) s")


def _rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (0 for one that is gone)."""
    try:
        process = psutil.Process(pid)
        tree = [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for member in tree:
        try:
            total += member.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


def _workdir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="fleetcheck-bench-"))
    path.chmod(0o755)  # the embedded PostgreSQL runs as an unprivileged user when we are root
    return path


def _cold_start(services: list[str] | None) -> tuple[float, dict[str, int]]:
    """Seconds from nothing to all-ready, and each service's RSS once all are ready."""
    fleet = ReferenceFleet(services=services)
    try:
        seconds = timed(fleet.start)
        memory = {name: _rss(running.pid) for name, running in fleet.running.services.items()}
    finally:
        fleet.close()
    return seconds, memory


def _fleetcheck_up(timeout_s: float = 300.0) -> tuple[float, float | None, float]:
    """``fleetcheck up`` once: (spawn to its table, the ready time it printed, SIGTERM to exit)."""
    installed = Path(sys.executable).with_name("fleetcheck")  # the console script of `pip install -e .`
    command = [str(installed), "up"] if installed.exists() else [sys.executable, "-c", _CLI, "up"]
    env = {**os.environ, "CI": "true", "COLUMNS": "200"}  # CI: no spinner, the plain table only
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    printed: float | None = None
    output: list[str] = []
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + timeout_s
        for line in process.stdout:
            output.append(line)
            found = _UP_LINE.search(line)
            if found:
                printed = float(found.group(1))
                break
            if time.monotonic() > deadline:
                break
        to_table = time.perf_counter() - started
        if printed is None:
            raise RuntimeError("`fleetcheck up` did not print its table:\n" + "".join(output[-30:]))
        stopping = time.perf_counter()
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=120)
        return to_table, printed, time.perf_counter() - stopping
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _memory_rows(fleet_memory: list[dict[str, int]], alone: list[dict[str, int]]) -> list[Row]:
    baseline = [sample["organization"] / MIB for sample in alone]
    total = Row("RSS, 13 services in total", [sum(sample.values()) / MIB for sample in fleet_memory],
                "13 x organization alone", [13 * value for value in baseline], unit="MiB")  # fmt: skip
    rows = [total]
    for name in sorted(fleet_memory[0]):
        rows.append(Row(f"RSS, {name}", [sample.get(name, 0) / MIB for sample in fleet_memory],
                        "organization alone", baseline, unit="MiB"))  # fmt: skip
    return rows


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fleet", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="cold starts of the fleet and of the baseline (default 3)")
    parser.add_argument("--skip-cli", action="store_true", help="do not time `fleetcheck up` from the command line")
    args = parser.parse_args(argv)
    fleet_runs = [_cold_start(None) for _ in range(args.runs)]
    alone_runs = [_cold_start(["organization"]) for _ in range(args.runs)]
    services = sorted(fleet_runs[0][1])
    rows = [
        Row(f"cold start to all-ready ({len(services)} services)", [seconds for seconds, _ in fleet_runs],
            "organization alone, cold", [seconds for seconds, _ in alone_runs]),
    ]  # fmt: skip
    if not args.skip_cli:
        to_table, printed, stop = _fleetcheck_up()
        rows.append(Row("`fleetcheck up`: spawn to its table (once)", [to_table]))
        if printed is not None:
            rows.append(Row("`fleetcheck up`: the ready time it printed", [printed]))
        rows.append(Row("`fleetcheck up`: SIGTERM to exit", [stop]))
    console = Console(width=160)  # rich's 80-column default squeezes the table when stdout is not a terminal
    print_table("fleetcheck fleet benchmark: cold start (wall-clock seconds)", rows, console)
    memory_rows = _memory_rows([memory for _, memory in fleet_runs], [memory for _, memory in alone_runs])
    print_table("fleetcheck fleet benchmark: resident memory once all are ready", memory_rows, console)
    ready = statistics.median(seconds for seconds, _ in fleet_runs)
    rss = statistics.median(sum(memory.values()) for _, memory in fleet_runs)
    print(f"services: {', '.join(services)}")
    print(f"goal all-ready < {GOAL_READY_S:.0f} s: median {ready:.1f} s -> {_verdict(ready < GOAL_READY_S)}")
    print(f"goal RSS < 2 GiB: median {rss / MIB:,.0f} MiB -> {_verdict(rss < GOAL_RSS_BYTES)}")
    print(f"machine: {os.cpu_count()} CPUs, load average {', '.join(f'{v:.1f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
