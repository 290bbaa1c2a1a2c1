"""auth: users, roles, permissions (global), user_roles, refresh_tokens, event_store, outbox tables.

Revision ID: 0001_auth_initial
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from reference_services.kernel.migrations import create_event_tables, drop_event_tables
from reference_services.kernel.rls import disable_tenant_rls, enable_tenant_rls

revision = "0001_auth_initial"
down_revision = None
branch_labels = None
depends_on = None

TENANT_TABLES = ("users", "roles", "user_roles", "refresh_tokens", "event_store")
PERMISSIONS = (
    ("users:read", "Read users of the tenant"),
    ("users:write", "Create and change users of the tenant"),
    ("master-data:read", "Read master data"),
    ("master-data:write", "Create and change master data"),
)


def _id() -> sa.Column:
    return sa.Column("id", sa.Uuid(), server_default=sa.func.gen_random_uuid(), nullable=False)


def _tenant() -> sa.Column:
    return sa.Column("tenant_id", sa.Uuid(), nullable=False)


def _created() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def _updated() -> sa.Column:
    return sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True)


def upgrade() -> None:
    op.create_table(
        "users",
        _id(), _tenant(), _created(), _updated(),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("first_name", sa.String(100), nullable=False),
        sa.Column("last_name", sa.String(100), nullable=False),
        sa.Column("first_name_bn", sa.String(100), nullable=True),
        sa.Column("failed_login_attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("tenant_id", "email", name="uq_users_tenant_id_email"),
    )
    op.create_index("ix_users_tenant_id", "users", ["tenant_id"])

    op.create_table(
        "roles",
        _id(), _tenant(), _created(), _updated(),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_roles"),
        sa.UniqueConstraint("tenant_id", "name", name="uq_roles_tenant_id_name"),
    )
    op.create_index("ix_roles_tenant_id", "roles", ["tenant_id"])

    # global catalogue: no tenant_id, no RLS (declared exception in the fleet file)
    permissions = op.create_table(
        "permissions",
        _id(), _created(),
        sa.Column("code", sa.String(100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_permissions"),
        sa.UniqueConstraint("code", name="uq_permissions_code"),
    )
    op.bulk_insert(permissions, [{"code": code, "description": text} for code, text in PERMISSIONS])

    op.create_table(
        "user_roles",
        _id(), _tenant(), _created(),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_user_roles"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_user_roles_user_id_users", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["role_id"], ["roles.id"], name="fk_user_roles_role_id_roles", ondelete="CASCADE"),
        sa.UniqueConstraint("tenant_id", "user_id", "role_id", name="uq_user_roles_tenant_id_user_id_role_id"),
    )
    op.create_index("ix_user_roles_tenant_id", "user_roles", ["tenant_id"])

    op.create_table(
        "refresh_tokens",
        _id(), _tenant(), _created(), _updated(),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_refresh_tokens"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_refresh_tokens_user_id_users", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("token_hash", name="uq_refresh_tokens_token_hash"),
    )
    op.create_index("ix_refresh_tokens_tenant_id", "refresh_tokens", ["tenant_id"])
    op.create_index("ix_refresh_tokens_tenant_id_family_id", "refresh_tokens", ["tenant_id", "family_id"])
    op.create_index("ix_refresh_tokens_tenant_id_user_id", "refresh_tokens", ["tenant_id", "user_id"])

    op.create_table(
        "event_store",
        _id(), _tenant(), _created(),
        sa.Column("aggregate_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("payload", JSONB(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_event_store"),
    )
    op.create_index("ix_event_store_tenant_id", "event_store", ["tenant_id"])
    op.create_index("ix_event_store_tenant_id_aggregate_id", "event_store", ["tenant_id", "aggregate_id"])

    create_event_tables(op)
    for table in TENANT_TABLES:
        enable_tenant_rls(op, table)


def downgrade() -> None:
    for table in reversed(TENANT_TABLES):
        disable_tenant_rls(op, table)
    drop_event_tables(op)
    for table in ("event_store", "refresh_tokens", "user_roles", "permissions", "roles", "users"):
        op.drop_table(table)
