"""Load benchmark: the tenancy load scenario (``load/locustfile.py``) for a fixed time and tenant count, four ways in
one run, so the ratios compare runs that saw the same machine.

Run: ``python -m benchmarks.load [--users 50] [--run-time 60s]``. Each way starts its own reference fleet
(organization, auth, master-data, notification, audit) on one shared embedded PostgreSQL and Kafka, makes a pool of
``--users`` tenants and runs locust headless through ``fleetcheck.loadrun.run_load`` (the code ``fleetcheck load``
runs), so every answer is judged by TENANCY-NO-FOREIGN-CANARY and every created customer's event is counted in audit:

1. one locust process (the baseline of the two ratios below);
2. one locust process, with the RED metrics middleware off in master-data and notification
   (``benchmarks/uninstrumented/``, patched from outside as a mutant is): the instrumentation's overhead is the
   ratio of requests/s;
3. and 4. locust's own distributed mode with two and four local worker processes (``--processes``): the scaling.

Prints, per way: requests, requests/s, error rate, isolation violations, lost and duplicated events, and p50 / p95 /
p99 per operation; exit 1 when a way had a violation or lost an event. The issue's aim (50,000 requests in a run,
zero violations and zero lost events) is printed beside the figures, not asserted.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from fleetcheck.fixtures.infra import Infrastructure
    from fleetcheck.loadrun import LoadResult

__all__ = ["main"]

SERVICES = ["organization", "auth", "master-data", "notification", "audit"]
UNINSTRUMENTED = {
    "master-data": "benchmarks.uninstrumented.master_data",
    "notification": "benchmarks.uninstrumented.notification",
}
WAYS: list[tuple[str, dict[str, str], int | None]] = [
    ("1 locust process", {}, None),
    ("1 process, RED middleware off", UNINSTRUMENTED, None),
    ("2 worker processes", {}, 2),
    ("4 worker processes", {}, 4),
]
AIM_REQUESTS = 50_000


def _one(
    infra: Infrastructure, modules: dict[str, str], processes: int | None, users: int, run_time: str
) -> LoadResult:
    from fleetcheck.loadrun import Thresholds, run_load
    from fleetcheck.reference import ReferenceFleet

    # latency and errors are reported, not judged: the thresholds file is for CI gates, this is a measurement
    loose = Thresholds(p95_ms={"default": float("inf")}, error_rate=1.0)
    extra = ["--processes", str(processes)] if processes else []
    with (
        tempfile.TemporaryDirectory(prefix="fleetcheck-load-") as out,
        ReferenceFleet(services=SERVICES, modules=modules, infrastructure=infra) as fleet,
    ):
        return run_load(fleet, Path(out), users=users, run_time=run_time, thresholds=loose, locust_args=extra)


def run(users: int, run_time: str, console: Console) -> int:
    from tests.mutants.infrastructure import fresh_infrastructure

    results: list[tuple[str, LoadResult]] = []
    with fresh_infrastructure() as infra:
        for name, modules, processes in WAYS:
            console.print(f"· {name}: {users} users (one tenant each), {run_time}", style="dim")
            results.append((name, _one(infra, modules, processes, users, run_time)))
    base = results[0][1].requests_per_s or 1.0
    summary = Table(title=f"load: {users} tenants, {run_time} per way, in one run")
    for column in ("way", "requests", "requests/s", "ratio to 1 process", "error rate", "violations", "lost", "dup"):
        summary.add_column(column, justify="left" if column == "way" else "right")
    for name, result in results:
        rate = result.failures / result.requests if result.requests else 0.0
        summary.add_row(name, f"{result.requests:,}", f"{result.requests_per_s:,.1f}",
                        f"{result.requests_per_s / base:.2f}x", f"{rate:.2%}", str(len(result.violations)),
                        str(result.lost_events), str(result.duplicated_events))  # fmt: skip
    console.print(summary)
    for name, result in results:
        ops = Table(title=f"{name}: latency per operation (ms)")
        for column in ("operation", "requests", "p50", "p95", "p99"):
            ops.add_column(column, justify="left" if column == "operation" else "right")
        for row in result.operations:
            ops.add_row(row["Name"], row["Request Count"], row["50%"], row["95%"], row["99%"])
        console.print(ops)
    best = max(r.requests for _, r in results)
    bad = sum(len(r.violations) + r.lost_events for _, r in results)
    console.print(f"aim: {AIM_REQUESTS:,} requests in a run with 0 violations and 0 lost events; "
                  f"measured: {best:,} at most, {bad} violation(s) and lost event(s) in all")  # fmt: skip
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50, help="simulated users, one tenant each (default 50)")
    parser.add_argument("--run-time", default="60s", help="locust's run time per way, e.g. 60s (default 60s)")
    args = parser.parse_args(argv)
    if args.users < 1 or args.run_time[-1:] not in ("s", "m") or not args.run_time[:-1].isdigit():
        parser.error("--users must be at least 1 and --run-time a whole number of s or m, e.g. 60s")
    logging.getLogger("fleetcheck").setLevel(logging.WARNING)
    from fleetcheck.fixtures._process import BackendStartError, BackendUnreachableError

    console = Console(width=max(Console().width, 140))
    try:
        return run(args.users, args.run_time, console)
    except (BackendStartError, BackendUnreachableError) as exc:  # names the part, command, port and log tail
        print(str(exc), file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
