"""``python -m fleetcheck._autogenerate <script_location> <sqlalchemy url>``: the autogenerate diff, as JSON lines.

Runs in its own process on purpose: the reference services share one declarative ``Base``, so a process that has
imported two services' models compares each schema with both services' tables. Here only the service's own
``env.py`` (and so its own models) is imported. The service's ``env.py`` runs unchanged: Alembic calls our ``fn``
instead of running migrations, and we compare the metadata env.py configured with the live schema.
"""

from __future__ import annotations

import json
import sys
from typing import Any

__all__ = ["describe", "main"]

_MEANING = {
    "add": "the models have it, the migrated schema does not",
    "remove": "the migrated schema has it, the models do not",
    "modify": "the models and the migrated schema differ",
}


def _name(item: Any) -> str | None:
    if item is None:
        return None
    table = getattr(item, "table", None)
    name = getattr(item, "name", None)
    if name is not None and table is not None and getattr(table, "name", None):
        columns = getattr(item, "columns", None)
        keys = f" ({', '.join(c.name for c in columns)})" if columns is not None and hasattr(item, "unique") else ""
        return f"{table.name}.{name}{keys}"
    if name is not None:
        return str(name)
    return repr(item) if not isinstance(item, str) else item


def describe(diff: Any) -> str:
    """One line for one autogenerate diff: the operation, the object, and what it means."""
    if isinstance(diff, list):
        return "; ".join(describe(d) for d in diff)
    op, *rest = diff
    if op.startswith("modify_"):
        _schema, table, column, _kw, old, new = rest
        return f"{op} {table}.{column}: schema has {old!r}, models say {new!r} ({_MEANING['modify']})"
    parts = [p for p in (_name(r) for r in rest) if p]
    if op in {"add_column", "remove_column"} and len(rest) == 3:
        parts = [f"{rest[1]}.{rest[2].name}"]
    return f"{op} {' '.join(parts)} ({_MEANING.get(op.split('_')[0], 'differs')})"


def main(argv: list[str]) -> int:
    from alembic.autogenerate import compare_metadata
    from alembic.config import Config
    from alembic.runtime.environment import EnvironmentContext
    from alembic.script import ScriptDirectory

    script_location, url = argv
    config = Config()
    config.set_main_option("script_location", script_location)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    script = ScriptDirectory.from_config(config)
    diffs: list[Any] = []

    def compare(_revision: Any, context: Any) -> list[Any]:
        metadata = context.opts.get("target_metadata")
        if metadata is None:
            raise SystemExit("env.py configures no target_metadata, so the models cannot be compared")
        diffs.extend(compare_metadata(context, metadata))
        return []

    with EnvironmentContext(config, script, fn=compare, compare_type=True):
        script.run_env()
    for diff in diffs:
        print(json.dumps(describe(diff)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
