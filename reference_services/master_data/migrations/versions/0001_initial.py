"""master-data: customers, vendors, products, accounts (tenant-scoped, RLS), outbox tables.

Revision ID: 0001_master_data_initial
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from reference_services.kernel.migrations import create_event_tables, drop_event_tables
from reference_services.kernel.rls import disable_tenant_rls, enable_tenant_rls

revision = "0001_master_data_initial"
down_revision = None
branch_labels = None
depends_on = None

TENANT_TABLES = ("customers", "vendors", "products", "accounts")


def _common() -> list[sa.Column]:
    return [
        sa.Column("id", sa.Uuid(), server_default=sa.func.gen_random_uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
    ]


def _keyed(table: str, key: str) -> list[sa.SchemaItem]:
    return [
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        sa.UniqueConstraint("tenant_id", key, name=f"uq_{table}_tenant_id_{key}"),
    ]


def upgrade() -> None:
    op.create_table(
        "customers",
        *_common(),
        sa.Column("code", sa.String(50), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("name_bn", sa.String(255), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("phone", sa.String(14), nullable=True),
        sa.Column("tin", sa.String(12), nullable=True),
        sa.Column("nid", sa.String(17), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        *_keyed("customers", "code"),
    )
    op.create_table(
        "vendors",
        *_common(),
        sa.Column("code", sa.String(50), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("tin", sa.String(12), nullable=True),
        sa.Column("bin", sa.String(9), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("phone", sa.String(14), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        *_keyed("vendors", "code"),
    )
    op.create_table(
        "products",
        *_common(),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("category", sa.String(100), nullable=True),
        sa.Column("unit_of_measure", sa.String(32), server_default=sa.text("'pcs'"), nullable=False),
        sa.Column("vat_rate", sa.Numeric(5, 2), server_default=sa.text("15.00"), nullable=False),
        sa.Column("hs_code", sa.String(12), nullable=True),
        sa.CheckConstraint("vat_rate >= 0 AND vat_rate <= 100", name="ck_products_vat_rate_percentage"),
        *_keyed("products", "sku"),
    )
    op.create_table(
        "accounts",
        *_common(),
        sa.Column("code", sa.String(50), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("account_type", sa.String(20), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("balance", sa.Numeric(18, 2), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint(
            "account_type IN ('asset', 'liability', 'equity', 'revenue', 'expense')",
            name="ck_accounts_account_type_known",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["accounts.id"], name="fk_accounts_parent_id_accounts", ondelete="SET NULL"
        ),
        *_keyed("accounts", "code"),
    )
    op.create_index("ix_accounts_parent_id", "accounts", ["parent_id"])
    for table in TENANT_TABLES:
        op.create_index(f"ix_{table}_tenant_id", table, ["tenant_id"])

    create_event_tables(op)
    for table in TENANT_TABLES:
        enable_tenant_rls(op, table)


def downgrade() -> None:
    for table in reversed(TENANT_TABLES):
        disable_tenant_rls(op, table)
    drop_event_tables(op)
    for table in ("accounts", "products", "vendors", "customers"):
        op.drop_table(table)
