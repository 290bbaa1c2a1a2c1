"""Probe benchmark: one probe cycle over all 13 reference services, fleetcheck's prober beside Debian's
``prometheus-blackbox-exporter`` doing the same HTTP probes of the same health endpoints, in the same run.

Run: ``python -m benchmarks.probes [--runs N]`` (default 5). Both probers are long-running servers started once, on
free loopback ports, against one reference fleet; a **cycle** is one ``/probe`` request per service, sent 8 at a time
(the prober's default concurrency), for both alike:

- fleetcheck: ``fleetcheck probe --listen`` with a probe file whose ``http`` probe is HEALTH-ENDPOINTS on ``/health``
  (one GET, judged 200 by the catalogue check), asked ``/probe?target=<service>&module=http``;
- blackbox_exporter: module ``http_2xx`` (prober ``http``, 2xx expected), asked
  ``/probe?target=<service's /health URL>&module=http_2xx``.

Measured per cycle, alternately (fleetcheck, blackbox, fleetcheck, ...) so both see the same machine load: wall
seconds from the first request to the last answer, and the CPU seconds (user + system, psutil) the prober process
used meanwhile, each averaged over ``--cycles`` back-to-back cycles per run (CPU times tick every 10 ms); after
the runs, each prober's resident memory (RSS). The default probes (health, readiness, metrics-lint) are timed for
fleetcheck alone: blackbox_exporter has no equivalent of the catalogue's checks.

The issue's aims (a cycle of plain HTTP probes within 2x of blackbox_exporter's wall time and CPU seconds, a prober
under 100 MiB resident) are printed beside the medians; they are not asserted (speed is measured here, never in
tests).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil
import yaml
from rich.console import Console

from benchmarks._table import Row, print_table
from fleetcheck.fixtures._process import LOOPBACK, ManagedProcess, free_port
from fleetcheck.reference import ReferenceFleet

MIB = 1024 * 1024
AIM_RATIO, AIM_RSS = 2.0, 100 * MIB
BLACKBOX = "/usr/bin/prometheus-blackbox-exporter"
CONCURRENCY = 8
FAILURES: list[str] = []  # the probes that did not pass, with the reason the prober gave


def _probe_file() -> dict[str, object]:
    """The default read probes (probes/fleet.yaml, without its journeys: they write, and take seconds of Kafka
    waits that would load the machine during the runs) and a plain ``http`` probe, each due every hour: the
    scheduler's own first cycle (at start, the warm-up) is its only one during the runs; every measured cycle is
    asked of /probe."""
    shipped = yaml.safe_load((Path(__file__).resolve().parents[1] / "probes" / "fleet.yaml").read_text())
    reads = {name: probe for name, probe in shipped["probes"].items() if "journey" not in probe}
    probes = {"http": {"checks": ["HEALTH-ENDPOINTS"], "endpoints": ["health"]}, **reads}
    for probe in probes.values():
        probe["interval_s"] = 3600
    return {"defaults": {**shipped["defaults"], "jitter": 0, "concurrency": CONCURRENCY}, "probes": probes}


_BLACKBOX_MODULES = {
    "modules": {"http_2xx": {"prober": "http", "timeout": "5s", "http": {"preferred_ip_protocol": "ip4"}}}
}


def _fleetcheck() -> str:
    found = Path(sys.executable).parent / "fleetcheck"
    return str(found) if found.exists() else (shutil.which("fleetcheck") or "fleetcheck")


def _start(part: str, command: list[str], port: int, log: Path) -> ManagedProcess:
    process = ManagedProcess.spawn(part, command, port=port, log_path=log, timeout=60.0)
    url = f"http://{LOOPBACK}:{port}/metrics"
    process.wait_ready(lambda: httpx.get(url, timeout=1.0).status_code == 200, timeout=60.0)
    return process


def _cpu_s(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def _cycles(
    client: httpx.Client, urls: list[tuple[str, dict[str, str]]], pid: int, repeat: int
) -> tuple[float, float, int]:
    """``repeat`` cycles back to back, each one /probe per URL, CONCURRENCY at once: per cycle (wall s, the
    prober's CPU s), and the fewest probes of a cycle whose probe_success was 1. psutil's CPU times tick every 10 ms,
    so one cycle of 13 HTTP probes is too short to read alone."""

    def one(item: tuple[str, dict[str, str]]) -> bool:
        answer = client.get(item[0], params=item[1], timeout=30.0)
        passed = answer.status_code == 200 and "\nprobe_success 1" in "\n" + answer.text
        if not passed:  # say why: fleetcheck's reason state set, else the status
            why = [line for line in answer.text.splitlines() if line.startswith("fleetcheck_probe_reason") and
                   line.endswith(" 1.0")] or [f"HTTP {answer.status_code}"]  # fmt: skip
            FAILURES.append(f"{item[1]['target']} {item[1]['module']}: {', '.join(why)}")
        return passed

    cpu, started, fewest = _cpu_s(pid), time.perf_counter(), len(urls)
    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        for _ in range(repeat):
            fewest = min(fewest, sum(pool.map(one, urls)))
    return (time.perf_counter() - started) / repeat, (_cpu_s(pid) - cpu) / repeat, fewest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cycles", type=int, default=10, help="cycles per run, back to back (CPU ticks are 10 ms)")
    args = parser.parse_args()
    console = Console(width=140)
    if shutil.which(BLACKBOX) is None:
        sys.exit(f"{BLACKBOX} is not installed: apt-get install prometheus-blackbox-exporter (scripts/test does)")
    work = Path(tempfile.mkdtemp(prefix="fleetcheck-bench-probes-"))
    processes: list[ManagedProcess] = []
    try:
        with ReferenceFleet(progress=lambda m: console.print(f"· {m}", style="dim")) as fleet:
            services = sorted(fleet.endpoints)
            target = work / "target.yaml"
            urls = {name: e.base_url for name, e in fleet.endpoints.items()}
            target.write_text(yaml.safe_dump({"services": {n: {"base_url": u} for n, u in urls.items()}}))
            (work / "probes.yaml").write_text(yaml.safe_dump(_probe_file()))
            (work / "blackbox.yml").write_text(yaml.safe_dump(_BLACKBOX_MODULES))
            ours, theirs = free_port(), free_port()
            prober = _start("fleetcheck probe", [_fleetcheck(), "probe", "--listen", f"{LOOPBACK}:{ours}",
                                                 "--target", str(target), "--probes", str(work / "probes.yaml")],
                            ours, work / "prober.log")  # fmt: skip
            processes.append(prober)
            blackbox = _start("blackbox_exporter", [BLACKBOX, f"--config.file={work / 'blackbox.yml'}",
                                                    f"--web.listen-address={LOOPBACK}:{theirs}"],
                              theirs, work / "blackbox.log")  # fmt: skip
            processes.append(blackbox)
            time.sleep(3.0)  # the scheduler's first cycle (its warm-up) runs now; an hour passes before its next
            pids = (prober.pid, blackbox.pid)
            results = _measure(args.runs, args.cycles, services, urls, (ours, theirs), pids, console)
            rss = {"fleetcheck": psutil.Process(prober.pid).memory_info().rss,
                   "blackbox": psutil.Process(blackbox.pid).memory_info().rss}  # fmt: skip
    finally:
        for process in processes:
            process.terminate()
        shutil.rmtree(work, ignore_errors=True)
    _report(console, results, rss, len(services))


def _measure(
    runs: int,
    repeat: int,
    services: list[str],
    urls: dict[str, str],
    ports: tuple[int, int],
    pids: tuple[int, int],
    console: Console,
) -> dict[str, list[tuple[float, float, int]]]:
    (ours, theirs), (our_pid, their_pid) = ports, pids
    ours_url, theirs_url = f"http://{LOOPBACK}:{ours}/probe", f"http://{LOOPBACK}:{theirs}/probe"
    plans: dict[str, tuple[list[tuple[str, dict[str, str]]], int]] = {
        "fleetcheck http": ([(ours_url, {"target": s, "module": "http"}) for s in services], our_pid),
        "blackbox http_2xx": (
            [(theirs_url, {"target": f"{urls[s].rstrip('/')}/health", "module": "http_2xx"}) for s in services],
            their_pid,
        ),
        "fleetcheck default probes": (
            [(ours_url, {"target": s, "module": m}) for s in services for m in ("health", "readiness", "metrics-lint")],
            our_pid,
        ),
    }
    results: dict[str, list[tuple[float, float, int]]] = {name: [] for name in plans}
    with httpx.Client(trust_env=False) as client:
        for plan, pid in plans.values():
            _cycles(client, plan, pid, 1)  # warm-up: connections, first-use imports
        for run in range(runs):
            for name, (plan, pid) in plans.items():
                results[name].append(_cycles(client, plan, pid, repeat))
            console.print(f"· run {run + 1}/{runs}", style="dim")
    return results


def _report(
    console: Console, results: dict[str, list[tuple[float, float, int]]], rss: dict[str, int], services: int
) -> None:
    def column(name: str, index: int) -> list[float]:
        return [float(sample[index]) for sample in results[name]]

    ours, theirs, full = "fleetcheck http", "blackbox http_2xx", "fleetcheck default probes"
    rows = [
        Row(f"{ours}: wall of a cycle ({services} probes)", column(ours, 0), theirs, column(theirs, 0)),
        Row(f"{ours}: prober CPU s of a cycle", column(ours, 1), theirs, column(theirs, 1)),
        Row(f"{full}: wall of a cycle ({3 * services} probes)", column(full, 0)),
        Row(f"{full}: prober CPU s of a cycle", column(full, 1)),
    ]
    print_table("one probe cycle over the reference fleet (same run, alternately)", rows, console)
    for name in (ours, theirs, full):
        passed = column(name, 2)
        console.print(f"{name}: probe_success 1 in {min(passed):.0f}-{max(passed):.0f} of each cycle's probes")
    for failure in dict.fromkeys(FAILURES):
        console.print(f"did not pass: {failure}")
    wall = statistics.median(column(ours, 0)) / statistics.median(column(theirs, 0))
    cpu = statistics.median(column(ours, 1)) / max(statistics.median(column(theirs, 1)), 1e-9)
    console.print(
        f"RSS after the runs: fleetcheck prober {rss['fleetcheck'] / MIB:.1f} MiB, blackbox_exporter "
        f"{rss['blackbox'] / MIB:.1f} MiB (aim: prober under {AIM_RSS / MIB:.0f} MiB: "
        f"{'met' if rss['fleetcheck'] < AIM_RSS else 'not met'})"
    )
    console.print(
        f"aim: a cycle of plain HTTP probes within {AIM_RATIO:g}x of blackbox_exporter: wall {wall:.2f}x "
        f"({'met' if wall <= AIM_RATIO else 'not met'}), CPU {cpu:.2f}x ({'met' if cpu <= AIM_RATIO else 'not met'})"
    )


if __name__ == "__main__":
    main()
