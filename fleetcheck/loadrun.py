"""``fleetcheck load``: the tenancy load run with locust, headless, judged against a thresholds file.

Before the run, a pool of tenants is created (organization + auth, one user each) with a canary per tenant, and
written as JSON for the locustfile (``load/locustfile.py``, which ``FLEETCHECK_LOAD_POOL`` names; it may run in many
locust processes, so the pool is a file, not memory). locust runs as its own process (``python -m locust``), with
its CSV and HTML reports; its own distributed options (``--processes``) pass through. After it: the customers each
tenant created against the audit records of their ``master-data.customer.created`` events (lost = 0, duplicated =
0), then the thresholds (p95 per operation, error rate, isolation violations, lost and duplicated events) set the
exit code. This module imports nothing from ``load/``: it starts locust on the file.
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from fleetcheck.contracts.tenancy import canary_for
from fleetcheck.observe import exchange, observe_client

if TYPE_CHECKING:
    from fleetcheck.targets import Target

__all__ = ["LOCUSTFILE", "LoadResult", "Thresholds", "ThresholdsError", "make_pool", "run_load"]

LOCUSTFILE = Path(__file__).resolve().parent.parent / "load" / "locustfile.py"
_SETTLE_S = 20.0


class ThresholdsError(ValueError):
    """A thresholds file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True, slots=True)
class Thresholds:
    p95_ms: dict[str, float] = field(default_factory=lambda: {"default": 2000.0})
    error_rate: float = 0.01
    isolation_violations: int = 0
    lost_events: int = 0
    duplicated_events: int = 0

    @classmethod
    def load(cls, path: Path) -> Thresholds:
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ThresholdsError(f"{path}: cannot read the thresholds file: {exc}") from None
        known = {"p95_ms", "error_rate", "isolation_violations", "lost_events", "duplicated_events"}
        unknown = sorted(set(raw) - known) if isinstance(raw, dict) else ["(not a mapping)"]
        if unknown:
            raise ThresholdsError(f"{path}: unknown key {', '.join(unknown)}; allowed: {', '.join(sorted(known))}")
        try:
            return cls(**raw)
        except TypeError as exc:
            raise ThresholdsError(f"{path}: {exc}") from None


@dataclass(slots=True)
class LoadResult:
    """What one run measured, and which thresholds it broke."""

    requests: int = 0
    failures: int = 0
    violations: list[str] = field(default_factory=list)
    operations: list[dict[str, Any]] = field(default_factory=list)
    lost_events: int = 0
    duplicated_events: int = 0
    broken: list[str] = field(default_factory=list)
    requests_per_s: float = 0.0
    exit_code: int = 0


def make_pool(target: Target, tenants: int, path: Path) -> Path:
    """Create ``tenants`` tenants (reference fleet: organization + auth) and write the pool file for the locustfile."""
    from fleetcheck.reference import synthetic_tenant

    organization, auth = target.endpoints["organization"], target.endpoints["auth"]
    admin = target.credentials.platform_admin_token or ""
    pool = []
    for _ in range(tenants):
        tenant_id, token, _fields, why = synthetic_tenant(target.fleet, organization, auth, admin)
        if tenant_id is None or token is None:
            raise RuntimeError(f"creating a tenant for the load run failed: {why}")
        pool.append({"id": tenant_id, "token": token, "canary": canary_for(tenant_id, secrets.token_hex(6))})
    services = {name: endpoint.base_url for name, endpoint in target.endpoints.items()}
    path.write_text(json.dumps({"tenants": pool, "services": services}), encoding="utf-8")
    return path


def _locust(pool: Path, out: Path, *, users: int, spawn_rate: float, run_time: str, extra: list[str]) -> int:
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "-u", str(users),
               "-r", str(spawn_rate), "-t", run_time, "--csv", str(out / "locust"), "--html", str(out / "locust.html"),
               "--only-summary", "--stop-timeout", "5", *extra]  # fmt: skip
    env = os.environ | {"FLEETCHECK_LOAD_POOL": str(pool)}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=_timeout(run_time), check=False)
    (out / "locust.log").write_text(done.stdout + done.stderr, encoding="utf-8")
    return done.returncode


def _timeout(run_time: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600}
    seconds = float(run_time[:-1]) * units[run_time[-1]] if run_time[-1] in units else float(run_time)
    return seconds + 120.0  # start-up, stop and the reports; locust stops itself at run_time


def _read_stats(out: Path, result: LoadResult) -> None:
    with (out / "locust_stats.csv").open(encoding="utf-8") as stats:
        for row in csv.DictReader(stats):
            if row["Name"] == "Aggregated":
                result.requests = int(row["Request Count"])
                result.requests_per_s = float(row["Requests/s"])
            elif row["Type"] != "TENANCY":
                result.operations.append(row)
    with (out / "locust_failures.csv").open(encoding="utf-8") as failures:
        for row in csv.DictReader(failures):
            if row["Method"] == "TENANCY":
                result.violations += [f"{row['Name']}: {row['Error']}"] * int(row["Occurrences"])
            else:
                result.failures += int(row["Occurrences"])


def _count(client: Any, url: str, token: str) -> int:
    answer = exchange(client, "GET", url, headers={"Authorization": f"Bearer {token}"})
    try:
        return len(json.loads(answer.body))
    except ValueError:
        return -1


def _events(target: Target, pool: Path, result: LoadResult) -> None:
    """Per tenant: customers created (master-data) against audit records of their created events."""
    tenants = json.loads(pool.read_text(encoding="utf-8"))["tenants"]
    master, audit = target.endpoints["master-data"], target.endpoints.get("audit")
    if audit is None:
        return
    deadline = time.monotonic() + _SETTLE_S
    with observe_client(15.0) as client:
        while True:
            lost = duplicated = 0
            for tenant in tenants:
                made = _count(client, master.url("/customers?limit=500"), tenant["token"])
                path = "/audit-logs?event_type=master-data.customer.created&limit=500"
                recorded = _count(client, audit.url(path), tenant["token"])
                lost += max(0, made - recorded)
                duplicated += max(0, recorded - made)
            if (lost == 0 and duplicated == 0) or time.monotonic() >= deadline:
                break
            time.sleep(1.0)
    result.lost_events, result.duplicated_events = lost, duplicated


def _judge(result: LoadResult, thresholds: Thresholds) -> None:
    for row in result.operations:
        name = f"{row['Type']} {row['Name']}" if not row["Name"].startswith(row["Type"]) else row["Name"]
        limit = thresholds.p95_ms.get(row["Name"], thresholds.p95_ms.get("default", float("inf")))
        p95 = float(row["95%"]) if row["95%"] not in ("N/A", "") else 0.0
        if p95 > limit:
            result.broken.append(f"p95 of {name} {p95:.0f} ms > {limit:.0f} ms")
    rate = result.failures / result.requests if result.requests else 0.0
    if rate > thresholds.error_rate:
        result.broken.append(f"error rate {rate:.2%} > {thresholds.error_rate:.2%} ({result.failures} failures)")
    for what, seen, allowed in (
        ("isolation violations", len(result.violations), thresholds.isolation_violations),
        ("lost events", result.lost_events, thresholds.lost_events),
        ("duplicated events", result.duplicated_events, thresholds.duplicated_events),
    ):
        if seen > allowed:
            result.broken.append(f"{what} {seen} > {allowed}")
    result.exit_code = 1 if result.broken else 0


def run_load(
    target: Target,
    out: Path,
    *,
    users: int,
    run_time: str,
    thresholds: Thresholds,
    tenants: int | None = None,
    spawn_rate: float | None = None,
    locust_args: list[str] | None = None,
) -> LoadResult:
    """One load run: the pool (one tenant per user by default), locust, the event count, the thresholds."""
    out.mkdir(parents=True, exist_ok=True)
    pool = make_pool(target, tenants or users, out / "pool.json")
    code = _locust(pool, out, users=users, spawn_rate=spawn_rate or max(1.0, users / 5), run_time=run_time,
                   extra=locust_args or [])  # fmt: skip
    result = LoadResult()
    if not (out / "locust_stats.csv").is_file():
        log = (out / "locust.log").read_text(encoding="utf-8")[-2000:]
        raise RuntimeError(f"locust exited {code} without its statistics; its log ends:\n{log}")
    _read_stats(out, result)
    _events(target, pool, result)
    _judge(result, thresholds)
    return result
