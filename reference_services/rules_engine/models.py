"""rules-engine's tables (SPEC.md "Database"): categories, rules, conditions, actions, evaluations; every one
tenant-scoped with RLS, plus the kernel's outbox tables."""

from __future__ import annotations

# SQLAlchemy resolves Mapped[...] annotations at class creation, so these imports are needed at runtime.
import uuid  # noqa: TC003
from datetime import date, datetime  # noqa: TC003
from decimal import Decimal  # noqa: TC003
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from reference_services.kernel.db import Base, TenantScoped, Timestamps, UUIDPrimaryKey

# the outbox tables belong to this service's schema too (they are created by its first migration)
from reference_services.kernel.outbox import OutboxEvent, ProcessedEvent

__all__ = [
    "ACTION_TYPES",
    "OPERATORS",
    "RULE_TYPES",
    "TENANT_TABLES",
    "Action",
    "Base",
    "Category",
    "Condition",
    "Evaluation",
    "OutboxEvent",
    "ProcessedEvent",
    "Rule",
]

TENANT_TABLES = ("categories", "rules", "conditions", "actions", "evaluations")
# rule_type is a metric label: the set is closed (a check constraint keeps it so)
RULE_TYPES = ("vat", "ait", "approval")
OPERATORS = ("eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte")
ACTION_TYPES = ("set_rate", "decide")


class Category(UUIDPrimaryKey, TenantScoped, Timestamps, Base):
    __tablename__ = "categories"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    code: Mapped[str] = mapped_column(String(64), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)


class Rule(UUIDPrimaryKey, TenantScoped, Timestamps, Base):
    __tablename__ = "rules"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        CheckConstraint("rule_type IN ('vat', 'ait', 'approval')", name="rule_type_known"),
        CheckConstraint("effective_to IS NULL OR effective_to >= effective_from", name="effective_window"),
    )

    code: Mapped[str] = mapped_column(String(64), nullable=False)
    category_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("categories.id", ondelete="SET NULL"), nullable=True, index=True
    )
    rule_type: Mapped[str] = mapped_column(String(16), nullable=False)
    # higher first; the first rule whose conditions all hold decides
    priority: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    effective_from: Mapped[date] = mapped_column(Date, nullable=False, server_default=text("CURRENT_DATE"))
    effective_to: Mapped[date | None] = mapped_column(Date, nullable=True)  # inclusive; NULL = open-ended


class Condition(UUIDPrimaryKey, TenantScoped, Timestamps, Base):
    __tablename__ = "conditions"
    __table_args__ = (
        CheckConstraint("operator IN ('eq', 'ne', 'in', 'not_in', 'gt', 'gte', 'lt', 'lte')", name="operator_known"),
    )

    rule_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("rules.id", ondelete="CASCADE"), nullable=False,
                                               index=True)  # fmt: skip
    field: Mapped[str] = mapped_column(String(64), nullable=False)  # amount_bdt or an attribute name
    operator: Mapped[str] = mapped_column(String(8), nullable=False)
    value: Mapped[Any] = mapped_column(JSONB, nullable=False)


class Action(UUIDPrimaryKey, TenantScoped, Timestamps, Base):
    __tablename__ = "actions"
    __table_args__ = (CheckConstraint("action_type IN ('set_rate', 'decide')", name="action_type_known"),)

    rule_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("rules.id", ondelete="CASCADE"), nullable=False,
                                               index=True)  # fmt: skip
    action_type: Mapped[str] = mapped_column(String(16), nullable=False)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'::jsonb"))


class Evaluation(UUIDPrimaryKey, TenantScoped, Base):
    """One evaluation and its result (immutable: no updated_at)."""

    __tablename__ = "evaluations"
    __table_args__ = (
        Index("ix_evaluations_tenant_id_entity_id", "tenant_id", "entity_id"),
        Index("ix_evaluations_tenant_id_created_at", "tenant_id", "created_at"),  # GET /evaluations, newest first
    )

    entity_type: Mapped[str] = mapped_column(String(64), nullable=False)
    entity_id: Mapped[str] = mapped_column(String(100), nullable=False)
    result: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    amount_bdt: Mapped[Decimal | None] = mapped_column(Numeric(18, 2), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=text("now()"))
