"""JSON Schemas of the fleet's events: the CloudEvents 1.0 envelope and one payload schema per topic (Draft 2020-12).

The payload schemas are generated from ``_declarations.py`` (regenerate with ``python -m
fleetcheck.contracts.schemas.events``); a test keeps the JSON files and the declaration in step.

Example:
    >>> envelope_schema()["properties"]["specversion"]
    {'const': '1.0'}
    >>> payload_schema("auth.user.login")["required"]
    ['user_id', 'tenant_id', 'login_type']
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from fleetcheck.contracts.schemas.events._declarations import DECLARATIONS

__all__ = [
    "ENVELOPE_FILE",
    "SCHEMA_DIR",
    "envelope_schema",
    "generate_payload_schema",
    "generated_schemas",
    "payload_schema",
    "schema_file",
]

SCHEMA_DIR = Path(__file__).parent
ENVELOPE_FILE = SCHEMA_DIR / "cloudevent.json"
_ID_BASE = "https://fleetcheck.dev/schemas/events/"
_DATETIME = {
    "type": "string",
    "format": "date-time",
    "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$",
}
_UUID = {"type": "string", "format": "uuid", "pattern": r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$"}
_TYPES: dict[str, dict[str, Any]] = {
    "uuid": _UUID,
    "string": {"type": "string"},
    "datetime": _DATETIME,
    "date": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
    "integer": {"type": "integer"},
    "number": {"type": "number"},  # an integer or a fraction (e.g. a duration in milliseconds)
    "boolean": {"type": "boolean"},
    "decimal": {"type": "string", "pattern": r"^-?\d+\.\d{2}$"},
    "object": {"type": "object"},
    "array": {"type": "array"},
    "any": {},  # any JSON value, null included (e.g. a configuration setting's value)
}


def schema_file(topic: str) -> Path:
    """``contracts/schemas/events/<topic>.json``."""
    return SCHEMA_DIR / f"{topic}.json"


@cache
def _read(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def envelope_schema() -> dict[str, Any]:
    """The CloudEvents 1.0 structured-mode envelope every fleet event must match."""
    return _read(ENVELOPE_FILE)


def payload_schema(topic: str) -> dict[str, Any]:
    """The payload (``data``) schema of ``topic``; KeyError names the topic when the catalogue has none."""
    path = schema_file(topic)
    if not path.is_file():
        raise KeyError(f"no payload schema for topic {topic!r} ({path} does not exist)")
    return _read(path)


def _field_schema(kind: str) -> dict[str, Any]:
    nullable = kind.endswith("?")
    base = kind.rstrip("?")
    schema = {"enum": base.removeprefix("enum:").split("|")} if base.startswith("enum:") else dict(_TYPES[base])
    if not nullable:
        return schema
    if "enum" in schema:
        return {"enum": [*schema["enum"], None]}
    return {"anyOf": [schema, {"type": "null"}]}


def generate_payload_schema(topic: str, fields: dict[str, str] | None) -> dict[str, Any]:
    """The payload schema of ``topic`` from its declaration (``None``: a loose object schema)."""
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{_ID_BASE}{topic}.json",
        "title": f"data of {topic}",
        "type": "object",
    }
    if fields is None:
        schema["description"] = "declared loosely: the producer's payload is not pinned field by field yet"
        return schema
    properties = {name.lstrip("~"): _field_schema(kind) for name, kind in fields.items()}
    schema["properties"] = properties
    schema["required"] = [name for name in fields if not name.startswith("~")]
    schema["additionalProperties"] = False
    return schema


def generated_schemas(topics: list[str]) -> dict[str, dict[str, Any]]:
    """Every topic's payload schema, generated (declared topics strictly, the others loosely)."""
    return {topic: generate_payload_schema(topic, DECLARATIONS.get(topic)) for topic in topics}
