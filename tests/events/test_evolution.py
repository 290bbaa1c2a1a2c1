"""contracts.evolution: BACKWARD and FULL compatibility judged on generated events, with the field and the rule."""

from __future__ import annotations

import copy

import pytest

from fleetcheck.contracts.evolution import UnsupportedSchema, compatibility
from fleetcheck.contracts.schemas.events import payload_schema

CUSTOMER = payload_schema("master-data.customer.created")


def _changed(edit) -> dict:
    new = copy.deepcopy(CUSTOMER)
    edit(new)
    return new


def _rules(old: dict, new: dict, mode: str) -> list[tuple[str, str]]:
    return [(b.field, b.rule) for b in compatibility(old, new, mode)]


def test_an_unchanged_schema_is_fully_compatible() -> None:
    assert compatibility(CUSTOMER, CUSTOMER, "FULL") == []


def test_a_new_optional_field_in_an_open_schema_is_fully_compatible() -> None:
    old = {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}
    new = copy.deepcopy(old)
    new["properties"]["note"] = {"type": "string"}
    assert compatibility(old, new, "FULL") == []


def test_a_newly_required_field_breaks_backward_compatibility() -> None:
    new = _changed(lambda s: (s["properties"].update(segment={"type": "string"}), s["required"].append("segment")))
    assert ("segment", "BACKWARD/no-new-required-field") in _rules(CUSTOMER, new, "BACKWARD")


def test_a_removed_field_breaks_backward_and_forward_compatibility() -> None:
    new = _changed(lambda s: (s["properties"].pop("name"), s["required"].remove("name")))
    rules = _rules(CUSTOMER, new, "FULL")
    assert ("name", "BACKWARD/no-removed-field") in rules
    assert ("name", "FORWARD/no-removed-required-field") in rules


def test_a_narrowed_type_is_reported_with_the_field() -> None:
    new = _changed(lambda s: s["properties"].update(phone={"type": "string"}))  # null no longer allowed
    assert _rules(CUSTOMER, new, "BACKWARD") == [("phone", "BACKWARD/no-narrowed-type")]


def test_an_optional_field_dropped_from_required_is_backward_but_not_forward_compatible() -> None:
    new = _changed(lambda s: s["required"].remove("address"))
    assert compatibility(CUSTOMER, new, "BACKWARD") == []
    assert ("address", "FORWARD/no-removed-required-field") in _rules(CUSTOMER, new, "FORWARD")


def test_an_unknown_mode_and_an_unsupported_keyword_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="not one of BACKWARD, FORWARD, FULL"):
        compatibility(CUSTOMER, CUSTOMER, "SIDEWAYS")
    with pytest.raises(UnsupportedSchema, match="patternProperties"):
        compatibility({"type": "object", "patternProperties": {}}, CUSTOMER, "BACKWARD")
