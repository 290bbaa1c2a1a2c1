"""user_roles: index (tenant_id, role_id), so the role_id foreign key is indexed

Deleting a role cascades to user_roles by role_id, and "who holds this role" reads user_roles by role; the unique
(tenant_id, user_id, role_id) index cannot serve either. user_roles already exists, so the index is built
CONCURRENTLY, outside the revision's transaction (writes to user_roles are not blocked while it builds).

Revision ID: 0002_user_roles_role_index
Revises: 0001_auth_initial
Create Date: 2025-07-01
"""

from __future__ import annotations

from alembic import op

revision = "0002_user_roles_role_index"
down_revision = "0001_auth_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_user_roles_tenant_id_role_id", "user_roles", ["tenant_id", "role_id"], postgresql_concurrently=True
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index("ix_user_roles_tenant_id_role_id", table_name="user_roles", postgresql_concurrently=True)
