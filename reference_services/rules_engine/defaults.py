"""The Bangladesh rules of SPEC.md, seeded into each tenant on its first use of rules-engine.

VAT: 15% standard; 0% export, medicine, basic food, agriculture; 5% education; 7.5% construction materials above
1,000,000 BDT (at or below it they pay the standard rate). AIT: contractor 7%, supply of goods 3%, consulting 10%,
transport 3%. Purchase approval: a purchase order above 500,000 BDT needs a manager; at or below it is auto-approved.
"""

from __future__ import annotations

from datetime import date
from typing import Any

__all__ = ["DEFAULT_CATEGORIES", "DEFAULT_RULES", "EFFECTIVE_FROM", "SEED_MARKER"]

# VAT and Supplementary Duty Act 2012, in force from 1 July 2019 (the start of that fiscal year)
EFFECTIVE_FROM = date(2019, 7, 1)
SEED_MARKER = "VAT"  # the first seeded category: its presence means the tenant is seeded

DEFAULT_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("VAT", "Value added tax"),
    ("AIT", "Advance income tax"),
    ("PURCHASE-APPROVAL", "Purchase approval"),
)


def _rate(code: str, category: str, rule_type: str, priority: int, rate: str,
          conditions: list[tuple[str, str, Any]]) -> dict[str, Any]:  # fmt: skip
    return {"code": code, "category": category, "rule_type": rule_type, "priority": priority,
            "conditions": conditions, "actions": [("set_rate", {"rate_percent": rate})]}  # fmt: skip


def _decide(code: str, priority: int, decision: str, conditions: list[tuple[str, str, Any]]) -> dict[str, Any]:
    return {"code": code, "category": "PURCHASE-APPROVAL", "rule_type": "approval", "priority": priority,
            "conditions": conditions, "actions": [("decide", {"decision": decision})]}  # fmt: skip


DEFAULT_RULES: tuple[dict[str, Any], ...] = (
    _rate(
        "VAT-ZERO-RATED",
        "VAT",
        "vat",
        100,
        "0.00",
        [("category", "in", ["export", "medicine", "basic_food", "agriculture"])],
    ),
    _rate("VAT-EDUCATION", "VAT", "vat", 100, "5.00", [("category", "eq", "education")]),
    _rate(
        "VAT-CONSTRUCTION-MATERIALS",
        "VAT",
        "vat",
        100,
        "7.50",
        [("category", "eq", "construction_materials"), ("amount_bdt", "gt", "1000000")],
    ),
    _rate("VAT-STANDARD", "VAT", "vat", 0, "15.00", []),
    _rate("AIT-CONTRACTOR", "AIT", "ait", 100, "7.00", [("payment_type", "eq", "contractor")]),
    _rate("AIT-SUPPLY", "AIT", "ait", 100, "3.00", [("payment_type", "eq", "supply")]),
    _rate("AIT-CONSULTING", "AIT", "ait", 100, "10.00", [("payment_type", "eq", "consulting")]),
    _rate("AIT-TRANSPORT", "AIT", "ait", 100, "3.00", [("payment_type", "eq", "transport")]),
    _decide(
        "PO-MANAGER-APPROVAL",
        100,
        "manager-approval",
        [("workflow_type", "eq", "purchase-order"), ("amount_bdt", "gt", "500000")],
    ),
    _decide(
        "PO-AUTO-APPROVE",
        50,
        "auto-approve",
        [("workflow_type", "eq", "purchase-order"), ("amount_bdt", "lte", "500000")],
    ),
)
