"""Automatic mutation testing of the reference services with cosmic-ray: how many mutants that nobody wrote by hand
does a narrow ``fleetcheck verify`` catch?

The hand-written mutants (``tests/mutants/``) each break one claim on purpose; they prove that a check can fail. This
measures the other side: cosmic-ray rewrites the chosen source files one operator at a time (``<`` for ``<=``,
``and`` for ``or``, a constant changed, a ``break`` for a ``continue``...), and for each mutant runs a fresh
``fleetcheck verify`` of the chosen areas and services; a non-zero exit (a check failed, or the fleet did not
start) kills the mutant, exit 0 lets it survive. Survivors are the blind spots to look at, or equivalent mutants.

It works on a copy of the working tree (the checkout is never rewritten), with ``PYTHONPATH`` pointing at the copy so
the fork server and every service import the mutated file, and bytecode off (cosmic-ray's default) so two mutants
written within one second are both compiled. The mutants are sampled (``--limit``, with a fixed ``--seed``): every
run costs a fleet start (2-3 s for one service and its infrastructure) and the verification.

Run: ``scripts/mutation`` (see ``--help``); not part of the default test suite, because it takes minutes per module.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DEFAULT_MODULES = ("reference_services/kernel/health.py", "reference_services/kernel/metrics.py")
DEFAULT_VERIFY = (
    "--area health --area metrics --service organization --service file-storage --service import-export "
    "--service audit --service notification"
)
#: what the copy leaves out: the virtualenv, git, built Node modules, reports and caches
_IGNORED = shutil.ignore_patterns(".venv", ".git", "node_modules", "reports", "__pycache__", "*.pyc", ".*_cache")


def _copy_tree(into: Path) -> Path:
    copy = into / "tree"
    shutil.copytree(REPO, copy, ignore=_IGNORED, symlinks=True)
    return copy


def _config(modules: list[str], verify: str, timeout: float, reports: Path) -> str:
    command = f"{shlex.quote(sys.executable)} -m fleetcheck verify {verify} --report-dir {shlex.quote(str(reports))}"
    listed = ", ".join(json.dumps(m) for m in modules)
    return (
        "[cosmic-ray]\n"
        f"module-path = [{listed}]\n"
        f"timeout = {timeout}\n"
        "excluded-modules = []\n"
        f"test-command = {json.dumps(command)}\n\n"
        '[cosmic-ray.distributor]\nname = "local"\n'
    )


def _cosmic_ray(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    tool = Path(sys.executable).with_name("cosmic-ray")
    return subprocess.run([str(tool), *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)


def _where(item: Any) -> tuple[str, int, int, str, int]:
    mutation = item.mutations[0]
    line, column = mutation.start_pos
    return (str(mutation.module_path), line, column, mutation.operator_name, mutation.occurrence)


def _sample(session: Path, limit: int, seed: int) -> tuple[int, int]:
    """Keep ``limit`` of the pending mutants (a reproducible sample); mark the others skipped. Returns (kept, all)."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    with use_db(str(session), WorkDB.Mode.open) as db:
        # ordered by where each mutation is, not by job id (a fresh uuid per init): the same tree and seed give the
        # same sample
        items = sorted(db.pending_work_items, key=_where)
        kept = {item.job_id for item in random.Random(seed).sample(items, min(limit, len(items)))}
        pending = [item.job_id for item in items]
        skipped = [job for job in pending if job not in kept]
        if skipped:
            db.set_multiple_results(skipped, WorkResult(worker_outcome=WorkerOutcome.SKIPPED))
    return len(kept), len(pending)


def _results(session: Path) -> list[dict[str, object]]:
    from cosmic_ray.work_db import WorkDB, use_db

    rows: list[dict[str, object]] = []
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item, result in db.completed_work_items:
            if result.test_outcome is None:  # skipped by the sample
                continue
            mutation = item.mutations[0]
            rows.append(
                {
                    "module": str(mutation.module_path),
                    "line": mutation.start_pos[0],
                    "operator": mutation.operator_name.removeprefix("core/"),
                    "outcome": result.test_outcome.value,
                    "diff": result.diff or "",
                }
            )
    return sorted(rows, key=lambda r: (str(r["module"]), int(str(r["line"]))))


def _progress(session: Path, total: int, proc: subprocess.Popen[str], started: float) -> None:
    from cosmic_ray.work_db import WorkDB, use_db

    while proc.poll() is None:
        time.sleep(15)
        with use_db(str(session), WorkDB.Mode.open) as db:
            left = sum(1 for _ in db.pending_work_items)
        done = total - left
        print(f"  {done} of {total} mutants judged ({time.monotonic() - started:.0f} s)", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/mutation", description=__doc__.split("\n\n")[0])
    parser.add_argument("--module", action="append", help=f"a source file to mutate (default: {DEFAULT_MODULES})")
    parser.add_argument(
        "--verify", default=DEFAULT_VERIFY, help=f"fleetcheck verify's options (default: {DEFAULT_VERIFY!r})"
    )
    parser.add_argument("--limit", type=int, default=40, help="mutants to run, sampled (default 40)")
    parser.add_argument("--seed", type=int, default=1, help="the sample's seed (default 1)")
    parser.add_argument("--timeout", type=float, default=240.0, help="seconds per mutant before it counts as killed")
    parser.add_argument("--json", type=Path, default=Path("reports/mutation.json"), help="where the results go")
    args = parser.parse_args(argv)
    modules = args.module or list(DEFAULT_MODULES)
    missing = [m for m in modules if not (REPO / m).is_file()]
    if missing:
        parser.error(f"no such source file: {', '.join(missing)} (give paths relative to {REPO})")

    with tempfile.TemporaryDirectory(prefix="fleetcheck-mutation-") as tmp:
        work = Path(tmp)
        tree = _copy_tree(work)
        config, session = work / "cosmic-ray.toml", work / "session.sqlite"
        config.write_text(_config(modules, args.verify, args.timeout, work / "reports"))
        env = {**os.environ, "PYTHONPATH": str(tree), "CI": "true", "PYTHONDONTWRITEBYTECODE": "1"}
        init = _cosmic_ray("init", str(config), str(session), cwd=tree, env=env)
        if init.returncode != 0:
            print(f"cosmic-ray init failed:\n{init.stdout}{init.stderr}", file=sys.stderr)
            return 3
        kept, total = _sample(session, args.limit, args.seed)
        print(f"{total} mutants of {', '.join(modules)}; running {kept} (seed {args.seed}), "
              f"each judged by `fleetcheck verify {args.verify}`", file=sys.stderr, flush=True)  # fmt: skip
        baseline = _cosmic_ray("baseline", str(config), cwd=tree, env=env)
        if baseline.returncode != 0:
            print("the unmutated tree does not pass the verification, so no mutant can be judged:\n"
                  f"{baseline.stdout[-3000:]}{baseline.stderr[-3000:]}", file=sys.stderr)  # fmt: skip
            return 3
        started = time.monotonic()
        tool = Path(sys.executable).with_name("cosmic-ray")
        with subprocess.Popen([str(tool), "exec", str(config), str(session)], cwd=tree, env=env, text=True) as proc:
            _progress(session, kept, proc, started)
        rows = _results(session)

    counts = Counter(str(r["outcome"]) for r in rows)
    judged = counts["killed"] + counts["survived"]
    score = counts["killed"] / judged if judged else 0.0
    print("\nsurvivors:\n| module | line | operator | outcome |\n|---|---|---|---|")
    for row in rows:
        if row["outcome"] != "killed":
            print(f"| {row['module']} | {row['line']} | {row['operator']} | {row['outcome']} |")
    took = time.monotonic() - started
    print(f"\nmutation score: {counts['killed']} of {judged} killed ({score:.0%}); "
          f"{counts['incompetent']} incompetent; {took:.0f} s")  # fmt: skip
    args.json.parent.mkdir(parents=True, exist_ok=True)
    summary = {"modules": modules, "verify": args.verify, "sampled": kept, "of": total, "seed": args.seed}
    args.json.write_text(json.dumps({**summary, "counts": dict(counts), "mutants": rows}, indent=2))
    print(f"results: {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
