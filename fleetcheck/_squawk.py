"""Lint rendered migration SQL with squawk (the ``squawk-cli`` wheel) and parse its JSON report.

The rule set (``EXCLUDED_RULES`` says what is left out and why): squawk's defaults, which catch what blocks or breaks
a live database -- ``require-concurrent-index-creation`` (an index on a table that already exists, built without
CONCURRENTLY, blocks writes; squawk exempts tables created in the same file, i.e. the same revision),
``ban-concurrent-index-creation-in-transaction`` (CONCURRENTLY outside Alembic's ``autocommit_block`` fails),
``adding-field-with-default`` (a volatile default rewrites the table), ``adding-required-field``,
``adding-not-nullable-field``, ``constraint-missing-not-valid``, ``disallowed-unique-constraint``,
``changing-column-type``, ``renaming-column``/``renaming-table`` (break the running version),
``ban-drop-column``/``ban-drop-table``, ``prefer-timestamp-tz`` (SPEC.md: timestamptz) and the rest of the defaults.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["EXCLUDED_RULES", "RULES_NOTE", "SquawkError", "SquawkHit", "lint_files", "statement_at"]

#: Rules left out, each for a reason that holds for Alembic revisions of this fleet.
EXCLUDED_RULES: dict[str, str] = {
    "prefer-robust-stmts": "each revision runs in its own transaction (transaction_per_migration), so a failed "
    "revision rolls back whole; IF [NOT] EXISTS would only hide drift",
    "require-lock-timeout": "lock_timeout is a setting of the migration run (PGOPTIONS), not of each revision",
    "require-statement-timeout": "statement_timeout is a setting of the migration run, not of each revision",
    "prefer-bigint-over-int": "a type-style rule: keys are uuid (MIGRATIONS-UUID-PK); small counters stay integer",
    "prefer-bigint-over-smallint": "a type-style rule, not a safety rule",
    "prefer-identity": "keys are uuid with gen_random_uuid(), not serial or identity",
    "prefer-text-field": "varchar(n) lengths are the API's validation limits (SPEC.md), kept on purpose",
}
RULES_NOTE = "squawk defaults except " + ", ".join(EXCLUDED_RULES)


class SquawkError(RuntimeError):
    """squawk is missing or did not produce a report."""


@dataclass(frozen=True, slots=True)
class SquawkHit:
    file: str
    line: int  # 0-based, as squawk reports it
    rule: str
    message: str
    help: str


def lint_files(files: list[Path], *, pg_version: str | None = None, timeout: float = 120.0) -> list[SquawkHit]:
    """Run squawk once over ``files``; raises SquawkError if it cannot run or its output is not its JSON report."""
    # The squawk-cli wheel puts its binary beside this interpreter, which need not be on PATH (a venv not activated)
    beside = Path(sys.executable).with_name("squawk")
    binary = str(beside) if beside.is_file() else shutil.which("squawk")
    if binary is None:
        raise SquawkError("the squawk binary is not on PATH; pip install squawk-cli")
    if not files:
        return []
    command = [binary, "--reporter", "json", f"--exclude={','.join(EXCLUDED_RULES)}"]
    command += [f"--pg-version={pg_version}"] if pg_version else []
    done = subprocess.run([*command, *map(str, files)], capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode not in (0, 1):
        raise SquawkError(f"squawk exited with code {done.returncode}: {done.stderr.strip()[-500:]}")
    try:
        report = json.loads(done.stdout or "[]")
    except ValueError:
        raise SquawkError(f"squawk printed no JSON report: {done.stdout[:300]!r} {done.stderr[:300]!r}") from None
    return [
        SquawkHit(str(v["file"]), int(v["line"]), str(v["rule_name"]), str(v["message"]), str(v.get("help") or ""))
        for v in report
    ]


def statement_at(sql_text: str, line: int) -> str:
    """The whole statement around a 0-based line of rendered SQL (statements end with ``;`` at a line end)."""
    lines = sql_text.splitlines()
    if not 0 <= line < len(lines):
        return ""
    start = line
    while start > 0 and not lines[start - 1].rstrip().endswith(";"):
        start -= 1
    end = line
    while end < len(lines) - 1 and not lines[end].rstrip().endswith(";"):
        end += 1
    return "\n".join(lines[start : end + 1]).strip()
