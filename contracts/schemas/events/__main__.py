"""Regenerate the per-topic payload schemas from ``_declarations.py``.

Run: ``python -m fleetcheck.contracts.schemas.events``.
"""

from __future__ import annotations

import json

from fleetcheck.contracts.fleet import load_fleet
from fleetcheck.contracts.schemas.events import generated_schemas, schema_file


def main() -> None:
    topics = [t.name for t in load_fleet().topics]
    for topic, schema in generated_schemas(topics).items():
        schema_file(topic).write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(topics)} payload schemas")


if __name__ == "__main__":
    main()
