"""rules-engine: categories, rules, conditions, actions, evaluations (tenant-scoped, RLS), outbox tables.

Revision ID: 0001_rules_engine_initial
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from reference_services.kernel.migrations import create_event_tables, drop_event_tables
from reference_services.kernel.rls import disable_tenant_rls, enable_tenant_rls

revision = "0001_rules_engine_initial"
down_revision = None
branch_labels = None
depends_on = None

TENANT_TABLES = ("categories", "rules", "conditions", "actions", "evaluations")


def _common(*, mutable: bool = True) -> list[sa.Column]:
    columns = [
        sa.Column("id", sa.Uuid(), server_default=sa.func.gen_random_uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    ]
    if mutable:
        columns.append(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    return columns


def _rule_part(table: str) -> list[sa.SchemaItem]:
    return [
        sa.Column("rule_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["rule_id"], ["rules.id"], name=f"fk_{table}_rule_id_rules", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
    ]


def upgrade() -> None:
    op.create_table(
        "categories",
        *_common(),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_categories"),
        sa.UniqueConstraint("tenant_id", "code", name="uq_categories_tenant_id_code"),
    )
    op.create_table(
        "rules",
        *_common(),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("category_id", sa.Uuid(), nullable=True),
        sa.Column("rule_type", sa.String(16), nullable=False),
        sa.Column("priority", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("effective_from", sa.Date(), server_default=sa.text("CURRENT_DATE"), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.CheckConstraint("rule_type IN ('vat', 'ait', 'approval')", name="ck_rules_rule_type_known"),
        sa.CheckConstraint("effective_to IS NULL OR effective_to >= effective_from", name="ck_rules_effective_window"),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"], name="fk_rules_category_id_categories",
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_rules"),
        sa.UniqueConstraint("tenant_id", "code", name="uq_rules_tenant_id_code"),
    )
    op.create_index("ix_rules_category_id", "rules", ["category_id"])
    op.create_table(
        "conditions",
        *_common(),
        sa.Column("field", sa.String(64), nullable=False),
        sa.Column("operator", sa.String(8), nullable=False),
        sa.Column("value", JSONB(), nullable=False),
        sa.CheckConstraint("operator IN ('eq', 'ne', 'in', 'not_in', 'gt', 'gte', 'lt', 'lte')",
                           name="ck_conditions_operator_known"),
        *_rule_part("conditions"),
    )
    op.create_table(
        "actions",
        *_common(),
        sa.Column("action_type", sa.String(16), nullable=False),
        sa.Column("parameters", JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.CheckConstraint("action_type IN ('set_rate', 'decide')", name="ck_actions_action_type_known"),
        *_rule_part("actions"),
    )
    for table in ("conditions", "actions"):
        op.create_index(f"ix_{table}_rule_id", table, ["rule_id"])
    op.create_table(
        "evaluations",
        *_common(mutable=False),
        sa.Column("entity_type", sa.String(64), nullable=False),
        sa.Column("entity_id", sa.String(100), nullable=False),
        sa.Column("result", JSONB(), nullable=False),
        sa.Column("amount_bdt", sa.Numeric(18, 2), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_evaluations"),
    )
    op.create_index("ix_evaluations_tenant_id_entity_id", "evaluations", ["tenant_id", "entity_id"])
    for table in TENANT_TABLES:
        op.create_index(f"ix_{table}_tenant_id", table, ["tenant_id"])

    create_event_tables(op)
    for table in TENANT_TABLES:
        enable_tenant_rls(op, table)


def downgrade() -> None:
    for table in reversed(TENANT_TABLES):
        disable_tenant_rls(op, table)
    drop_event_tables(op)
    for table in reversed(TENANT_TABLES):
        op.drop_table(table)
