"""MIGRATIONS-* checks: every service's migrations run, reverse without a trace, match the models, and build the schema
SPEC.md "Database" states (uuid keys, tenant columns and indexes, RLS that fails closed, safe SQL, kept data).

Two observations feed them (``fleetcheck.contracts.catalog``): ``migrations`` (a :class:`MigrationObservation`, a
service's migrations driven on a fresh database) and ``catalog`` (a :class:`CatalogObservation`, the migrated schema
with RLS probes; a fresh database at head, or a deployed fleet's, read only). The structural checks are driven by the
fleet file's table declarations: a table the file does not declare is held to the strictest rules (tenant-scoped, RLS).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from fleetcheck.contracts.findings import Finding, Judged
from fleetcheck.contracts.registry import CHECKS, CheckContext, NotApplicable

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from fleetcheck.contracts.catalog import (
        CatalogObservation,
        CatalogSnapshot,
        Index,
        MigrationObservation,
        MigrationStep,
        RlsProbe,
        Table,
    )
    from fleetcheck.contracts.fleet import Fleet, ServiceSpec, TableSpec
    from fleetcheck.contracts.registry import CheckFn

__all__ = ["AREA", "NOW_DEFAULTS", "UUID_DEFAULTS", "diff_catalogs", "table_rules"]

AREA = "migrations"
TENANT = "tenant_id"
UUID_DEFAULTS = ("gen_random_uuid()", "uuid_generate_v4()", "uuidv7()", "uuidv4()")
NOW_DEFAULTS = ("now()", "current_timestamp", "transaction_timestamp()", "statement_timestamp()")


def _has_database(service: ServiceSpec, fleet: Fleet) -> bool:
    return service.database is not None or service.migrations is not None


def _register(check_id: str, claim: str, needs: str) -> Callable[[CheckFn], CheckFn]:
    return CHECKS.register(check_id, area=AREA, claim=claim, needs=needs, applies=_has_database)


def _finding(
    ctx: CheckContext, check_id: str, observed: str, expected: str, hint: str, *evidence: tuple[str, str]
) -> Finding:
    return Finding(check_id, ctx.service.name, expected=expected, observed=observed, hint=hint, evidence=evidence)


# ---- the table rules the fleet file implies -----------------------------------------------------------------------


class TableRules:
    """What the contract asks of one table: from its fleet-file declaration, or the strictest rules if undeclared."""

    __slots__ = ("business_key", "declared", "name", "rls", "tenant_scoped")

    def __init__(self, name: str, spec: TableSpec | None) -> None:
        self.name = name
        self.declared = spec is not None
        self.tenant_scoped = spec.tenant_scoped if spec else True
        self.rls = self.tenant_scoped and (spec is None or spec.rls_exempt is None)
        self.business_key: tuple[str, ...] = spec.business_key if spec else ()


def table_rules(service: ServiceSpec, catalog: CatalogSnapshot, fleet: Fleet | None = None) -> list[TableRules]:
    """The rules of every table in the catalog (declared or not; a migration tool's own tables left out)."""
    declared = {t.name: t for t in service.tables}
    return [TableRules(t.name, declared.get(t.name)) for t in _tables(catalog, fleet)]


def _tables(catalog: CatalogSnapshot, fleet: Fleet | None) -> list[Table]:
    """The catalog's tables but the migration tools' bookkeeping tables (alembic_version, TypeORM's migrations...)."""
    return [t for t in catalog.tables if fleet is None or not fleet.is_bookkeeping(t.name)]


def _business_tables(ctx: CheckContext, observation: CatalogObservation) -> list[Table]:
    tables = _tables(_catalog(observation), ctx.fleet)
    if not tables:
        raise NotApplicable(f"no table {_where(observation)} besides the migration tool's own")
    return tables


def _rules(ctx: CheckContext, observation: CatalogObservation) -> list[TableRules]:
    _business_tables(ctx, observation)
    return table_rules(ctx.service, _catalog(observation), ctx.fleet)


def _tenant_setting(ctx: CheckContext) -> re.Pattern[str]:
    return re.compile(r"current_setting\(\s*'" + re.escape(ctx.fleet.tenancy.setting) + "'", re.IGNORECASE)


def _catalog(observation: CatalogObservation) -> CatalogSnapshot:
    return observation.catalog


def _where(observation: CatalogObservation) -> str:
    return f"in the {observation.source}"


# ---- MIGRATIONS-* on the Alembic run ------------------------------------------------------------------------------


def _step_failure(ctx: CheckContext, check_id: str, step: MigrationStep | None, name: str, hint: str) -> Finding | None:
    if step is None:
        return _finding(
            ctx,
            check_id,
            f"the step `{name}` did not run (an earlier step failed)",
            f"`{name}` to run",
            "fix the first failing step (see MIGRATIONS-UPGRADE-FROM-EMPTY)",
        )
    if step.ok:
        return None
    at = f" at revision {step.failed_revision}" if step.failed_revision else ""
    return _finding(
        ctx,
        check_id,
        f"`{name}` failed{at}: {step.error}",
        f"`{name}` to succeed on a fresh database",
        hint,
        ("step", name),
    )


@_register(
    "MIGRATIONS-UPGRADE-FROM-EMPTY",
    "alembic upgrade head succeeds on an empty database and records the single head in alembic_version",
    "migrations",
)
def check_upgrade_from_empty(ctx: CheckContext, observation: MigrationObservation) -> Iterator[Finding | Judged]:
    check_id = "MIGRATIONS-UPGRADE-FROM-EMPTY"
    name = "upgrade base->head"
    step = observation.step(name)
    failure = _step_failure(
        ctx,
        check_id,
        step,
        name,
        "run `migrate upgrade head` on an empty database and fix the "
        "revision that fails; migrations must not assume objects they do not create",
    )
    if failure is not None:
        yield failure
        return
    assert step is not None
    yield Judged(1, "upgrades from empty")
    if observation.heads and set(step.version_after) != set(observation.heads):
        yield _finding(
            ctx,
            check_id,
            f"after `{name}` alembic_version holds {list(step.version_after)}",
            f"alembic_version to hold the head revision {list(observation.heads)}",
            "let Alembic manage alembic_version; do not write it from a revision",
        )


@_register(
    "MIGRATIONS-SINGLE-HEAD",
    "the revision history is linear: one base, one head, every revision has at most one parent",
    "migrations",
)
def check_single_head(ctx: CheckContext, observation: MigrationObservation) -> Iterator[Finding | Judged]:
    check_id = "MIGRATIONS-SINGLE-HEAD"
    if observation.tool != "alembic":
        raise NotApplicable("the migrations are driven by the service's own commands, whose revision graph fleetcheck "
                            "cannot read (it judges the upgrade, downgrade and catalog instead)")  # fmt: skip
    if not observation.revisions:
        yield _finding(
            ctx,
            check_id,
            f"no revision files under {observation.script_location}/versions",
            "at least one revision",
            "add the service's first migration (create its tables)",
        )
        return
    yield Judged(len(observation.revisions), "revisions")
    if len(observation.heads) != 1:
        yield _finding(
            ctx,
            check_id,
            f"{len(observation.heads)} heads: {', '.join(observation.heads)}",
            "exactly one head",
            "merge or rebase the branches so every revision has one parent "
            "(alembic merge, then make the history linear)",
        )
    bases = [r for r in observation.revisions if not r.down_revisions]
    if len(bases) != 1:
        yield _finding(
            ctx,
            check_id,
            f"{len(bases)} base revisions: {', '.join(r.file for r in bases)}",
            "exactly one revision with down_revision = None",
            "point each later revision's down_revision at its predecessor",
        )
    for revision in observation.revisions:
        if len(revision.down_revisions) > 1:
            yield _finding(
                ctx,
                check_id,
                f"revision {revision.id} ({revision.file}) merges {', '.join(revision.down_revisions)}",
                "a linear history (one parent per revision)",
                "replace the merge revision by revisions applied one after the other",
            )
    children: dict[str, list[str]] = {}
    for revision in observation.revisions:
        for parent in revision.down_revisions:
            children.setdefault(parent, []).append(revision.id)
    for parent, kids in sorted(children.items()):
        if len(kids) > 1:
            yield _finding(
                ctx,
                check_id,
                f"revision {parent} has {len(kids)} children: {', '.join(sorted(kids))}",
                "one child per revision",
                "re-point one branch's down_revision at the other's head",
            )


def diff_catalogs(before: CatalogSnapshot, after: CatalogSnapshot) -> tuple[list[str], list[str]]:
    """``(left over, missing)``: catalog lines only in ``after``, and lines only in ``before``."""
    first, second = before.fingerprint(), after.fingerprint()
    return sorted(second - first), sorted(first - second)


def _diff_lines(extra: list[str], missing: list[str], limit: int = 12) -> str:
    lines = [f"+ {line}" for line in extra] + [f"- {line}" for line in missing]
    more = f"\n... and {len(lines) - limit} more" if len(lines) > limit else ""
    return "\n".join(lines[:limit]) + more


@_register(
    "MIGRATIONS-DOWNGRADE-NO-TRACE",
    "downgrade to base succeeds and leaves the catalog exactly as the empty database was (tables, columns, indexes, "
    "constraints, enum types, functions, policies, grants, extensions)",
    "migrations",
)
def check_downgrade_no_trace(ctx: CheckContext, observation: MigrationObservation) -> Iterator[Finding | Judged]:
    check_id = "MIGRATIONS-DOWNGRADE-NO-TRACE"
    name = "downgrade head->base"
    failure = _step_failure(
        ctx,
        check_id,
        observation.step(name),
        name,
        "give every revision a downgrade() that reverses its upgrade(), in reverse order",
    )
    if failure is not None:
        yield failure
        return
    yield Judged(1 + len(observation.traces), "downgrades")
    yield from _revision_traces(ctx, check_id, observation)
    if observation.empty is None or observation.base is None:
        raise NotApplicable("no catalog was read before the upgrade or after the downgrade")
    left, missing = diff_catalogs(observation.empty, observation.base)
    if left or missing:
        names = ", ".join(line.split(":")[0] for line in left[:4])
        yield _finding(
            ctx,
            check_id,
            f"after downgrade to base the catalog differs from the empty database: {len(left)} object(s) "
            f"left behind ({names or 'none'}), {len(missing)} object(s) gone",
            "no trace: the same catalog as before the first upgrade",
            "drop in downgrade() everything upgrade() created (enum types, indexes, functions, policies "
            "are not dropped with a table unless they belong to it)",
            ("catalog diff (+ left behind, - gone)", _diff_lines(left, missing)),
        )


def _revision_traces(ctx: CheckContext, check_id: str, observation: MigrationObservation) -> Iterator[Finding | Judged]:
    for trace in observation.traces:
        if trace.error:
            yield _finding(
                ctx,
                check_id,
                f"revision {trace.revision} ({trace.file}) could not be applied and reverted alone: {trace.error}",
                "upgrade then downgrade of one revision to succeed",
                "make the revision's downgrade() reverse its upgrade()",
            )
        elif trace.left or trace.gone:
            names = ", ".join(line.split(":")[0] for line in (trace.left or trace.gone)[:4])
            yield _finding(
                ctx,
                check_id,
                f"revision {trace.revision} ({trace.file}) upgraded then downgraded left {len(trace.left)} object(s) "
                f"behind and took {len(trace.gone)} ({names})",
                f"downgrade() of {trace.file} to restore the catalog of its down revision exactly",
                "drop in downgrade() every object upgrade() created (indexes, enum types, functions, policies)",
                ("catalog diff (+ left behind, - gone)", _diff_lines(list(trace.left), list(trace.gone))),
            )


@_register(
    "MIGRATIONS-ROUND-TRIP",
    "up, down to base and up again succeeds and builds the same catalog as the first upgrade",
    "migrations",
)
def check_round_trip(ctx: CheckContext, observation: MigrationObservation) -> Iterator[Finding | Judged]:
    check_id = "MIGRATIONS-ROUND-TRIP"
    name = "upgrade base->head again"
    failure = _step_failure(
        ctx,
        check_id,
        observation.step(name),
        name,
        "make downgrade() remove what upgrade() creates so the upgrade can run again",
    )
    if failure is not None:
        yield failure
        return
    yield Judged(1, "round trips")
    if observation.head is None or observation.head_again is None:
        raise NotApplicable("no catalog was read after the first or the second upgrade")
    extra, missing = diff_catalogs(observation.head, observation.head_again)
    if extra or missing:
        yield _finding(
            ctx,
            check_id,
            f"the second upgrade built a different schema ({len(extra)} object(s) more, "
            f"{len(missing)} fewer than the first)",
            "the same catalog after up -> down -> up",
            "a downgrade left something that changed the next upgrade (IF NOT EXISTS hides this); "
            "make downgrade() exact",
            ("catalog diff (+ second, - first)", _diff_lines(extra, missing)),
        )


@_register(
    "MIGRATIONS-UPGRADE-IDEMPOTENT",
    "upgrade head on a database already at head changes nothing",
    "migrations",
)
def check_upgrade_idempotent(ctx: CheckContext, observation: MigrationObservation) -> Iterator[Finding | Judged]:
    check_id = "MIGRATIONS-UPGRADE-IDEMPOTENT"
    name = "upgrade head->head"
    failure = _step_failure(
        ctx, check_id, observation.step(name), name, "the database is at head; upgrade head must be a no-op"
    )
    if failure is not None:
        yield failure
        return
    yield Judged(1, "repeated upgrades")
    if observation.head is None or observation.head_twice is None:
        raise NotApplicable("no catalog was read after the first upgrade")
    extra, missing = diff_catalogs(observation.head, observation.head_twice)
    if extra or missing:
        yield _finding(
            ctx,
            check_id,
            "a second `upgrade head` changed the catalog",
            "no change",
            "something outside the revisions runs on every upgrade (env.py, an event hook); move it into a revision",
            ("catalog diff", _diff_lines(extra, missing)),
        )


@_register(
    "MIGRATIONS-MODELS-MATCH",
    "the service's SQLAlchemy models match the migrated schema (Alembic autogenerate finds no difference)",
    "migrations",
)
def check_models_match(ctx: CheckContext, observation: MigrationObservation) -> Iterator[Finding | Judged]:
    check_id = "MIGRATIONS-MODELS-MATCH"
    if observation.model_diff_skipped:
        raise NotApplicable(observation.model_diff_skipped)
    upgraded = observation.step("upgrade base->head")
    if upgraded is None or not upgraded.ok:
        raise NotApplicable("the migrations did not reach head, so the models cannot be compared with the schema")
    if observation.model_diff_error:
        yield _finding(
            ctx,
            check_id,
            f"autogenerate could not compare: {observation.model_diff_error}",
            "the models to compare against the migrated schema",
            "make migrations/env.py configure target_metadata with the service's models",
        )
        return
    yield Judged(1, "model comparisons")
    for diff in observation.model_diffs:
        yield _finding(
            ctx,
            check_id,
            f"models and migrations disagree: {diff}",
            "no autogenerate difference",
            "write a revision for the model change (alembic revision --autogenerate, then review it), or "
            "change the model back to what the migrations build",
        )


@_register(
    "MIGRATIONS-SAFE-SQL",
    "the SQL each revision renders offline passes squawk's safety rules (concurrent indexes on existing tables, no "
    "blocking rewrites, timestamptz)",
    "migrations",
)
def check_safe_sql(ctx: CheckContext, observation: MigrationObservation) -> Iterator[Finding | Judged]:
    check_id = "MIGRATIONS-SAFE-SQL"
    if observation.lint_skipped:
        raise NotApplicable(observation.lint_skipped)
    if observation.lint_error:
        yield _finding(
            ctx,
            check_id,
            f"the revisions could not be linted: {observation.lint_error}",
            "every revision rendered offline (alembic upgrade --sql) and linted by squawk",
            "make the revisions render offline (no reads from the connection in upgrade())",
        )
    else:
        yield Judged(len(observation.revisions), "revisions linted")
    for violation in observation.lint:
        yield _finding(
            ctx,
            check_id,
            f"revision {violation.revision} ({violation.file}) line {violation.line}: {violation.rule}: "
            f"{violation.message}",
            "no squawk violation in the rendered SQL",
            violation.help or "see the squawk rule's documentation",
            ("statement", violation.statement[:500]),
            ("rules", observation.lint_rules),
        )


@_register(
    "MIGRATIONS-DATA-PRESERVED",
    "rows seeded at each revision survive the upgrade to the next one, with their values",
    "migrations",
)
def check_data_preserved(ctx: CheckContext, observation: MigrationObservation) -> Iterator[Finding | Judged]:
    check_id = "MIGRATIONS-DATA-PRESERVED"
    if not observation.seeds:
        raise NotApplicable(observation.seed_note or "no table could be seeded before an upgrade")
    yield Judged(len(observation.seeds), "seeded tables")
    for seed in observation.seeds:
        where = f"table {seed.table} (seeded at {seed.seeded_at}, upgraded to {seed.checked_at})"
        if seed.error:
            yield _finding(
                ctx,
                check_id,
                f"{where}: {seed.error}",
                "seeded rows readable after the upgrade",
                "keep the table (or migrate its rows into the new one) in the upgrade",
            )
        elif seed.survived < seed.seeded or seed.changed:
            changed = f"; changed: {', '.join(seed.changed[:5])}" if seed.changed else ""
            yield _finding(
                ctx,
                check_id,
                f"{where}: {seed.survived} of {seed.seeded} row(s) intact{changed}",
                "every seeded row present with the same values",
                "an upgrade must move data, never drop it: copy rows before dropping or recreating a "
                "table or column, and backfill new columns",
            )


# ---- MIGRATIONS-* on the migrated catalog --------------------------------------------------------------------------


@_register(
    "MIGRATIONS-TABLES-DECLARED",
    "the schema holds exactly the tables the fleet file declares, each with its declared columns",
    "catalog",
)
def check_tables_declared(ctx: CheckContext, observation: CatalogObservation) -> Iterator[Finding | Judged]:
    check_id = "MIGRATIONS-TABLES-DECLARED"
    catalog = _catalog(observation)
    tables = _tables(catalog, ctx.fleet)
    if not tables and not ctx.service.tables:
        raise NotApplicable(f"no table is declared and none exists {_where(observation)}")
    yield Judged(len(ctx.service.tables) + len(tables), "tables")
    for spec in ctx.service.tables:
        if catalog.table(spec.name) is None:
            yield _finding(
                ctx,
                check_id,
                f"table {spec.name} does not exist {_where(observation)}",
                f"table {spec.name} (declared in the fleet file)",
                f"create {spec.name} in a revision, or remove it from the fleet file",
            )
            continue
        missing = [c for c in spec.columns if c not in catalog.columns_of(spec.name)]
        if missing:
            yield _finding(
                ctx,
                check_id,
                f"table {spec.name} has no column {', '.join(missing)}",
                f"{spec.name} with the declared columns {', '.join(spec.columns)}",
                "add the columns in a revision, or correct the fleet file's declaration",
            )
    declared = {t.name for t in ctx.service.tables}
    for table in tables:
        if table.name not in declared:
            yield _finding(
                ctx,
                check_id,
                f"table {table.name} is not declared in the fleet file",
                "every table declared (tenant_scoped, business_key, rls_exempt)",
                f"declare {table.name} under services[{ctx.service.name}].tables so its tenancy is "
                "stated; until then it is held to the tenant-table rules",
            )


@_register(
    "MIGRATIONS-UUID-PK",
    "every table has a single-column uuid primary key with a server-side default (gen_random_uuid())",
    "catalog",
)
def check_uuid_pk(ctx: CheckContext, observation: CatalogObservation) -> Iterator[Finding | Judged]:
    check_id = "MIGRATIONS-UUID-PK"
    catalog = _catalog(observation)
    tables = _business_tables(ctx, observation)
    yield Judged(len(tables), "tables")
    for table in tables:
        keys = catalog.constraints_of(table.name, "primary key")
        if not keys or len(keys[0].columns) != 1:
            seen = f"primary key ({', '.join(keys[0].columns)})" if keys else "no primary key"
            yield _finding(
                ctx,
                check_id,
                f"table {table.name} has {seen}",
                f"{table.name}.id uuid PRIMARY KEY DEFAULT gen_random_uuid()",
                "give the table a uuid id column as its only primary key column",
            )
            continue
        column = catalog.columns_of(table.name)[keys[0].columns[0]]
        default = (column.default or "").lower()
        if column.type != "uuid" or not any(d in default for d in UUID_DEFAULTS):
            yield _finding(
                ctx,
                check_id,
                f"primary key {table.name}.{column.name} is {column.type} with default {column.default or 'none'}",
                f"{table.name}.{column.name} uuid DEFAULT gen_random_uuid()",
                f"ALTER TABLE {table.name} ALTER COLUMN {column.name} SET DEFAULT gen_random_uuid() in a "
                "revision (and server_default=func.gen_random_uuid() in the model)",
            )


@_register(
    "MIGRATIONS-TENANT-COLUMN",
    "every tenant-scoped table has tenant_id uuid NOT NULL",
    "catalog",
)
def check_tenant_column(ctx: CheckContext, observation: CatalogObservation) -> Iterator[Finding | Judged]:
    check_id = "MIGRATIONS-TENANT-COLUMN"
    catalog = _catalog(observation)
    scoped = [r for r in _rules(ctx, observation) if r.tenant_scoped]
    if not scoped:
        raise NotApplicable(f"no tenant-scoped table {_where(observation)}")
    yield Judged(len(scoped), "tenant tables")
    for rules in scoped:
        column = catalog.columns_of(rules.name).get(TENANT)
        if column is None or column.type != "uuid" or not column.not_null:
            seen = (
                "no tenant_id column"
                if column is None
                else f"tenant_id {column.type}" + (" NOT NULL" if column.not_null else " (nullable)")
            )
            yield _finding(
                ctx,
                check_id,
                f"tenant table {rules.name} has {seen}",
                f"{rules.name}.tenant_id uuid NOT NULL",
                "add tenant_id uuid NOT NULL (backfill, then SET NOT NULL), or declare the "
                "table tenant_scoped: false with rls_exempt in the fleet file if it is truly global",
            )


def _leading(index: Index, count: int) -> tuple[str, ...]:
    return index.columns[:count]


def _usable(index: Index) -> bool:
    return index.valid and index.predicate is None


@_register(
    "MIGRATIONS-TENANT-INDEX",
    "every table with tenant_id has a valid index whose first column is tenant_id",
    "catalog",
)
def check_tenant_index(ctx: CheckContext, observation: CatalogObservation) -> Iterator[Finding | Judged]:
    check_id = "MIGRATIONS-TENANT-INDEX"
    catalog = _catalog(observation)
    with_tenant = [t for t in _business_tables(ctx, observation) if TENANT in catalog.columns_of(t.name)]
    if not with_tenant:
        raise NotApplicable(f"no table with a tenant_id column {_where(observation)}")
    yield Judged(len(with_tenant), "tables with tenant_id")
    for table in with_tenant:
        indexes = catalog.indexes_of(table.name)
        if not any(_usable(i) and _leading(i, 1) == (TENANT,) for i in indexes):
            seen = ", ".join(f"{i.name} ({', '.join(i.columns)})" for i in indexes) or "none"
            yield _finding(
                ctx,
                check_id,
                f"table {table.name} has no index starting with tenant_id (indexes: {seen})",
                f"an index on {table.name} (tenant_id, ...)",
                f"CREATE INDEX CONCURRENTLY ix_{table.name}_tenant_id ON {table.name} (tenant_id) in an "
                "autocommit block, or lead an existing composite index with tenant_id",
            )


@_register(
    "MIGRATIONS-CREATED-AT",
    "every table has created_at timestamptz NOT NULL DEFAULT now()",
    "catalog",
)
def check_created_at(ctx: CheckContext, observation: CatalogObservation) -> Iterator[Finding | Judged]:
    check_id = "MIGRATIONS-CREATED-AT"
    catalog = _catalog(observation)
    tables = _business_tables(ctx, observation)
    yield Judged(len(tables), "tables")
    for table in tables:
        column = catalog.columns_of(table.name).get("created_at")
        good = (
            column is not None
            and column.type == "timestamp with time zone"
            and column.not_null
            and any(d in (column.default or "").lower() for d in NOW_DEFAULTS)
        )
        if not good:
            seen = "no created_at column"
            if column is not None:
                not_null = " NOT NULL" if column.not_null else ""
                seen = f"created_at {column.type}{not_null} DEFAULT {column.default or 'none'}"
            yield _finding(
                ctx,
                check_id,
                f"table {table.name} has {seen}",
                f"{table.name}.created_at timestamptz NOT NULL DEFAULT now()",
                "add or alter the column in a revision (timestamptz, never timestamp without time zone)",
            )


@_register(
    "MIGRATIONS-BUSINESS-KEY-PER-TENANT",
    "declared business keys are unique per tenant (UNIQUE (tenant_id, key)) and never unique globally",
    "catalog",
)
def check_business_keys(ctx: CheckContext, observation: CatalogObservation) -> Iterator[Finding | Judged]:
    check_id = "MIGRATIONS-BUSINESS-KEY-PER-TENANT"
    catalog = _catalog(observation)
    keyed = [r for r in _rules(ctx, observation) if r.business_key]
    if not keyed:
        raise NotApplicable(f"the fleet file declares no business key for {ctx.service.name}'s tables")
    yield Judged(len(keyed), "business keys")
    for rules in keyed:
        key = set(rules.business_key)
        unique = [i for i in catalog.indexes_of(rules.name) if i.unique and not i.primary and _usable(i)]
        wanted = key | {TENANT} if rules.tenant_scoped else key
        label = ", ".join(([TENANT] if rules.tenant_scoped else []) + list(rules.business_key))
        if not any(set(i.columns) == wanted for i in unique):
            yield _finding(
                ctx,
                check_id,
                f"table {rules.name} has no unique index on ({label})",
                f"UNIQUE ({label}) on {rules.name}",
                f"add UniqueConstraint({', '.join(repr(c) for c in label.split(', '))}) in a revision",
            )
        if not rules.tenant_scoped:
            continue
        for index in unique:
            if TENANT not in index.columns and set(index.columns) <= key:
                yield _finding(
                    ctx,
                    check_id,
                    f"{index.name} makes ({', '.join(index.columns)}) of {rules.name} unique across all tenants",
                    f"business key {label} unique per tenant only",
                    f"drop {index.name} and rely on UNIQUE ({label}): one tenant's code must not block another's",
                )


@_register(
    "MIGRATIONS-FK-INDEXED",
    "every foreign key's columns lead an index (optionally after tenant_id)",
    "catalog",
)
def check_fk_indexed(ctx: CheckContext, observation: CatalogObservation) -> Iterator[Finding | Judged]:
    check_id = "MIGRATIONS-FK-INDEXED"
    catalog = _catalog(observation)
    keys = [c for c in catalog.constraints if c.kind == "foreign key" and not ctx.fleet.is_bookkeeping(c.table)]
    if not keys:
        raise NotApplicable(f"no foreign key {_where(observation)}")
    yield Judged(len(keys), "foreign keys")
    for fk in keys:
        columns, n = set(fk.columns), len(fk.columns)
        covered = any(
            _usable(i)
            and (
                set(_leading(i, n)) == columns or (i.columns[:1] == (TENANT,) and set(i.columns[1 : n + 1]) == columns)
            )
            for i in catalog.indexes_of(fk.table)
        )
        if not covered:
            cols = ", ".join(fk.columns)
            yield _finding(
                ctx,
                check_id,
                f"foreign key {fk.name} ({fk.table}.{cols} -> {fk.referenced_table}) has no index",
                f"an index on {fk.table} ({cols}) or ({TENANT}, {cols})",
                f"CREATE INDEX CONCURRENTLY ON {fk.table} ({cols}): without it every delete or update of "
                f"{fk.referenced_table} scans {fk.table}",
            )


@_register(
    "MIGRATIONS-RLS-FORCED",
    "row-level security is enabled and forced on every tenant table, with a policy on the tenancy setting "
    "(app.tenant_id unless the fleet file names another)",
    "catalog",
)
def check_rls_forced(ctx: CheckContext, observation: CatalogObservation) -> Iterator[Finding | Judged]:
    check_id = "MIGRATIONS-RLS-FORCED"
    catalog = _catalog(observation)
    guarded = [(r, table) for r in _rules(ctx, observation) if r.rls and (table := catalog.table(r.name)) is not None]
    if not guarded:
        raise NotApplicable(f"no table {_where(observation)} needs row-level security (all are declared exempt)")
    yield Judged(len(guarded), "tenant tables")
    setting = ctx.fleet.tenancy.setting
    for rules, table in guarded:
        if not (table.rls_enabled and table.rls_forced):
            seen = f"enabled={table.rls_enabled}, forced={table.rls_forced}"
            yield _finding(
                ctx,
                check_id,
                f"tenant table {rules.name} has row-level security {seen}",
                "ENABLE and FORCE ROW LEVEL SECURITY (FORCE: the owner obeys the policy too)",
                f"ALTER TABLE {rules.name} ENABLE ROW LEVEL SECURITY; ALTER TABLE {rules.name} FORCE ROW "
                "LEVEL SECURITY (kernel.rls.enable_tenant_rls does both)",
            )
        policies = catalog.policies_of(rules.name)
        if not any(_tenant_setting(ctx).search(p.using or "") for p in policies):
            seen = "; ".join(f"{p.name} USING ({p.using})" for p in policies) or "no policy"
            yield _finding(
                ctx,
                check_id,
                f"tenant table {rules.name} has {seen}",
                f"a policy USING (tenant_id = NULLIF(current_setting('{setting}', true), '')::uuid)",
                "create the tenant policy (kernel.rls.enable_tenant_rls)",
            )


def _probe_closed(probe: RlsProbe) -> bool:
    # An error returns no rows either: closed; whether an error is acceptable is judged apart (tenancy.unset).
    return probe.visible is None or probe.visible == 0


@_register(
    "MIGRATIONS-RLS-FAILS-CLOSED",
    "as the runtime role, a tenant table shows no row when the tenancy setting is unset, empty or another tenant, and "
    "the "
    "seeded tenant's rows when it is set",
    "catalog",
)
def check_rls_fails_closed(ctx: CheckContext, observation: CatalogObservation) -> Iterator[Finding | Judged]:
    check_id = "MIGRATIONS-RLS-FAILS-CLOSED"
    if not observation.probes:
        raise NotApplicable(f"no RLS probe was made {_where(observation)} (no tenant table, or no runtime role)")
    yield Judged(len(observation.probes), "RLS probes")
    for probe in observation.probes:
        setting = ctx.fleet.tenancy.setting
        evidence = ("probe", f"SELECT count(*) FROM {probe.table} as {probe.role}, {setting} {probe.setting}")
        if probe.setting == "seeded tenant":
            if probe.seeded and probe.visible != probe.seeded:
                seen = probe.error or f"{probe.visible} of {probe.seeded} seeded row(s)"
                yield _finding(
                    ctx,
                    check_id,
                    f"{probe.table} as {probe.role} with its own tenant set: {seen}",
                    f"all {probe.seeded} rows of the tenant visible (the probe is meaningless otherwise)",
                    "grant the runtime role SELECT, INSERT, UPDATE, DELETE (default privileges) and make "
                    "the policy match tenant_id = the setting",
                    evidence,
                )
            continue
        if not _probe_closed(probe):
            yield _finding(
                ctx,
                check_id,
                f"{probe.table} shows {probe.visible} row(s) to {probe.role} with {setting} {probe.setting}",
                "0 rows: the policy fails closed",
                f"the policy must compare tenant_id = NULLIF(current_setting('{setting}', true), "
                "'')::uuid and nothing else (no OR ... IS NULL, no USING (true))",
                evidence,
            )
        elif probe.visible is None and ctx.fleet.tenancy.unset == "no-rows":
            yield _finding(
                ctx,
                check_id,
                f"{probe.table} as {probe.role} with {setting} {probe.setting} fails instead of showing no rows: "
                f"{probe.error}",
                "0 rows and no error: a request without a tenant sees nothing (the fleet file's tenancy.unset is "
                "no-rows)",
                f"read the setting with NULLIF(current_setting('{setting}', true), '')::uuid, which is NULL when "
                "unset or empty; or, if the fleet prefers loud errors, declare tenancy: {unset: error}",
                evidence,
            )


@_register(
    "MIGRATIONS-RLS-WITH-CHECK",
    "as the runtime role with one tenant set, a tenant table refuses a row of another tenant: neither an insert for "
    "it nor an update that moves a row to it passes the policy",
    "catalog",
)
def check_rls_with_check(ctx: CheckContext, observation: CatalogObservation) -> Iterator[Finding | Judged]:
    check_id = "MIGRATIONS-RLS-WITH-CHECK"
    if observation.read_only:
        raise NotApplicable(
            f"the {observation.source} is only read, never written (writes are tried on fresh databases)"
        )
    judged = [p for p in observation.write_probes if not p.error or p.refused_by_policy]
    if not judged:
        others = "; ".join(f"{p.action} on {p.table}: {p.error}" for p in observation.write_probes[:3])
        raise NotApplicable(
            f"no write across tenants could be tried {_where(observation)}" + (f" ({others})" if others else "")
        )
    yield Judged(len(judged), "writes across tenants")
    setting = ctx.fleet.tenancy.setting
    for probe in judged:
        if probe.error:
            continue
        what = "inserted a row for another tenant" if probe.action == "insert" else "moved a row to another tenant"
        yield _finding(
            ctx,
            check_id,
            f"{probe.table} as {probe.role} with {setting} set to the seeded tenant: the {probe.action} "
            f"went through ({what}; rolled back)",
            "new row violates row-level security policy",
            f"give the policy WITH CHECK (tenant_id = NULLIF(current_setting('{setting}', true), '')::uuid), or "
            "leave WITH CHECK out so that USING applies to new rows too; no permissive policy FOR INSERT/UPDATE",
            ("probe", f"{probe.action.upper()} on {probe.table} with tenant_id = another tenant, rolled back"),
        )


@_register(
    "MIGRATIONS-RUNTIME-ROLE",
    "the runtime role is not a superuser, has no BYPASSRLS and owns no table",
    "catalog",
)
def check_runtime_role(ctx: CheckContext, observation: CatalogObservation) -> Iterator[Finding | Judged]:
    check_id = "MIGRATIONS-RUNTIME-ROLE"
    role = observation.runtime_role
    if role is None:
        raise NotApplicable(f"no runtime role is known {_where(observation)}")
    yield Judged(1, "runtime roles")
    powers = [p for p, has in (("SUPERUSER", role.superuser), ("BYPASSRLS", role.bypassrls)) if has]
    if powers:
        yield _finding(
            ctx,
            check_id,
            f"runtime role {role.name} has {' and '.join(powers)}",
            "NOSUPERUSER NOBYPASSRLS: row-level security applies to the runtime role",
            f"ALTER ROLE {role.name} NOSUPERUSER NOBYPASSRLS; run migrations as a separate owner role",
        )
    if role.owns:
        yield _finding(
            ctx,
            check_id,
            f"runtime role {role.name} owns {', '.join(role.owns)}",
            "tables owned by the migration role, not the runtime role",
            "ALTER TABLE ... OWNER TO the owner role; the runtime role gets only DML grants",
        )
