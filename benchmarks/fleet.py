"""Fleet benchmark: cold start of all 13 reference services to all-ready, forked from the fork server vs plain
``python -m`` processes, with the CPU and memory of each.

Run: ``python -m benchmarks.fleet [--runs N]`` (default 3). Both ways are measured in the same run, alternately (fork
server, plain, fork server, ...), so both see the same machine load; figures are min/median/max over N runs:

- cold start: from nothing (embedded PostgreSQL and Kafka started) to every ``/health/ready`` 200 and the synthetic
  tenant made (what ``fleetcheck up`` does before it prints its table);
- CPU seconds of the fleet's processes from their start to all-ready: the launcher's children trees (services,
  migration runs, the fork server), user + system. Live processes are read with psutil (``cpu_times()``: their own
  time plus what their reaped children used, which is where the fork server's finished migration children are
  counted); plain migration processes, reaped by this process, are the growth of ``getrusage(RUSAGE_CHILDREN)``
  across the launch, which also holds the embedded PostgreSQL's ``initdb`` and ``pg_ctl`` runs (the same in both
  ways). The PostgreSQL server and Tansu are not counted, nor is the launcher's own thread work (database
  provisioning, readiness polling). The fleet starts its PostgreSQL and Kafka itself, as ``fleetcheck verify`` and
  ``up`` do, so the fork server imports while they start;
- memory once all are ready: RSS (psutil) and PSS (``Pss:`` of ``/proc/<pid>/smaps_rollup``, which splits each
  shared page between the processes that map it) of every service process and its children, in total and per
  service; the fork-server total includes the server itself, which holds the pages its children share;
- ``fleetcheck up`` from the command line, once: spawn to its "reference fleet up in ..." line, and SIGTERM to exit.

The issue's goals (all-ready in at most 8 s, at least 3x faster than plain processes, PSS under 1 GiB) are printed
beside the medians; they are not asserted (speed is measured here, never in tests).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from rich.console import Console

from benchmarks._table import Row, print_table
from fleetcheck.reference import ReferenceFleet

MIB = 1024 * 1024
GOAL_READY_S, GOAL_SPEEDUP, GOAL_PSS_BYTES = 8.0, 3.0, 1024 * MIB
_CLI = "import sys; from fleetcheck.cli import app; sys.argv[0] = 'fleetcheck'; app()"
_UP_LINE = re.compile(r"reference fleet up in ([0-9.]+) s")
_WAYS = {True: "fork server", False: "plain processes"}


@dataclass
class Sample:
    """One cold start: wall seconds, CPU seconds of the fleet's processes, and memory per service (bytes)."""

    ready_s: float
    cpu_s: float
    rss: dict[str, int] = field(default_factory=dict)
    pss: dict[str, int] = field(default_factory=dict)


def _tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _cpu_s(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


def _pss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _memory(processes: list[psutil.Process]) -> tuple[int, int]:
    rss = pss = 0
    for process in processes:
        try:
            rss += process.memory_info().rss
        except psutil.NoSuchProcess:
            continue
        pss += _pss_bytes(process.pid)
    return rss, pss


def _reaped_children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _workdir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="fleetcheck-bench-"))
    path.chmod(0o755)  # the embedded PostgreSQL runs as an unprivileged user when we are root
    return path


def _cold_start(fork_server: bool) -> Sample:
    workdir = _workdir()
    fleet = ReferenceFleet(workdir=workdir, fork_server=fork_server)  # it starts PostgreSQL and Kafka, as verify does
    try:
        reaped_before = _reaped_children_cpu_s()
        started = time.perf_counter()
        fleet.start()
        ready_s = time.perf_counter() - started
        running = fleet.running
        server = running.fork_server
        trees = {name: _tree(service.pid) for name, service in running.services.items()}
        everything = [p for tree in trees.values() for p in tree]
        if server is not None:
            everything.append(psutil.Process(server.popen.pid))
        cpu_s = _cpu_s(everything) + _reaped_children_cpu_s() - reaped_before
        sample = Sample(ready_s, cpu_s)
        for name, tree in trees.items():
            sample.rss[name], sample.pss[name] = _memory(tree)
        if server is not None:
            sample.rss["(fork server)"], sample.pss["(fork server)"] = _memory([psutil.Process(server.popen.pid)])
    finally:
        try:
            fleet.close()
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    return sample


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


def _rows(forked: list[Sample], plain: list[Sample]) -> tuple[list[Row], list[Row]]:
    services = len(plain[0].rss)
    speed = [
        Row(f"cold start to all-ready ({services} services), fork server", [s.ready_s for s in forked],
            "plain processes", [s.ready_s for s in plain]),
        Row("CPU s of the fleet's processes, fork server", [s.cpu_s for s in forked],
            "plain processes", [s.cpu_s for s in plain]),
    ]  # fmt: skip
    memory = [
        Row("PSS in total, fork server (incl. the server)", [sum(s.pss.values()) / MIB for s in forked],
            "plain processes", [sum(s.pss.values()) / MIB for s in plain], unit="MiB"),
        Row("RSS in total, fork server (incl. the server)", [sum(s.rss.values()) / MIB for s in forked],
            "plain processes", [sum(s.rss.values()) / MIB for s in plain], unit="MiB"),
    ]  # fmt: skip
    for name in sorted(forked[0].pss):
        baseline = [s.pss[name] / MIB for s in plain] if name in plain[0].pss else []
        memory.append(Row(f"PSS, {name}", [s.pss[name] / MIB for s in forked], "plain" if baseline else "",
                          baseline, unit="MiB"))  # fmt: skip
    return speed, memory


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fleet", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="cold starts each way (default 3)")
    parser.add_argument("--skip-cli", action="store_true", help="do not time `fleetcheck up` from the command line")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    samples: dict[bool, list[Sample]] = {True: [], False: []}
    for _ in range(args.runs):
        for fork_server in (True, False):
            samples[fork_server].append(_cold_start(fork_server))
            print(f"· {_WAYS[fork_server]}: all-ready in {samples[fork_server][-1].ready_s:.1f} s", flush=True)
    speed, memory = _rows(samples[True], samples[False])
    if not args.skip_cli:
        to_table, printed, stop = _fleetcheck_up()
        speed.append(Row("`fleetcheck up`: spawn to its table (once)", [to_table]))
        if printed is not None:
            speed.append(Row("`fleetcheck up`: the ready time it printed", [printed]))
        speed.append(Row("`fleetcheck up`: SIGTERM to exit", [stop]))
    console = Console(width=160)  # rich's 80-column default squeezes the table when stdout is not a terminal
    print_table("fleetcheck fleet benchmark: cold start (wall-clock seconds; CPU seconds)", speed, console)
    print_table("fleetcheck fleet benchmark: memory once all are ready", memory, console)
    ready = statistics.median(s.ready_s for s in samples[True])
    speedup = statistics.median(s.ready_s for s in samples[False]) / ready
    pss = statistics.median(sum(s.pss.values()) for s in samples[True])
    print(f"goal all-ready <= {GOAL_READY_S:.0f} s: median {ready:.1f} s -> {_verdict(ready <= GOAL_READY_S)}")
    print(f"goal >= {GOAL_SPEEDUP:.0f}x faster than plain processes: {speedup:.2f}x -> "
          f"{_verdict(speedup >= GOAL_SPEEDUP)}")  # fmt: skip
    print(f"goal PSS < 1 GiB: median {pss / MIB:,.0f} MiB -> {_verdict(pss < GOAL_PSS_BYTES)}")
    loads = ", ".join(f"{v:.1f}" for v in load_before), ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPUs, load average {loads[0]} before, {loads[1]} after")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
