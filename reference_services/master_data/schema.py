"""The fields of each master-data entity: what a request may hold, how each value is checked and normalised.

``clean(spec, body, partial=...)`` turns a decoded JSON body into column values or raises ``FieldError`` naming the
field, the error type (a bounded metric label) and what was expected.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from . import bangladesh
from .models import ACCOUNT_TYPES, Account, Customer, Product, Vendor

if TYPE_CHECKING:
    from collections.abc import Callable

    from reference_services.kernel.db import Base

__all__ = ["ENTITIES", "EntitySpec", "FieldError", "FieldSpec", "clean", "to_json"]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HS_CODE = re.compile(r"^\d{4}(\.?\d{2}){0,3}$", re.ASCII)
BODY_FIELD = "body"


class FieldError(ValueError):
    """One invalid field: ``field`` and ``error_type`` become metric labels, ``message`` the problem detail."""

    def __init__(self, field: str, error_type: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.error_type = error_type
        self.message = message


def _text(max_length: int) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise bangladesh.BangladeshRuleError("invalid_type", "a string", value)
        # Only outer whitespace is trimmed: Bengali text must round-trip unchanged (no Unicode normalisation).
        stripped = value.strip()
        if not stripped:
            raise bangladesh.BangladeshRuleError("required", "a non-empty string", value)
        if len(stripped) > max_length:
            raise bangladesh.BangladeshRuleError("invalid_length", f"at most {max_length} characters", value)
        return stripped

    return check


def _email(value: Any) -> str:
    cleaned = _text(320)(value)
    if not _EMAIL.fullmatch(cleaned):
        raise bangladesh.BangladeshRuleError("invalid_format", "an email address like name@example.com", value)
    return cleaned


def _hs_code(value: Any) -> str:
    cleaned = _text(12)(value)
    if not _HS_CODE.fullmatch(cleaned):
        raise bangladesh.BangladeshRuleError("invalid_format", "an HS code of 4 to 10 digits (e.g. 8471.30)", value)
    return cleaned


def _account_type(value: Any) -> str:
    if value not in ACCOUNT_TYPES:
        raise bangladesh.BangladeshRuleError("invalid_choice", f"one of {', '.join(ACCOUNT_TYPES)}", value)
    return str(value)


def _uuid(value: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(value)) if isinstance(value, str) else uuid.UUID("")
    except ValueError:
        raise bangladesh.BangladeshRuleError("invalid_format", "a uuid", value) from None


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    check: Callable[[Any], Any]
    required: bool = False


@dataclass(frozen=True, slots=True)
class EntitySpec:
    """One entity: ``entity_type`` is the singular used in topics, metric labels and the id path parameter."""

    entity_type: str
    collection: str
    model: type[Base]
    key: str
    fields: tuple[FieldSpec, ...]

    @property
    def id_param(self) -> str:
        return f"{self.entity_type}_id"

    def topic(self, action: str) -> str:
        return f"master-data.{self.entity_type}.{action}"


_CODE = FieldSpec("code", _text(50), required=True)
_NAME = FieldSpec("name", _text(255), required=True)
_EMAIL_FIELD = FieldSpec("email", _email)
_PHONE = FieldSpec("phone", bangladesh.normalise_mobile)
_TIN = FieldSpec("tin", bangladesh.normalise_tin)
_ADDRESS = FieldSpec("address", _text(2000))

ENTITIES: tuple[EntitySpec, ...] = (
    EntitySpec(
        "customer",
        "customers",
        Customer,
        "code",
        (
            _CODE,
            _NAME,
            FieldSpec("name_bn", _text(255)),
            _EMAIL_FIELD,
            _PHONE,
            _TIN,
            FieldSpec("nid", bangladesh.normalise_nid),
            _ADDRESS,
        ),
    ),
    EntitySpec(
        "vendor",
        "vendors",
        Vendor,
        "code",
        (_CODE, _NAME, _TIN, FieldSpec("bin", bangladesh.normalise_bin), _EMAIL_FIELD, _PHONE, _ADDRESS),
    ),
    EntitySpec(
        "product",
        "products",
        Product,
        "sku",
        (
            FieldSpec("sku", _text(64), required=True),
            _NAME,
            FieldSpec("category", _text(100)),
            FieldSpec("unit_of_measure", _text(32)),
            FieldSpec("vat_rate", bangladesh.normalise_rate),
            FieldSpec("hs_code", _hs_code),
        ),
    ),
    EntitySpec(
        "account",
        "accounts",
        Account,
        "code",
        (
            _CODE,
            _NAME,
            FieldSpec("account_type", _account_type, required=True),
            FieldSpec("parent_id", _uuid),
            FieldSpec("balance", bangladesh.normalise_money),
        ),
    ),
)


def clean(spec: EntitySpec, body: Any, *, partial: bool) -> dict[str, Any]:
    """Column values from a request body; ``partial`` (PATCH) allows missing fields and null for optional ones."""
    if not isinstance(body, dict):
        raise FieldError(
            BODY_FIELD,
            "invalid_type",
            f"expected a JSON object with the fields of a {spec.entity_type}; got a JSON {type(body).__name__}",
        )
    known = {f.name: f for f in spec.fields}
    unknown = sorted(set(body) - set(known))
    if unknown:
        # the unknown name goes into the message, never into a metric label (it is caller-controlled)
        raise FieldError(
            BODY_FIELD,
            "unknown_field",
            f"unknown field(s) {', '.join(unknown)}; a {spec.entity_type} has {', '.join(known)}",
        )
    values: dict[str, Any] = {}
    for field in spec.fields:
        if field.name not in body:
            if field.required and not partial:
                raise FieldError(field.name, "required", f"{field.name} is required for a {spec.entity_type}")
            continue
        values[field.name] = _clean_value(spec, field, body[field.name])
    return values


def _clean_value(spec: EntitySpec, field: FieldSpec, raw: Any) -> Any:
    if raw is None:
        if field.required:
            raise FieldError(field.name, "required", f"{field.name} of a {spec.entity_type} cannot be null")
        return None
    try:
        return field.check(raw)
    except bangladesh.BangladeshRuleError as error:
        raise FieldError(field.name, error.error_type, f"{field.name}: {error}") from None


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:.2f}"  # money and rates keep their two decimals (15.00), never a float
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def to_json(spec: EntitySpec, row: Any) -> dict[str, Any]:
    names = ("id", "tenant_id", *(f.name for f in spec.fields), "created_at", "updated_at")
    return {name: _jsonable(getattr(row, name)) for name in names}
