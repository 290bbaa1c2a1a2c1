"""settings, feature_flags: CHECK that scope and key are non-empty and lower-case, as the API's paths need them

Every query of configuration is already served by its unique (tenant_id, scope, key) and (tenant_id, key) indexes, so
what the service lacks is not an index but the guarantee its routes assume: a setting is addressed as
``/settings/{scope}/{key}`` and a flag as ``/feature-flags/{key}``, and ``checked_name`` only accepts non-empty
lower-case names there. A row written around the API (a seed script, psql) with an empty or upper-case name could
never be read, replaced or deleted through it. (The full pattern stays in ``checked_name``: a regex literal in the
CHECK would be no stronger for these two properties.)

Both tables already exist, so each constraint is added NOT VALID (no table scan under the ACCESS EXCLUSIVE lock) and
validated afterwards outside the revision's transaction (VALIDATE takes only a SHARE UPDATE EXCLUSIVE lock: writes go
on while existing rows are checked).

Revision ID: 0002_setting_name_checks
Revises: 0001_initial
Create Date: 2025-07-01
"""

from __future__ import annotations

from alembic import op

revision = "0002_setting_name_checks"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

#: (table, constraint, condition); the models declare the same constraints (name without the ``ck_<table>_`` prefix)
CHECKS = (
    ("settings", "ck_settings_names_lower_case",
     "char_length(scope) > 0 AND char_length(key) > 0 AND scope = lower(scope) AND key = lower(key)"),
    ("feature_flags", "ck_feature_flags_key_lower_case", "char_length(key) > 0 AND key = lower(key)"),
)  # fmt: skip


def upgrade() -> None:
    for table, name, condition in CHECKS:
        op.create_check_constraint(op.f(name), table, condition, postgresql_not_valid=True)
    with op.get_context().autocommit_block():
        for table, name, _condition in CHECKS:
            op.execute(f"ALTER TABLE {table} VALIDATE CONSTRAINT {name}")


def downgrade() -> None:
    for table, name, _condition in reversed(CHECKS):
        op.drop_constraint(op.f(name), table, type_="check")
