"""Migration mutants: patched copies of organization's Alembic folder, each breaking one rule of SPEC.md "Database".

A mutant either appends a revision after the real head (``extra``) or rewrites text of ``versions/0001_initial.py``
(``patches``: each ``(old, new)`` must match, so a mutant cannot silently stop mutating). The service's own env.py
and models are kept, so the models are the reference's and any schema change shows as drift where it should.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["MUTANTS", "Mutant"]

_REVISION = '''"""mutant: {name}

Revision ID: 9001_mutant
Revises: {down}
"""

import sqlalchemy as sa
from alembic import op

revision = "9001_mutant"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
{upgrade}


def downgrade() -> None:
{downgrade}
'''


def _indent(body: str) -> str:
    return "\n".join(f"    {line}" if line else "" for line in body.strip("\n").splitlines())


@dataclass(frozen=True, slots=True)
class Mutant:
    """``check_id`` must fail and one of its findings must name ``names`` (a table, column, index or revision)."""

    name: str
    check_id: str
    names: str
    upgrade: str = ""
    downgrade: str = "pass"
    patches: tuple[tuple[str, str], ...] = ()

    def build(self, original: Path, target: Path, head: str) -> Path:
        shutil.copytree(original, target, ignore=shutil.ignore_patterns("__pycache__"))
        initial = target / "versions" / "0001_initial.py"
        text = initial.read_text(encoding="utf-8")
        for old, new in self.patches:
            if old not in text:
                raise AssertionError(f"mutant {self.name}: {old!r} is not in {initial.name}; update the mutant")
            text = text.replace(old, new)
        initial.write_text(text, encoding="utf-8")
        if self.upgrade:
            revision = _REVISION.format(
                name=self.name, down=head, upgrade=_indent(self.upgrade), downgrade=_indent(self.downgrade)
            )
            (target / "versions" / "9001_mutant.py").write_text(revision, encoding="utf-8")
        return target


_POLICY = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid"

MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "a tenant table without tenant_id",
        "MIGRATIONS-TENANT-COLUMN",
        "branches",
        upgrade="""
op.create_table(
    "branches",
    sa.Column("id", sa.Uuid(), server_default=sa.func.gen_random_uuid(), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
)
""",
        downgrade='op.drop_table("branches")',
    ),
    Mutant(
        "the tenant index missing",
        "MIGRATIONS-TENANT-INDEX",
        "organizations",
        patches=(
            ('    op.create_index("ix_organizations_tenant_id", "organizations", ["tenant_id"])\n', ""),
            (
                'sa.UniqueConstraint("tenant_id", "code", name="uq_organizations_tenant_id_code")',
                'sa.UniqueConstraint("code", "tenant_id", name="uq_organizations_tenant_id_code")',
            ),
        ),
    ),
    Mutant(
        "a business key unique globally",
        "MIGRATIONS-BUSINESS-KEY-PER-TENANT",
        "organizations",
        upgrade="""
with op.get_context().autocommit_block():
    op.create_index("uq_organizations_code", "organizations", ["code"], unique=True, postgresql_concurrently=True)
""",
        downgrade="""
with op.get_context().autocommit_block():
    op.drop_index("uq_organizations_code", table_name="organizations", postgresql_concurrently=True)
""",
    ),
    Mutant(
        "a downgrade that forgets an enum type",
        "MIGRATIONS-DOWNGRADE-NO-TRACE",
        "division_kind",
        upgrade="""
kind = sa.Enum("branch", "department", name="division_kind")
kind.create(op.get_bind())
op.add_column("divisions", sa.Column("kind", kind, nullable=True))
""",
        downgrade='op.drop_column("divisions", "kind")',
    ),
    Mutant(
        "a downgrade that forgets an index",
        "MIGRATIONS-DOWNGRADE-NO-TRACE",
        "ix_divisions_tenant_id_name",
        upgrade="""
with op.get_context().autocommit_block():
    op.create_index("ix_divisions_tenant_id_name", "divisions", ["tenant_id", "name"], postgresql_concurrently=True)
""",
    ),
    Mutant(
        "an index on an existing table built without CONCURRENTLY",
        "MIGRATIONS-SAFE-SQL",
        "9001_mutant",
        upgrade='op.create_index("ix_divisions_tenant_id_name", "divisions", ["tenant_id", "name"])',
        downgrade='op.drop_index("ix_divisions_tenant_id_name", table_name="divisions")',
    ),
    Mutant(
        "row-level security not forced",
        "MIGRATIONS-RLS-FORCED",
        "divisions",
        upgrade='op.execute("ALTER TABLE divisions NO FORCE ROW LEVEL SECURITY")',
        downgrade='op.execute("ALTER TABLE divisions FORCE ROW LEVEL SECURITY")',
    ),
    Mutant(
        "a policy that fails open when app.tenant_id is unset or empty",
        "MIGRATIONS-RLS-FAILS-CLOSED",
        "organizations",
        upgrade=f"""
op.execute("DROP POLICY tenant_isolation ON organizations")
op.execute(
    "CREATE POLICY tenant_isolation ON organizations USING ("
    "coalesce(current_setting('app.tenant_id', true), '') = '' OR {_POLICY})"
)
""",
        downgrade=f"""
op.execute("DROP POLICY tenant_isolation ON organizations")
op.execute("CREATE POLICY tenant_isolation ON organizations USING ({_POLICY}) WITH CHECK ({_POLICY})")
""",
    ),
    Mutant(
        "a policy whose WITH CHECK lets a tenant write another tenant's rows",
        "MIGRATIONS-RLS-WITH-CHECK",
        "organizations",
        upgrade=f"""
op.execute("DROP POLICY tenant_isolation ON organizations")
op.execute("CREATE POLICY tenant_isolation ON organizations USING ({_POLICY}) WITH CHECK (true)")
""",
        downgrade=f"""
op.execute("DROP POLICY tenant_isolation ON organizations")
op.execute("CREATE POLICY tenant_isolation ON organizations USING ({_POLICY}) WITH CHECK ({_POLICY})")
""",
    ),
    Mutant(
        "a policy that errors when app.tenant_id is unset (current_setting without missing_ok)",
        "MIGRATIONS-RLS-FAILS-CLOSED",
        "fails instead of showing no rows",
        upgrade="""
op.execute("DROP POLICY tenant_isolation ON organizations")
op.execute(
    "CREATE POLICY tenant_isolation ON organizations USING (tenant_id = current_setting('app.tenant_id')::uuid)"
)
""",
        downgrade=f"""
op.execute("DROP POLICY tenant_isolation ON organizations")
op.execute("CREATE POLICY tenant_isolation ON organizations USING ({_POLICY}) WITH CHECK ({_POLICY})")
""",
    ),
    Mutant(
        "a migration the models do not know (drift)",
        "MIGRATIONS-MODELS-MATCH",
        "organizations.legacy_code",
        upgrade='op.add_column("organizations", sa.Column("legacy_code", sa.String(32), nullable=True))',
        downgrade='op.drop_column("organizations", "legacy_code")',
    ),
    Mutant(
        "an upgrade that loses a column's data",
        "MIGRATIONS-DATA-PRESERVED",
        "name_bn",
        upgrade="""
op.drop_column("organizations", "name_bn")
op.add_column("organizations", sa.Column("name_bn", sa.String(200), nullable=True))
""",
        downgrade="pass",
    ),
)
