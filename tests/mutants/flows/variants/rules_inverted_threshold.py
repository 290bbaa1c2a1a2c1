"""Mutant: rules-engine seeds the purchase-approval rules with the threshold inverted (a manager at or below
500,000 BDT, auto-approve above) -> FLOWS-RULES-STEER-WORKFLOW."""

from __future__ import annotations

from typing import Any

from reference_services.rules_engine import service

_INVERT = {"gt": "lte", "lte": "gt"}


def _inverted(rule: dict[str, Any]) -> dict[str, Any]:
    if rule["rule_type"] != "approval":
        return rule
    conditions = [(f, _INVERT.get(op, op), v) if f == "amount_bdt" else (f, op, v) for f, op, v in rule["conditions"]]
    return {**rule, "conditions": conditions}


service.DEFAULT_RULES = tuple(_inverted(rule) for rule in service.DEFAULT_RULES)

if __name__ == "__main__":
    from tests.mutants.serve import serve

    serve("rules-engine")
