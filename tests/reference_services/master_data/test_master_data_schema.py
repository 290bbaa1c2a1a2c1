"""Request validation of master-data entities: fields named in errors, Bengali kept, Bangladesh rules applied."""

from __future__ import annotations

from decimal import Decimal

import pytest

from reference_services.master_data.schema import ENTITIES, FieldError, clean

SPECS = {spec.entity_type: spec for spec in ENTITIES}


def test_customer_is_cleaned_and_bengali_name_is_kept_byte_for_byte() -> None:
    values = clean(
        SPECS["customer"],
        {
            "code": "C-1",
            "name": "Rahim Traders",
            "name_bn": "রহিম ট্রেডার্স",
            "phone": "01712-345678",
            "tin": "1234 5678 9012",
            "nid": "1234567890",
        },
        partial=False,
    )
    assert values["name_bn"] == "রহিম ট্রেডার্স"
    assert values["phone"] == "+8801712345678"
    assert values["tin"] == "123456789012"


@pytest.mark.parametrize(
    ("entity", "body", "field", "error_type"),
    [
        ("customer", {"name": "x"}, "code", "required"),
        ("customer", {"code": "C", "name": "x", "tin": "123"}, "tin", "invalid_length"),
        ("customer", {"code": "C", "name": "x", "email": "not-an-email"}, "email", "invalid_format"),
        ("vendor", {"code": "V", "name": "x", "bin": "12345"}, "bin", "invalid_length"),
        ("product", {"sku": "S", "name": "x", "vat_rate": 150}, "vat_rate", "out_of_range"),
        ("account", {"code": "A", "name": "x", "account_type": "cash"}, "account_type", "invalid_choice"),
        (
            "account",
            {"code": "A", "name": "x", "account_type": "asset", "balance": "1.234"},
            "balance",
            "invalid_precision",
        ),
        ("customer", {"code": "C", "name": "x", "colour": "red"}, "body", "unknown_field"),
        ("customer", ["code"], "body", "invalid_type"),
    ],
)
def test_invalid_field_is_named_with_its_error_type(entity: str, body: object, field: str, error_type: str) -> None:
    with pytest.raises(FieldError) as caught:
        clean(SPECS[entity], body, partial=False)
    assert (caught.value.field, caught.value.error_type) == (field, error_type)


def test_partial_update_needs_no_required_field_but_rejects_null_for_one() -> None:
    assert clean(SPECS["product"], {"vat_rate": "5"}, partial=True) == {"vat_rate": Decimal("5.00")}
    with pytest.raises(FieldError) as caught:
        clean(SPECS["product"], {"name": None}, partial=True)
    assert caught.value.field == "name"
