"""``python -m benchmarks.migrations``: per service, upgrade-from-empty and round-trip times, and the fleet total.

Each service's migrations run ``--runs`` times (default 3) on fresh databases (embedded PostgreSQL, or
``FLEETCHECK_POSTGRES_DSN``); the baseline is the same schema built by ``metadata.create_all`` of the service's
models (in a subprocess, which imports only that service), so the table says what Alembic and the revisions cost on
top of plain ``CREATE TABLE``s. Times are min / median / max in seconds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from fleetcheck.contracts.fleet import load_fleet
from fleetcheck.migrations import FreshDatabase, MigrationSource, _postgres_server, _sqlalchemy_url, reference_sources

__all__ = ["main"]

_CREATE_ALL = """
import sys, time, importlib.util, runpy
from pathlib import Path
import sqlalchemy as sa
captured = {}
import reference_services.kernel.migrations as kernel
kernel.run_env = lambda metadata: captured.setdefault("metadata", metadata)
runpy.run_path(str(Path(sys.argv[1]) / "env.py"))
engine = sa.create_engine(sys.argv[2], poolclass=sa.pool.NullPool)
started = time.perf_counter()
captured["metadata"].create_all(engine)
print(time.perf_counter() - started)
engine.dispose()
"""


def _alembic(source: MigrationSource, url: str, action: str, revision: str) -> float:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(source.script_location))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    started = time.perf_counter()
    getattr(command, action)(config, revision)
    return time.perf_counter() - started


def _one_run(source: MigrationSource, admin_dsn: str) -> tuple[float, float, float]:
    """(upgrade from empty, up -> down -> up, create_all baseline) on fresh databases."""
    with FreshDatabase(admin_dsn, source.service) as db:
        url = _sqlalchemy_url(db.owner_dsn)
        upgrade = _alembic(source, url, "upgrade", "heads")
        round_trip = _alembic(source, url, "downgrade", "base") + _alembic(source, url, "upgrade", "heads")
    with FreshDatabase(admin_dsn, source.service) as db:
        root = Path(__file__).resolve().parent.parent
        done = subprocess.run(
            [sys.executable, "-c", _CREATE_ALL, str(source.script_location), _sqlalchemy_url(db.owner_dsn)],
            capture_output=True, text=True, check=True, cwd=root, timeout=300,
        )  # fmt: skip
        baseline = float(done.stdout.strip().splitlines()[-1])
    return upgrade, round_trip + upgrade, baseline


def _stats(values: list[float]) -> str:
    return f"{min(values):6.3f} {statistics.median(values):6.3f} {max(values):6.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.migrations", description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="runs per service (default 3)")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON too")
    args = parser.parse_args(argv)
    sources = reference_sources(load_fleet())
    results: dict[str, list[tuple[float, float, float]]] = {}
    with _postgres_server() as admin_dsn:
        for source in sources:
            results[source.service] = [_one_run(source, admin_dsn) for _ in range(args.runs)]
    header = f"{'service':20} {'upgrade from empty':>20} {'up+down+up':>20} {'create_all baseline':>20}"
    print(header + "\n" + " " * 21 + "   min    med    max" * 3)
    for service, runs in results.items():
        columns = [[r[i] for r in runs] for i in range(3)]
        print(f"{service:20} " + " ".join(_stats(c) for c in columns))
    totals = [[sum(statistics.median([r[i] for r in runs]) for runs in results.values())] for i in range(3)]
    print(f"{'fleet total (medians)':20} " + " ".join(f"{'':13} {t[0]:6.3f}" for t in totals))
    if args.json:
        print(json.dumps({s: [list(r) for r in runs] for s, runs in results.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
