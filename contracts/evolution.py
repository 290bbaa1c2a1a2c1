"""Schema evolution: is a new version of a topic's payload schema BACKWARD, FORWARD or FULL compatible with the old?

Compatibility is judged on events, not on schema text: hypothesis generates events from one version and validates
them against the other. The strategy is built here from the JSON Schema subset the event schemas use (types, enum,
const, anyOf/oneOf, pattern, uuid and date-time formats, objects with properties/required/additionalProperties,
arrays): ``hypothesis-jsonschema`` 0.23.1 does not run on hypothesis 6.170 (``'many' object has no attribute
'more'``), and an unsupported keyword is refused with its name rather than silently ignored.

Every rejection names the field and the rule it breaks:

- BACKWARD (consumers on the new schema read events written with the old one): events of the old schema must
  validate against the new. Broken by a newly required field, a field removed from a closed schema, a narrowed type.
- FORWARD (consumers still on the old schema read events of the new one): the reverse direction.
- FULL: both.

Generation is derandomized (the same schemas always give the same verdict) and keeps no example database.

Example:
    >>> old = {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}
    >>> new = {**old, "properties": {**old["properties"], "name": {"type": "string"}}, "required": ["id", "name"]}
    >>> [(b.field, b.rule) for b in compatibility(old, new, "BACKWARD")]
    [('name', 'BACKWARD/no-new-required-field')]
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

__all__ = ["MODES", "Breaking", "UnsupportedSchema", "compatibility", "strategy_for"]

MODES = ("BACKWARD", "FORWARD", "FULL")
_QUOTED = re.compile(r"'([^']+)'")
_RULES = {
    ("BACKWARD", "required"): "BACKWARD/no-new-required-field",
    ("BACKWARD", "additionalProperties"): "BACKWARD/no-removed-field",
    ("BACKWARD", "unevaluatedProperties"): "BACKWARD/no-removed-field",
    ("FORWARD", "required"): "FORWARD/no-removed-required-field",
    ("FORWARD", "additionalProperties"): "FORWARD/no-added-field-in-closed-schema",
    ("FORWARD", "unevaluatedProperties"): "FORWARD/no-added-field-in-closed-schema",
}


class UnsupportedSchema(ValueError):
    """A schema keyword the event generator does not support; names the keyword and where it is."""


@dataclass(frozen=True, slots=True)
class Breaking:
    """One incompatibility: the field (a JSON path, ``.`` for the whole event), the rule, and a generated example."""

    field: str
    rule: str
    detail: str
    example: str = ""


def compatibility(
    old: dict[str, Any], new: dict[str, Any], mode: str = "BACKWARD", *, examples: int = 150
) -> list[Breaking]:
    """The ways ``new`` breaks ``mode`` compatibility with ``old`` (empty: compatible), one per field and rule.

    Raises:
        ValueError: ``mode`` is not one of BACKWARD, FORWARD, FULL.
    """
    if mode not in MODES:
        raise ValueError(f"compatibility mode {mode!r} is not one of {', '.join(MODES)}")
    found: dict[tuple[str, str], Breaking] = {}
    if mode in ("BACKWARD", "FULL"):
        found |= _direction("BACKWARD", writer=old, reader=new, examples=examples)
    if mode in ("FORWARD", "FULL"):
        found |= _direction("FORWARD", writer=new, reader=old, examples=examples)
    return sorted(found.values(), key=lambda b: (b.rule, b.field))


def _direction(direction: str, *, writer: dict[str, Any], reader: dict[str, Any], examples: int) -> dict[Any, Breaking]:
    """Generate events from ``writer`` and collect every way ``reader`` rejects them."""
    from hypothesis import HealthCheck, given, settings

    validator = Draft202012Validator(reader, format_checker=Draft202012Validator.FORMAT_CHECKER)
    found: dict[tuple[str, str], Breaking] = {}

    @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(strategy_for(writer))
    def sample(event: Any) -> None:
        for error in validator.iter_errors(event):
            breaking = _explain(direction, error, event)
            found.setdefault((breaking.field, breaking.rule), breaking)

    sample()
    return found


def _explain(direction: str, error: ValidationError, event: Any) -> Breaking:
    path = ".".join(str(p) for p in error.absolute_path)
    keyword = str(error.validator)
    named = _QUOTED.findall(error.message) if keyword in {"required", "additionalProperties"} else []
    field = ".".join(filter(None, [path, named[0] if named else ""])) or "."
    rule = _RULES.get((direction, keyword), f"{direction}/no-narrowed-type")
    example = json.dumps(event, ensure_ascii=False, default=str)[:300]
    return Breaking(field=field, rule=rule, detail=f"{error.message[:200]} (keyword {keyword})", example=example)


_IGNORED = {"$schema", "$id", "title", "description", "examples", "default", "$comment"}
_SUPPORTED = _IGNORED | {
    "type",
    "enum",
    "const",
    "anyOf",
    "oneOf",
    "pattern",
    "format",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
}
_UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


def strategy_for(schema: Any, where: str = "#") -> Any:
    """A hypothesis strategy of JSON values valid against ``schema`` (the subset named in the module docstring).

    Raises:
        UnsupportedSchema: a keyword outside that subset, with its JSON pointer.
    """
    from hypothesis import strategies as st

    if schema is True or schema == {}:
        return st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8))
    unknown = sorted(set(schema) - _SUPPORTED)
    if unknown:
        raise UnsupportedSchema(f"{where}: the event generator does not support {', '.join(unknown)}")
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    for combinator in ("anyOf", "oneOf"):
        if combinator in schema:
            parts = schema[combinator]
            return st.one_of(*(strategy_for(s, f"{where}/{combinator}/{i}") for i, s in enumerate(parts)))
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of(*(strategy_for({**schema, "type": k}, where) for k in kind))
    return _typed(schema, kind, where)


def _typed(schema: dict[str, Any], kind: Any, where: str) -> Any:
    from hypothesis import strategies as st

    if kind == "string":
        return _string(schema)
    if kind == "integer":
        return st.integers(schema.get("minimum"), schema.get("maximum"))
    if kind == "number":
        return st.floats(schema.get("minimum"), schema.get("maximum"), allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        return st.lists(strategy_for(schema.get("items", {}), f"{where}/items"), max_size=3)
    if kind == "object" or "properties" in schema:
        return _object(schema, where)
    raise UnsupportedSchema(f"{where}: the event generator does not support type {kind!r}")


def _string(schema: dict[str, Any]) -> Any:
    from hypothesis import strategies as st

    fmt = schema.get("format")
    if fmt == "uuid":
        return st.from_regex(_UUID_RE, fullmatch=True)
    if fmt == "date-time":
        return st.datetimes(timezones=st.just(UTC)).map(lambda moment: moment.isoformat())
    if "pattern" in schema:
        return st.from_regex(schema["pattern"], fullmatch=True)
    return st.text(min_size=schema.get("minLength", 0), max_size=schema.get("maxLength", 24))


def _object(schema: dict[str, Any], where: str) -> Any:
    from hypothesis import strategies as st

    properties = schema.get("properties", {})
    required = set(schema.get("required", ()))
    fields = {name: strategy_for(sub, f"{where}/properties/{name}") for name, sub in properties.items()}
    optional = {name: s for name, s in fields.items() if name not in required}
    base = st.fixed_dictionaries({name: fields[name] for name in properties if name in required}, optional=optional)
    if schema.get("additionalProperties", True) is False:
        return base
    # an open schema also sees fields it does not name: that is what makes adding a field forward-compatible or not
    extra = st.dictionaries(st.sampled_from(["x_extra", "x_note"]), st.text(max_size=8), max_size=1)
    return st.tuples(base, extra).map(lambda parts: {**parts[1], **parts[0]})
