"""Request bodies of rules-engine (msgspec structs: Litestar rejects wrong types and unknown fields with 400) and
the checks msgspec cannot express (money, NUL characters, the shape of condition values)."""

from __future__ import annotations

import math
from datetime import date  # noqa: TC003 - msgspec resolves annotations at runtime
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec
from litestar.exceptions import ValidationException

__all__ = [
    "ActionIn",
    "ConditionIn",
    "EvaluateRequest",
    "RuleCreate",
    "RuleUpdate",
    "check_amount",
    "check_attributes",
    "check_json_value",
    "reject",
]

MAX_AMOUNT = Decimal("9999999999999999.99")  # numeric(18,2)

Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
FieldName = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
RuleType = Literal["vat", "ait", "approval"]
Operator = Literal["eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte"]


class ConditionIn(msgspec.Struct, forbid_unknown_fields=True):
    field: FieldName
    operator: Operator
    value: Any


class ActionIn(msgspec.Struct, forbid_unknown_fields=True):
    action_type: Literal["set_rate", "decide"]
    parameters: dict[str, Any] = msgspec.field(default_factory=dict)


class RuleCreate(msgspec.Struct, forbid_unknown_fields=True):
    code: Code
    rule_type: RuleType
    priority: Annotated[int, msgspec.Meta(ge=-1000, le=1000)] = 0
    category_code: Code | None = None
    effective_from: date | None = None
    effective_to: date | None = None
    conditions: Annotated[list[ConditionIn], msgspec.Meta(max_length=20)] = msgspec.field(default_factory=list)
    actions: Annotated[list[ActionIn], msgspec.Meta(min_length=1, max_length=5)] = msgspec.field(default_factory=list)


class RuleUpdate(msgspec.Struct, forbid_unknown_fields=True):
    priority: Annotated[int, msgspec.Meta(ge=-1000, le=1000)] | None = None
    effective_from: date | None = None
    effective_to: date | None = None
    conditions: Annotated[list[ConditionIn], msgspec.Meta(max_length=20)] | None = None
    actions: Annotated[list[ActionIn], msgspec.Meta(min_length=1, max_length=5)] | None = None


class EvaluateRequest(msgspec.Struct, forbid_unknown_fields=True):
    entity_type: Text
    entity_id: Text
    rule_type: RuleType
    amount_bdt: Decimal | None = None
    attributes: dict[str, Any] = msgspec.field(default_factory=dict)


def reject(field: str, message: str) -> ValidationException:
    """A 400 problem naming the field (the same shape Litestar gives a msgspec validation error)."""
    return ValidationException(detail=f"{field}: {message}", extra=[{"key": field, "message": message,
                                                                    "source": "body"}])  # fmt: skip


def check_amount(value: Decimal | None, field: str = "amount_bdt", *, required: bool = False) -> Decimal | None:
    if value is None:
        if required:
            raise reject(field, "is required for this rule type (an amount in BDT such as 125000.50)")
        return None
    if not value.is_finite() or value < 0 or value > MAX_AMOUNT:
        raise reject(field, f"expected an amount in BDT from 0 to {MAX_AMOUNT}; got {value}")
    if value != value.quantize(Decimal("0.01")):
        raise reject(field, f"expected at most 2 decimal places (paisa); got {value}")
    return value.quantize(Decimal("0.01"))


def check_json_value(field: str, value: Any, *, depth: int = 0) -> Any:
    """Scalars, lists and objects with strings free of NUL (PostgreSQL text and jsonb refuse it), bounded depth."""
    if depth > 5:
        raise reject(field, "nested too deeply (at most 5 levels)")
    if isinstance(value, str):
        if "\x00" in value:
            raise reject(field, "text must not contain the NUL character")
        if len(value) > 1000:
            raise reject(field, "text longer than 1000 characters")
        return value
    if isinstance(value, list):
        return [check_json_value(field, item, depth=depth + 1) for item in value]
    if isinstance(value, dict):
        return {check_json_value(field, key, depth=depth + 1): check_json_value(field, item, depth=depth + 1)
                for key, item in value.items()}  # fmt: skip
    if isinstance(value, float) and not math.isfinite(value):
        raise reject(field, "numbers must be finite (JSON has no NaN or Infinity)")
    if value is None or isinstance(value, bool | int | float):
        return value
    raise reject(field, f"unsupported value {value!r}")


def check_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    if len(attributes) > 50:
        raise reject("attributes", "at most 50 attributes")
    for name, value in attributes.items():
        if not name or len(name) > 64:
            raise reject("attributes", "attribute names have 1 to 64 characters")
        if not (value is None or isinstance(value, str | bool | int | float)):
            raise reject(f"attributes.{name[:64]}", "expected a string, number, boolean or null")
    return check_json_value("attributes", attributes)
