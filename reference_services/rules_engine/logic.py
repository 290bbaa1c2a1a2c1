"""Pure rule evaluation: conditions against an input, the first matching rule by priority, money in BDT.

Nothing here touches the database, so the Bangladesh rules can be checked without one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

__all__ = [
    "NO_RULE_DECISION",
    "ConditionSpec",
    "EvaluationError",
    "Outcome",
    "RuleSpec",
    "evaluate",
    "money",
    "normalise",
]

CENT = Decimal("0.01")
# no approval rule applies: a human decides (the safe default)
NO_RULE_DECISION = "manual"


class EvaluationError(Exception):
    """A matching rule cannot produce a result (e.g. a VAT rule without a rate): the evaluation fails."""


def money(value: Decimal) -> Decimal:
    """BDT numeric(18,2): rounded half-up to the paisa."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def normalise(value: Any) -> Any:
    """Strings compare case-insensitively with `-`, `_` and spaces alike (`basic-food` == `Basic food`)."""
    if isinstance(value, str):
        return "_".join(value.strip().lower().replace("-", " ").replace("_", " ").split())
    return value


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None  # NaN and Infinity are not amounts


@dataclass(frozen=True, slots=True)
class ConditionSpec:
    field: str
    operator: str
    value: Any

    def holds(self, facts: dict[str, Any]) -> bool:
        seen = facts.get(self.field)
        if seen is None:
            return False  # a missing fact never satisfies a condition
        if self.operator in {"gt", "gte", "lt", "lte"}:
            left, right = _number(seen), _number(self.value)
            if left is None or right is None:
                return False
            return {"gt": left > right, "gte": left >= right, "lt": left < right, "lte": left <= right}[self.operator]
        if self.operator in {"in", "not_in"}:
            choices = {normalise(v) for v in (self.value if isinstance(self.value, list) else [self.value])}
            return (normalise(seen) in choices) == (self.operator == "in")
        same = _same(seen, self.value)
        return same if self.operator == "eq" else not same


def _same(left: Any, right: Any) -> bool:
    left_number, right_number = _number(left), _number(right)
    if left_number is not None and right_number is not None:
        return left_number == right_number  # "500000" equals 500000.00
    return normalise(left) == normalise(right)


@dataclass(frozen=True, slots=True)
class RuleSpec:
    code: str
    rule_type: str
    priority: int
    conditions: tuple[ConditionSpec, ...] = ()
    actions: tuple[tuple[str, dict[str, Any]], ...] = ()

    def matches(self, facts: dict[str, Any]) -> bool:
        return all(condition.holds(facts) for condition in self.conditions)

    def action(self, action_type: str) -> dict[str, Any]:
        for kind, parameters in self.actions:
            if kind == action_type:
                return parameters
        raise EvaluationError(
            f"rule {self.code} matched but has no {action_type} action; a {self.rule_type} rule needs one"
        )


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of one evaluation; ``as_json`` is what is stored and published (money as strings, 2 places)."""

    rule_type: str
    outcome: str  # matched | no_match
    rule_code: str | None = None
    rate_percent: Decimal | None = None
    tax_amount_bdt: Decimal | None = None
    decision: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        def text(value: Decimal | None) -> str | None:
            return None if value is None else f"{value:.2f}"

        return {"rule_type": self.rule_type, "outcome": self.outcome, "rule_code": self.rule_code,
                "rate_percent": text(self.rate_percent), "tax_amount_bdt": text(self.tax_amount_bdt),
                "decision": self.decision, **self.extra}  # fmt: skip


def evaluate(rule_type: str, rules: list[RuleSpec], amount_bdt: Decimal | None, attributes: dict[str, Any]) -> Outcome:
    """Apply the first rule (highest priority, then code) whose conditions all hold.

    ``vat``/``ait``: the rule's ``set_rate`` gives ``rate_percent`` (15.00 = 15%) and the tax on ``amount_bdt``.
    ``approval``: the rule's ``decide`` gives ``decision``; no matching rule means ``manual`` (a human decides).
    """
    facts = {**attributes, "amount_bdt": amount_bdt}
    ordered = sorted((r for r in rules if r.rule_type == rule_type), key=lambda r: (-r.priority, r.code))
    rule = next((r for r in ordered if r.matches(facts)), None)
    if rule_type == "approval":
        if rule is None:
            return Outcome(rule_type, "no_match", decision=NO_RULE_DECISION)
        decision = rule.action("decide").get("decision")
        if not isinstance(decision, str) or not decision:
            raise EvaluationError(f"rule {rule.code}: its decide action has no decision")
        return Outcome(rule_type, "matched", rule.code, decision=decision)
    if rule is None:
        return Outcome(rule_type, "no_match")
    rate = _number(rule.action("set_rate").get("rate_percent"))
    if rate is None or not Decimal(0) <= rate <= Decimal(100):
        raise EvaluationError(f"rule {rule.code}: its set_rate action needs rate_percent between 0 and 100")
    tax = None if amount_bdt is None else money(amount_bdt * rate / 100)
    return Outcome(rule_type, "matched", rule.code, rate_percent=money(rate), tax_amount_bdt=tax)
