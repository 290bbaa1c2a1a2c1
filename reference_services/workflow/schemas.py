"""Request bodies of workflow (msgspec structs: Litestar rejects wrong types and unknown fields with 400) and the
checks msgspec cannot express (money, NUL characters)."""

from __future__ import annotations

import math
import uuid  # noqa: TC003 - msgspec resolves annotations at runtime
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec
from litestar.exceptions import ValidationException

__all__ = ["AssignTask", "CompleteTask", "ProcessStart", "check_amount", "check_json_value", "reject"]

MAX_AMOUNT = Decimal("9999999999999999.99")  # numeric(18,2)

WorkflowType = Literal["purchase-order", "invoice-approval", "leave-request", "expense-reimbursement"]


class ProcessStart(msgspec.Struct, forbid_unknown_fields=True):
    workflow_type: WorkflowType
    business_key: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    amount_bdt: Decimal | None = None
    variables: dict[str, Any] = msgspec.field(default_factory=dict)


class CompleteTask(msgspec.Struct, forbid_unknown_fields=True):
    outcome: Literal["approved", "rejected"]
    comment: Annotated[str, msgspec.Meta(max_length=1000)] | None = None


class AssignTask(msgspec.Struct, forbid_unknown_fields=True):
    user_id: uuid.UUID


def reject(field: str, message: str) -> ValidationException:
    """A 400 problem naming the field (the same shape Litestar gives a msgspec validation error)."""
    return ValidationException(detail=f"{field}: {message}", extra=[{"key": field, "message": message,
                                                                    "source": "body"}])  # fmt: skip


def check_amount(value: Decimal | None, *, required: bool) -> Decimal | None:
    if value is None:
        if required:
            raise reject("amount_bdt", "is required for this workflow type (an amount in BDT such as 125000.50)")
        return None
    if not value.is_finite() or value < 0 or value > MAX_AMOUNT:
        raise reject("amount_bdt", f"expected an amount in BDT from 0 to {MAX_AMOUNT}; got {value}")
    if value != value.quantize(Decimal("0.01")):
        raise reject("amount_bdt", f"expected at most 2 decimal places (paisa); got {value}")
    return value.quantize(Decimal("0.01"))


def check_json_value(field: str, value: Any, *, depth: int = 0) -> Any:
    """Scalars, lists and objects with strings free of NUL (PostgreSQL text and jsonb refuse it), bounded depth."""
    if depth > 10:
        raise reject(field, "nested too deeply (at most 10 levels)")
    if isinstance(value, str):
        if "\x00" in value:
            raise reject(field, "text must not contain the NUL character")
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
