"""What the migration observer hands to the MIGRATIONS-* checks: catalog snapshots and Alembic run records.

A :class:`CatalogSnapshot` is the schema of one database as ``pg_catalog`` states it (tables, columns, indexes,
constraints, enum types, functions, RLS policies, grants, extensions, sequences, triggers). Two snapshots compare by
:meth:`CatalogSnapshot.fingerprint`, which is what "leaves no trace" means. A :class:`CatalogObservation` is one
migrated database (fresh, or a deployed fleet's, read only) with the RLS probes made on it; a
:class:`MigrationObservation` is one service's migrations driven through their whole life on a fresh database.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "CatalogObservation",
    "CatalogSnapshot",
    "Column",
    "Constraint",
    "EnumType",
    "Grant",
    "Index",
    "LintViolation",
    "MigrationObservation",
    "MigrationStep",
    "Policy",
    "Revision",
    "RevisionTrace",
    "RlsProbe",
    "RlsWriteProbe",
    "RuntimeRole",
    "SeedRecord",
    "Table",
]


@dataclass(frozen=True, slots=True)
class Table:
    """A table: its owner and its row-level security switches (``relrowsecurity``, ``relforcerowsecurity``)."""

    name: str
    owner: str
    rls_enabled: bool
    rls_forced: bool


@dataclass(frozen=True, slots=True)
class Column:
    """``type`` as ``format_type`` prints it (``uuid``, ``timestamp with time zone``); ``default`` as SQL text."""

    table: str
    name: str
    type: str
    not_null: bool
    default: str | None = None


@dataclass(frozen=True, slots=True)
class Index:
    """An index; ``columns`` holds column names in key order (an expression key appears as its SQL text)."""

    table: str
    name: str
    columns: tuple[str, ...]
    unique: bool
    primary: bool = False
    predicate: str | None = None
    valid: bool = True
    definition: str = ""


@dataclass(frozen=True, slots=True)
class Constraint:
    """``kind`` is ``primary key``, ``unique``, ``foreign key``, ``check`` or ``exclusion``."""

    table: str
    name: str
    kind: str
    columns: tuple[str, ...]
    referenced_table: str | None = None
    definition: str = ""


@dataclass(frozen=True, slots=True)
class EnumType:
    name: str
    labels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Policy:
    """An RLS policy; ``using``/``with_check`` are the expressions as ``pg_get_expr`` prints them."""

    table: str
    name: str
    command: str
    permissive: bool
    roles: tuple[str, ...]
    using: str | None
    with_check: str | None


@dataclass(frozen=True, slots=True)
class Grant:
    table: str
    grantee: str
    privilege: str


@dataclass(frozen=True, slots=True)
class CatalogSnapshot:
    """The schema of one database (every non-system schema), as plain sorted tuples.

    ``alembic_version`` is left out: Alembic keeps it (empty) after a downgrade to base by design.
    """

    server_version: int
    schemas: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    columns: tuple[Column, ...] = ()
    indexes: tuple[Index, ...] = ()
    constraints: tuple[Constraint, ...] = ()
    enums: tuple[EnumType, ...] = ()
    functions: tuple[str, ...] = ()
    policies: tuple[Policy, ...] = ()
    grants: tuple[Grant, ...] = ()
    extensions: tuple[str, ...] = ()
    sequences: tuple[str, ...] = ()
    triggers: tuple[str, ...] = ()
    views: tuple[str, ...] = ()

    def table(self, name: str) -> Table | None:
        return next((t for t in self.tables if t.name == name), None)

    def columns_of(self, table: str) -> dict[str, Column]:
        return {c.name: c for c in self.columns if c.table == table}

    def indexes_of(self, table: str) -> list[Index]:
        return [i for i in self.indexes if i.table == table]

    def constraints_of(self, table: str, kind: str | None = None) -> list[Constraint]:
        return [c for c in self.constraints if c.table == table and (kind is None or c.kind == kind)]

    def policies_of(self, table: str) -> list[Policy]:
        return [p for p in self.policies if p.table == table]

    def without_tables(self, names: Iterable[str]) -> CatalogSnapshot:
        """The snapshot without these tables (bare or schema-qualified names) and what belongs to them: their
        columns, indexes, constraints, policies, grants and serial sequences. For a migration tool's bookkeeping
        table (TypeORM keeps ``migrations`` after reverting everything, as Alembic keeps ``alembic_version``)."""
        bare = set(names)
        sequences = {s for s in self.sequences if any(s.rpartition(".")[2].startswith(f"{b}_") for b in bare)}

        def gone(table: str) -> bool:
            return table in bare or table.rpartition(".")[2] in bare or table in sequences

        return dataclasses.replace(
            self,
            tables=tuple(t for t in self.tables if not gone(t.name)),
            columns=tuple(c for c in self.columns if not gone(c.table)),
            indexes=tuple(i for i in self.indexes if not gone(i.table)),
            constraints=tuple(c for c in self.constraints if not gone(c.table)),
            policies=tuple(p for p in self.policies if not gone(p.table)),
            grants=tuple(g for g in self.grants if not gone(g.table)),
            sequences=tuple(
                s for s in self.sequences if not any(s.rpartition(".")[2].startswith(f"{b}_") for b in bare)
            ),
        )

    def fingerprint(self) -> frozenset[str]:
        """One line per catalog object, so two snapshots differ exactly where their schemas differ."""
        lines = [f"schema {s}" for s in self.schemas]
        lines += [f"table {t.name} owner={t.owner} rls={t.rls_enabled} forced={t.rls_forced}" for t in self.tables]
        lines += [f"column {c.table}.{c.name} {c.type} not_null={c.not_null} default={c.default}" for c in self.columns]
        lines += [f"index {i.name} on {i.table}: {i.definition}" for i in self.indexes]
        lines += [f"constraint {c.name} on {c.table}: {c.definition}" for c in self.constraints]
        lines += [f"enum type {e.name} ({', '.join(e.labels)})" for e in self.enums]
        lines += [f"function {f}" for f in self.functions]
        lines += [f"policy {p.name} on {p.table}: using {p.using} check {p.with_check}" for p in self.policies]
        lines += [f"grant {g.privilege} on {g.table} to {g.grantee}" for g in self.grants]
        lines += [f"extension {e}" for e in self.extensions]
        lines += [f"sequence {s}" for s in self.sequences]
        lines += [f"trigger {t}" for t in self.triggers]
        lines += [f"view {v}" for v in self.views]
        return frozenset(lines)


@dataclass(frozen=True, slots=True)
class RuntimeRole:
    """The role the running service uses, with what would let it bypass RLS. ``owns`` lists tables it owns."""

    name: str
    superuser: bool
    bypassrls: bool
    owns: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RlsProbe:
    """``SELECT count(*)`` on ``table`` as ``role`` with ``app.tenant_id`` in one state.

    ``setting`` is ``unset`` (a fresh session), ``empty`` (``''``), ``other tenant`` (a random uuid) or ``seeded
    tenant`` (the tenant whose ``seeded`` rows the observer inserted; 0 on a read-only live database). ``visible`` is
    ``None`` when the query failed (``error`` says how).
    """

    table: str
    role: str
    setting: str
    seeded: int
    visible: int | None
    error: str = ""


@dataclass(frozen=True, slots=True)
class RlsWriteProbe:
    """One write across tenants tried on ``table`` as ``role``, with the tenancy setting set to the seeded tenant,
    and rolled back: ``action`` is ``insert`` (a copy of the seeded row for another tenant) or ``update`` (the seeded
    row moved to another tenant). ``error`` is ``""`` when the write went through, else the first line of
    PostgreSQL's refusal (a policy's WITH CHECK says "new row violates row-level security policy").
    """

    table: str
    role: str
    action: str
    error: str

    @property
    def refused_by_policy(self) -> bool:
        return "row-level security" in self.error


@dataclass(frozen=True, slots=True)
class CatalogObservation:
    """A migrated database: its catalog, its runtime role and the RLS probes made as that role.

    ``source`` says which database (``fresh database at head 0002_x`` or ``live database <redacted dsn>``).
    """

    source: str
    catalog: CatalogSnapshot
    runtime_role: RuntimeRole | None
    probes: tuple[RlsProbe, ...] = ()
    read_only: bool = False
    #: writes across tenants (fresh databases only: a live one is never written)
    write_probes: tuple[RlsWriteProbe, ...] = ()


@dataclass(frozen=True, slots=True)
class Revision:
    """One revision file; ``file`` is its path relative to the migrations folder (``versions/0001_initial.py``)."""

    id: str
    down_revisions: tuple[str, ...]
    file: str


@dataclass(frozen=True, slots=True)
class MigrationStep:
    """One Alembic command on the fresh database. ``version_after`` is what ``alembic_version`` held afterwards;
    ``failed_revision`` the revision that failed (``<id> (<file>)``), where it could be told."""

    name: str
    ok: bool
    version_after: tuple[str, ...] = ()
    error: str = ""
    duration_s: float = 0.0
    failed_revision: str = ""


@dataclass(frozen=True, slots=True)
class LintViolation:
    """One squawk finding in the SQL a revision renders offline (``alembic upgrade <down>:<rev> --sql``)."""

    revision: str
    file: str
    rule: str
    message: str
    help: str
    statement: str
    line: int


@dataclass(frozen=True, slots=True)
class SeedRecord:
    """Rows seeded into ``table`` at ``seeded_at`` and how many were intact after upgrading to ``checked_at``.

    ``changed`` names the columns whose value differed afterwards (``row <id>: column``); ``error`` says why the
    table could not be seeded or read (then ``seeded``/``survived`` may be 0).
    """

    table: str
    seeded_at: str
    checked_at: str
    seeded: int
    survived: int
    changed: tuple[str, ...] = ()
    error: str = ""


@dataclass(frozen=True, slots=True)
class RevisionTrace:
    """One revision applied and reverted on its own: catalog lines it left behind (``left``) or took (``gone``).

    Catches what a downgrade to base cannot: an index forgotten on a table an earlier revision drops anyway.
    """

    revision: str
    file: str
    left: tuple[str, ...] = ()
    gone: tuple[str, ...] = ()
    error: str = ""


@dataclass(frozen=True, slots=True)
class MigrationObservation:
    """One service's migrations driven on a fresh, empty database.

    Steps, in order: ``upgrade base->head``, ``upgrade head->head`` (must change nothing), ``downgrade head->base``,
    ``upgrade base->head again``. Catalogs are taken before the first step (``empty``) and after each step; ``None``
    when the step before failed. ``model_diffs`` is Alembic's autogenerate diff of the service's models against the
    migrated schema. ``seeds`` are the data-preserving upgrades (seed at each revision, upgrade one step).
    """

    script_location: str
    revisions: tuple[Revision, ...]
    heads: tuple[str, ...]
    steps: tuple[MigrationStep, ...]
    empty: CatalogSnapshot | None = None
    head: CatalogSnapshot | None = None
    head_twice: CatalogSnapshot | None = None
    base: CatalogSnapshot | None = None
    head_again: CatalogSnapshot | None = None
    model_diffs: tuple[str, ...] = ()
    model_diff_error: str = ""
    #: why the models were not compared at all (migrations driven by commands have no SQLAlchemy models)
    model_diff_skipped: str = ""
    lint: tuple[LintViolation, ...] = ()
    lint_rules: str = ""
    lint_error: str = ""
    seeds: tuple[SeedRecord, ...] = ()
    seed_note: str = ""
    traces: tuple[RevisionTrace, ...] = ()
    #: ``alembic`` (revisions known), or ``commands`` (the service's own tool: no revision graph, no offline SQL)
    tool: str = "alembic"
    lint_skipped: str = ""

    def step(self, name: str) -> MigrationStep | None:
        return next((s for s in self.steps if s.name == name), None)

    def revision(self, revision_id: str) -> Revision | None:
        return next((r for r in self.revisions if r.id == revision_id), None)
