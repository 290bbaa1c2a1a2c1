"""rules-engine's operations: rules CRUD, per-tenant seeding of the Bangladesh defaults, evaluations with events.

Every write runs in one tenant transaction with its outbox events. Metric changes are collected as ``effects`` and
applied only after the transaction committed (a rolled-back operation moves nothing).
"""

from __future__ import annotations

import time
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from litestar.exceptions import NotFoundException
from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import IntegrityError

from reference_services.kernel.outbox import OutboxEvent, add_event

from .defaults import DEFAULT_CATEGORIES, DEFAULT_RULES, EFFECTIVE_FROM, SEED_MARKER
from .logic import ConditionSpec, EvaluationError, RuleSpec, evaluate
from .models import RULE_TYPES, Action, Category, Condition, Evaluation, Rule
from .schemas import check_amount, check_attributes, check_json_value, reject

if TYPE_CHECKING:
    import uuid
    from collections.abc import Callable

    from sqlalchemy.ext.asyncio import AsyncSession

    from reference_services.kernel.db import Database

    from .metrics import RulesMetrics
    from .schemas import ActionIn, ConditionIn, EvaluateRequest, RuleCreate, RuleUpdate

__all__ = ["SOURCE", "DuplicateRule", "EvaluationFailed", "RulesService", "today"]

SOURCE = "rules-engine"
DHAKA = ZoneInfo("Asia/Dhaka")
_UNIQUE_VIOLATION = "23505"

Effects = list["Callable[[], None]"]


def today() -> date:
    """Rules take effect by the calendar date in Dhaka (SPEC: time zone Asia/Dhaka)."""
    return datetime.now(DHAKA).date()


class DuplicateRule(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(
            f"a rule with code {code!r} already exists in this tenant; choose another code or update the existing rule"
        )


class EvaluationFailed(Exception):
    def __init__(self, body: dict[str, Any], reason: str) -> None:
        super().__init__(reason)
        self.body = body


def _is_active(rule: Rule, on: date) -> bool:
    return rule.effective_from <= on and (rule.effective_to is None or rule.effective_to >= on)


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


class RulesService:
    def __init__(self, database: Database, metrics: RulesMetrics) -> None:
        self.database = database
        self.metrics = metrics

    # --- seeding -------------------------------------------------------------------------------------------------

    async def ensure_seeded(self, session: AsyncSession, tenant: uuid.UUID, effects: Effects) -> None:
        """Insert the Bangladesh defaults the first time a tenant uses rules-engine (each with rules.rule.created).

        A transaction-scoped advisory lock per tenant makes concurrent first requests seed exactly once.
        """
        if await self._seeded(session, tenant):
            return
        await session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:tid, 0))"), {"tid": str(tenant)})
        if await self._seeded(session, tenant):
            return
        categories = {}
        for code, name in DEFAULT_CATEGORIES:
            category = Category(tenant_id=tenant, code=code, name=name)
            session.add(category)
            categories[code] = category
        await session.flush()
        for spec in DEFAULT_RULES:
            rule = Rule(
                tenant_id=tenant,
                code=spec["code"],
                category_id=categories[spec["category"]].id,
                rule_type=spec["rule_type"],
                priority=spec["priority"],
                effective_from=EFFECTIVE_FROM,
            )
            session.add(rule)
            await session.flush()
            conditions = [Condition(tenant_id=tenant, rule_id=rule.id, field=f, operator=o, value=v)
                          for f, o, v in spec["conditions"]]  # fmt: skip
            actions = [Action(tenant_id=tenant, rule_id=rule.id, action_type=a, parameters=p)
                       for a, p in spec["actions"]]  # fmt: skip
            session.add_all([*conditions, *actions])
            await session.flush()
            body = self._rule_body(rule, conditions, actions, spec["category"])
            add_event(session, topic="rules.rule.created", key=rule.id, tenant_id=tenant, source=SOURCE,
                      data={**body, "seeded": True})  # fmt: skip
            effects.append(self._active_delta(rule, +1))

    async def _seeded(self, session: AsyncSession, tenant: uuid.UUID) -> bool:
        found = await session.scalar(
            select(Category.id).where(Category.tenant_id == tenant, Category.code == SEED_MARKER)
        )
        return found is not None

    # --- rules CRUD ----------------------------------------------------------------------------------------------

    async def create_rule(self, tenant: uuid.UUID, data: RuleCreate, correlation: str | None) -> dict[str, Any]:
        effective_from = data.effective_from or today()
        _check_window(effective_from, data.effective_to)
        conditions_in = _check_conditions(data.conditions)
        actions_in = _check_actions(data.actions)
        effects: Effects = []
        async with self.database.tenant_transaction(tenant) as session:
            await self.ensure_seeded(session, tenant, effects)
            category = await self._category(session, tenant, data.category_code)
            rule = Rule(tenant_id=tenant, code=data.code, rule_type=data.rule_type, priority=data.priority,
                        category_id=None if category is None else category.id, effective_from=effective_from,
                        effective_to=data.effective_to)  # fmt: skip
            session.add(rule)
            await _flush(session, data.code)
            conditions, actions = await self._replace_parts(session, tenant, rule, conditions_in, actions_in)
            await session.refresh(rule)
            body = self._rule_body(rule, conditions, actions, None if category is None else category.code)
            add_event(session, topic="rules.rule.created", key=rule.id, data=body, tenant_id=tenant, source=SOURCE,
                      correlation_id=correlation)  # fmt: skip
            effects.append(self._active_delta(rule, +1))
        _apply(effects)
        return body

    async def list_rules(self, tenant: uuid.UUID, rule_type: str | None, limit: int,
                         offset: int) -> list[dict[str, Any]]:  # fmt: skip
        effects: Effects = []
        async with self.database.tenant_transaction(tenant) as session:
            await self.ensure_seeded(session, tenant, effects)
            query = select(Rule).where(Rule.tenant_id == tenant)
            if rule_type is not None:
                query = query.where(Rule.rule_type == rule_type)
            rules = list(
                await session.scalars(
                    query.order_by(Rule.rule_type, Rule.priority.desc(), Rule.code).limit(limit).offset(offset)
                )
            )
            bodies = [await self._load_body(session, rule) for rule in rules]
        _apply(effects)
        return bodies

    async def get_rule(self, tenant: uuid.UUID, rule_id: uuid.UUID) -> dict[str, Any]:
        async with self.database.tenant_transaction(tenant) as session:
            rule = await self._visible(session, tenant, rule_id)
            return await self._load_body(session, rule)

    async def update_rule(self, tenant: uuid.UUID, rule_id: uuid.UUID, data: RuleUpdate,
                          correlation: str | None) -> dict[str, Any]:  # fmt: skip
        conditions_in = None if data.conditions is None else _check_conditions(data.conditions)
        actions_in = None if data.actions is None else _check_actions(data.actions)
        effects: Effects = []
        async with self.database.tenant_transaction(tenant) as session:
            rule = await self._visible(session, tenant, rule_id, for_update=True)
            effects.append(self._active_delta(rule, -1))
            effective_from = data.effective_from or rule.effective_from
            effective_to = data.effective_to if data.effective_to is not None else rule.effective_to
            _check_window(effective_from, effective_to)
            rule.effective_from, rule.effective_to = effective_from, effective_to
            if data.priority is not None:
                rule.priority = data.priority
            rule.updated_at = func.now()
            await session.flush()
            await self._replace_parts(session, tenant, rule, conditions_in, actions_in)
            await session.refresh(rule)
            body = await self._load_body(session, rule)
            add_event(session, topic="rules.rule.updated", key=rule.id, data=body, tenant_id=tenant, source=SOURCE,
                      correlation_id=correlation)  # fmt: skip
            effects.append(self._active_delta(rule, +1))
        _apply(effects)
        return body

    async def delete_rule(self, tenant: uuid.UUID, rule_id: uuid.UUID, correlation: str | None) -> None:
        effects: Effects = []
        async with self.database.tenant_transaction(tenant) as session:
            rule = await self._visible(session, tenant, rule_id, for_update=True)
            add_event(session, topic="rules.rule.deleted", key=rule.id, tenant_id=tenant, source=SOURCE,
                      data={"id": str(rule.id), "tenant_id": str(tenant), "code": rule.code,
                            "rule_type": rule.rule_type}, correlation_id=correlation)  # fmt: skip
            effects.append(self._active_delta(rule, -1))
            await session.delete(rule)
        _apply(effects)

    # --- evaluations ---------------------------------------------------------------------------------------------

    async def evaluate_request(self, tenant: uuid.UUID, data: EvaluateRequest,
                               correlation: str | None) -> dict[str, Any]:  # fmt: skip
        """``POST /evaluate``; raises EvaluationFailed (after committing the failed evaluation and its event)."""
        amount = check_amount(data.amount_bdt, required=data.rule_type in {"vat", "ait"})
        attributes = check_attributes(data.attributes)
        check_json_value("entity_type", data.entity_type)
        check_json_value("entity_id", data.entity_id)
        effects: Effects = []
        async with self.database.tenant_transaction(tenant) as session:
            await self.ensure_seeded(session, tenant, effects)
            body = await self.evaluate_in(session, tenant, effects, entity_type=data.entity_type.strip(),
                                          entity_id=data.entity_id.strip(), rule_type=data.rule_type, amount=amount,
                                          attributes=attributes, trigger="api", correlation=correlation)  # fmt: skip
        _apply(effects)
        if body["outcome"] == "error":
            raise EvaluationFailed(body, body["error"])
        return body

    async def evaluate_in(self, session: AsyncSession, tenant: uuid.UUID, effects: Effects, *, entity_type: str,
                          entity_id: str, rule_type: str, amount: Decimal | None, attributes: dict[str, Any],
                          trigger: str, correlation: str | None,
                          context: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
        """Evaluate in the caller's transaction: store the evaluation, stage requested + completed|failed events."""
        started = time.perf_counter()
        specs = await self._rule_specs(session, tenant, rule_type)
        try:
            result = evaluate(rule_type, specs, amount, attributes).as_json()
        except EvaluationError as error:
            result = {"rule_type": rule_type, "outcome": "error", "error": str(error)}
        result = {**result, "attributes": attributes, "trigger": trigger, "context": context or {}}
        evaluation = Evaluation(tenant_id=tenant, entity_type=entity_type, entity_id=entity_id, result=result,
                                amount_bdt=amount)  # fmt: skip
        session.add(evaluation)
        await session.flush()
        await session.refresh(evaluation)
        body = _evaluation_body(evaluation)
        request = {key: body[key] for key in ("evaluation_id", "entity_type", "entity_id", "rule_type", "amount_bdt",
                                             "attributes", "trigger", "context")}  # fmt: skip
        add_event(session, topic="rules.evaluation.requested", key=evaluation.id, data=request, tenant_id=tenant,
                  source=SOURCE, correlation_id=correlation)  # fmt: skip
        done = "rules.evaluation.failed" if result["outcome"] == "error" else "rules.evaluation.completed"
        add_event(session, topic=done, key=evaluation.id, data=body, tenant_id=tenant, source=SOURCE,
                  correlation_id=correlation)  # fmt: skip
        elapsed = time.perf_counter() - started

        def count() -> None:
            self.metrics.evaluations.labels(rule_type=rule_type, outcome=result["outcome"]).inc()
            self.metrics.duration.labels(rule_type=rule_type).observe(elapsed)

        effects.append(count)
        return body

    async def get_evaluation(self, tenant: uuid.UUID, evaluation_id: uuid.UUID) -> dict[str, Any]:
        async with self.database.tenant_transaction(tenant) as session:
            evaluation = await session.scalar(
                select(Evaluation).where(Evaluation.id == evaluation_id, Evaluation.tenant_id == tenant)
            )
        if evaluation is None:
            raise NotFoundException(detail=f"No evaluation {evaluation_id} for this tenant.")
        return _evaluation_body(evaluation)

    async def list_evaluations(self, tenant: uuid.UUID, entity_id: str | None, limit: int,
                               offset: int) -> list[dict[str, Any]]:  # fmt: skip
        async with self.database.tenant_transaction(tenant) as session:
            query = select(Evaluation).where(Evaluation.tenant_id == tenant)
            if entity_id is not None:
                query = query.where(Evaluation.entity_id == entity_id)
            rows = await session.scalars(query.order_by(Evaluation.created_at.desc()).limit(limit).offset(offset))
            return [_evaluation_body(row) for row in rows]

    # --- gauges and statistics -----------------------------------------------------------------------------------

    async def count_active(self) -> None:
        """Set ``rules_active`` from the database at start-up.

        The runtime role cannot read across tenants (RLS); every rule was created with a rules.rule.created event,
        so the RLS-exempt outbox names every tenant that owns rules.
        """
        totals = dict.fromkeys(RULE_TYPES, 0)
        async with self.database.system_transaction() as session:
            tenants = list(await session.scalars(select(OutboxEvent.tenant_id).distinct()))
        on = today()
        for tenant in tenants:
            async with self.database.tenant_transaction(tenant) as session:
                rows = await session.execute(
                    select(Rule.rule_type, func.count()).where(
                        Rule.tenant_id == tenant, Rule.effective_from <= on,
                        (Rule.effective_to.is_(None)) | (Rule.effective_to >= on),
                    ).group_by(Rule.rule_type))  # fmt: skip
                for rule_type, count in rows:
                    totals[rule_type] += count
        for rule_type, total in totals.items():
            self.metrics.active.labels(rule_type=rule_type).set(total)

    async def statistics(self) -> dict[str, Any]:
        return {f"active_{t}_rules": int(self.metrics.active.labels(rule_type=t)._value.get()) for t in RULE_TYPES}

    # --- helpers -------------------------------------------------------------------------------------------------

    def _active_delta(self, rule: Rule, delta: int) -> Callable[[], None]:
        rule_type, active = rule.rule_type, _is_active(rule, today())
        return lambda: self.metrics.active.labels(rule_type=rule_type).inc(delta) if active else None

    async def _category(self, session: AsyncSession, tenant: uuid.UUID, code: str | None) -> Category | None:
        if code is None:
            return None
        category = await session.scalar(select(Category).where(Category.tenant_id == tenant, Category.code == code))
        if category is None:
            known = ", ".join(await session.scalars(select(Category.code).where(Category.tenant_id == tenant)))
            raise reject("category_code", f"no category {code!r} in this tenant; known: {known}")
        return category

    async def _visible(self, session: AsyncSession, tenant: uuid.UUID, rule_id: uuid.UUID,
                       *, for_update: bool = False) -> Rule:  # fmt: skip
        query = select(Rule).where(Rule.id == rule_id, Rule.tenant_id == tenant)
        rule = await session.scalar(query.with_for_update() if for_update else query)
        if rule is None:
            raise NotFoundException(detail=f"No rule {rule_id} for this tenant.")
        return rule

    async def _replace_parts(
        self, session: AsyncSession, tenant: uuid.UUID, rule: Rule,
        conditions_in: list[ConditionIn] | None, actions_in: list[ActionIn] | None,
    ) -> tuple[list[Condition], list[Action]]:  # fmt: skip
        if conditions_in is not None:
            await session.execute(delete(Condition).where(Condition.rule_id == rule.id))
            session.add_all([Condition(tenant_id=tenant, rule_id=rule.id, field=c.field, operator=c.operator,
                                       value=c.value) for c in conditions_in])  # fmt: skip
        if actions_in is not None:
            await session.execute(delete(Action).where(Action.rule_id == rule.id))
            session.add_all([Action(tenant_id=tenant, rule_id=rule.id, action_type=a.action_type,
                                    parameters=a.parameters) for a in actions_in])  # fmt: skip
        await session.flush()
        return await self._parts(session, rule.id)

    async def _parts(self, session: AsyncSession, rule_id: uuid.UUID) -> tuple[list[Condition], list[Action]]:
        conditions = list(
            await session.scalars(
                select(Condition).where(Condition.rule_id == rule_id).order_by(Condition.created_at, Condition.field)
            )
        )
        actions = list(
            await session.scalars(
                select(Action).where(Action.rule_id == rule_id).order_by(Action.created_at, Action.action_type)
            )
        )
        return conditions, actions

    async def _load_body(self, session: AsyncSession, rule: Rule) -> dict[str, Any]:
        conditions, actions = await self._parts(session, rule.id)
        category = None
        if rule.category_id is not None:
            category = await session.scalar(select(Category.code).where(Category.id == rule.category_id))
        return self._rule_body(rule, conditions, actions, category)

    def _rule_body(self, rule: Rule, conditions: list[Condition], actions: list[Action],
                   category_code: str | None) -> dict[str, Any]:  # fmt: skip
        return {
            "id": str(rule.id), "tenant_id": str(rule.tenant_id), "code": rule.code, "rule_type": rule.rule_type,
            "priority": rule.priority, "category_id": None if rule.category_id is None else str(rule.category_id),
            "category_code": category_code, "effective_from": _iso(rule.effective_from),
            "effective_to": _iso(rule.effective_to), "active": _is_active(rule, today()),
            "conditions": [{"field": c.field, "operator": c.operator, "value": c.value} for c in conditions],
            "actions": [{"action_type": a.action_type, "parameters": a.parameters} for a in actions],
        }  # fmt: skip

    async def _rule_specs(self, session: AsyncSession, tenant: uuid.UUID, rule_type: str) -> list[RuleSpec]:
        on = today()
        rules = list(await session.scalars(select(Rule).where(
            Rule.tenant_id == tenant, Rule.rule_type == rule_type, Rule.effective_from <= on,
            (Rule.effective_to.is_(None)) | (Rule.effective_to >= on))))  # fmt: skip
        specs = []
        for rule in rules:
            conditions, actions = await self._parts(session, rule.id)
            specs.append(RuleSpec(rule.code, rule.rule_type, rule.priority,
                                  tuple(ConditionSpec(c.field, c.operator, c.value) for c in conditions),
                                  tuple((a.action_type, a.parameters) for a in actions)))  # fmt: skip
        return specs


def _apply(effects: Effects) -> None:
    for effect in effects:
        effect()


async def _flush(session: AsyncSession, code: str) -> None:
    try:
        await session.flush()
    except IntegrityError as error:
        orig = error.orig
        state = getattr(orig, "sqlstate", None) or getattr(getattr(orig, "__cause__", None), "sqlstate", None)
        if state == _UNIQUE_VIOLATION:
            raise DuplicateRule(code) from None
        raise


def _check_window(effective_from: date, effective_to: date | None) -> None:
    if effective_to is not None and effective_to < effective_from:
        raise reject("effective_to", f"must be on or after effective_from ({effective_from}); got {effective_to}")


def _check_conditions(conditions: list[ConditionIn]) -> list[ConditionIn]:
    for index, condition in enumerate(conditions):
        name = f"conditions[{index}].value"
        value = check_json_value(name, condition.value)
        if condition.operator in {"in", "not_in"}:
            if not isinstance(value, list) or not value or any(isinstance(v, list | dict) for v in value):
                raise reject(name, f"operator {condition.operator} needs a non-empty list of strings or numbers")
        elif isinstance(value, list | dict) or value is None:
            raise reject(name, f"operator {condition.operator} needs a string, number or boolean")
        if condition.operator in {"gt", "gte", "lt", "lte"}:
            try:
                number = Decimal(str(value))
            except ArithmeticError:
                number = None
            if number is None or not number.is_finite() or isinstance(value, bool):
                raise reject(name, f"operator {condition.operator} needs a number (e.g. 500000); got {value!r}")
    return conditions


def _check_actions(actions: list[ActionIn]) -> list[ActionIn]:
    for index, action in enumerate(actions):
        check_json_value(f"actions[{index}].parameters", action.parameters)
    return actions


def _evaluation_body(evaluation: Evaluation) -> dict[str, Any]:
    result = evaluation.result
    return {
        "id": str(evaluation.id), "evaluation_id": str(evaluation.id), "tenant_id": str(evaluation.tenant_id),
        "entity_type": evaluation.entity_type, "entity_id": evaluation.entity_id,
        "rule_type": result.get("rule_type"), "amount_bdt": _money(evaluation.amount_bdt),
        "outcome": result.get("outcome"), "rule_code": result.get("rule_code"),
        "rate_percent": result.get("rate_percent"), "tax_amount_bdt": result.get("tax_amount_bdt"),
        "decision": result.get("decision"), "error": result.get("error"),
        "attributes": result.get("attributes", {}), "trigger": result.get("trigger"),
        "context": result.get("context", {}), "created_at": _iso(evaluation.created_at),
    }  # fmt: skip
