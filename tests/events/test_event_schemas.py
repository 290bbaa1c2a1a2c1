"""The event schemas: one per fleet topic, generated from the declaration, and what producers send validates."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from fleetcheck.contracts.fleet import load_fleet
from fleetcheck.contracts.schemas.events import envelope_schema, generated_schemas, payload_schema, schema_file

TOPICS = [t.name for t in load_fleet().topics]

CUSTOMER = {
    "id": "4f7a2f0e-8a43-4c1e-9d7e-0d0f5a1e2b3c", "tenant_id": "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e",
    "code": "C-1", "name": "Dhaka Traders", "name_bn": "ঢাকা ট্রেডার্স", "email": None, "phone": "+8801712345678",
    "tin": "123456789012", "nid": None, "address": None, "created_at": "2026-01-01T10:00:00+06:00", "updated_at": None,
}  # fmt: skip


def _valid(schema: dict, instance: object) -> list[str]:
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [e.message for e in validator.iter_errors(instance)]


@pytest.mark.parametrize("topic", TOPICS)
def test_every_topic_has_a_schema_file_matching_its_declaration(topic: str) -> None:
    on_disk = json.loads(schema_file(topic).read_text(encoding="utf-8"))
    assert on_disk == generated_schemas([topic])[topic], (
        "regenerate with `python -m fleetcheck.contracts.schemas.events`"
    )
    Draft202012Validator.check_schema(on_disk)


def test_a_customer_payload_as_master_data_sends_it_validates() -> None:
    assert _valid(payload_schema("master-data.customer.created"), CUSTOMER) == []


def test_a_renamed_field_is_rejected_naming_both_fields() -> None:
    drifted = {k: v for k, v in CUSTOMER.items() if k != "name"} | {"customer_name": "Dhaka Traders"}
    errors = " ".join(_valid(payload_schema("master-data.customer.created"), drifted))
    assert "'name' is a required property" in errors
    assert "customer_name" in errors


def test_the_envelope_requires_an_offset_on_time() -> None:
    event = {
        "specversion": "1.0", "id": "4f7a2f0e-8a43-4c1e-9d7e-0d0f5a1e2b3c", "source": "/master-data",
        "type": "master-data.customer.created", "time": "2026-01-01T10:00:00", "subject": CUSTOMER["id"],
        "datacontenttype": "application/json", "tenantid": CUSTOMER["tenant_id"], "correlationid": "c-1",
        "data": CUSTOMER,
    }  # fmt: skip
    assert any("time" in e or "does not match" in e for e in _valid(envelope_schema(), event))
    assert _valid(envelope_schema(), event | {"time": "2026-01-01T10:00:00+06:00"}) == []
