"""The migration observer: drive each service's Alembic migrations on a fresh database and read the catalog.

Alembic's API is driven directly (``alembic.command``, ``ScriptDirectory``, ``EnvironmentContext`` +
``autogenerate.compare_metadata``) rather than through pytest-alembic: 0.13.1 fails at collection under pytest 9 and
crashes on ``autocommit_block``, which is exactly what a CONCURRENTLY index needs.

For one service (:func:`observe_migrations`), on a database created for the run (unique name, dropped afterwards,
with a runtime role provisioned as the launcher does):

1. catalog of the empty database; ``upgrade head``; catalog; ``upgrade head`` again (must change nothing);
2. the autogenerate diff of the service's models (in a subprocess that imports only that service's ``env.py``);
3. one row seeded per tenant table, then ``SELECT count(*)`` as the runtime role with ``app.tenant_id`` unset, empty,
   another tenant's and the seeded tenant's (the RLS probes);
4. ``downgrade base``; catalog; ``upgrade head`` again; catalog;
5. data-preserving upgrades: from base, at each revision seed every table, upgrade one step, re-read the rows;
6. each revision rendered offline (``upgrade <down>:<rev> --sql``) and linted with squawk.

Against a deployed fleet (:func:`observe_live_catalog`), only the catalog and the RLS probes, in read-only
transactions, as the role of the DSN the target file gives.

Example:
    >>> source = reference_sources(load_fleet())[0]  # doctest: +SKIP
    >>> migrations, catalog = observe_migrations(source, admin_dsn, spec)  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import itertools
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from sqlalchemy.engine import URL

from fleetcheck._catalog_sql import read_catalog, read_runtime_role
from fleetcheck._seed import SeededRow, read_back, seed_tables
from fleetcheck._squawk import RULES_NOTE, SquawkError, lint_files, statement_at
from fleetcheck.contracts.catalog import (
    CatalogObservation,
    LintViolation,
    MigrationObservation,
    MigrationStep,
    Revision,
    RevisionTrace,
    RlsProbe,
    RlsWriteProbe,
    SeedRecord,
)
from fleetcheck.contracts.migrations import TENANT, table_rules

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from alembic.config import Config

    from fleetcheck.contracts.catalog import CatalogSnapshot
    from fleetcheck.contracts.fleet import Fleet, ServiceSpec

__all__ = [
    "MIGRATION_KINDS",
    "FreshDatabase",
    "MigrationSource",
    "observe_live_catalog",
    "observe_migrations",
    "observe_target",
    "reference_sources",
]

#: Observation kinds this module gathers (``needs`` of the MIGRATIONS-* checks).
MIGRATION_KINDS = frozenset({"migrations", "catalog"})
_CONNECT_TIMEOUT_S = 10
_STATEMENT_TIMEOUT_MS = 60_000
_AUTOGENERATE_TIMEOUT_S = 180.0

Observed = dict[tuple[str, str], tuple[list[Any], list[str]]]


@dataclass(frozen=True, slots=True)
class MigrationSource:
    """A service's Alembic folder (``env.py`` + ``versions/``); a mutant is a patched copy of one."""

    service: str
    script_location: Path


def reference_sources(fleet: Fleet, services: list[str] | None = None) -> list[MigrationSource]:
    """The Alembic folders of the fleet's services: the one the fleet file names (``migrations.script_location``),
    else the reference service's own (``reference_services/<pkg>/migrations``) where it exists."""
    found = []
    for spec in fleet.services:
        if services is not None and spec.name not in services:
            continue
        declared = spec.migrations
        if declared is not None and declared.tool == "commands":
            continue
        if declared is not None and declared.script_location:
            found.append(MigrationSource(spec.name, Path(declared.script_location)))
            continue
        folder = _reference_migrations(spec.name) if spec.database is not None else None
        if folder is not None:
            found.append(MigrationSource(spec.name, folder))
    return found


def _reference_migrations(service: str) -> Path | None:
    try:
        module = importlib.util.find_spec(f"reference_services.{service.replace('-', '_')}")
    except ModuleNotFoundError:
        return None
    if module is None or not module.submodule_search_locations:
        return None
    folder = Path(next(iter(module.submodule_search_locations))) / "migrations"
    return folder if (folder / "env.py").is_file() else None


# ---- a fresh database ---------------------------------------------------------------------------------------------


def _sqlalchemy_url(conninfo: str) -> str:
    params = conninfo_to_dict(conninfo)
    url = URL.create(
        "postgresql+psycopg",
        username=str(params.get("user") or "postgres"),
        password=str(params["password"]) if params.get("password") else None,
        host=str(params.get("host") or "127.0.0.1"),
        port=int(str(params.get("port") or 5432)),
        database=str(params.get("dbname") or "postgres"),
    )
    return url.render_as_string(hide_password=False)


def describe_dsn(dsn: str) -> str:
    """``user@host:port/db`` without the password."""
    params = conninfo_to_dict(dsn)
    host, port = params.get("host", "127.0.0.1"), params.get("port", 5432)
    return f"{params.get('user', '?')}@{host}:{port}/{params.get('dbname', '?')}"


class FreshDatabase:
    """A database and a runtime role with unique names on a server we may write to; both dropped on exit.

    The role is provisioned as the launcher does (SPEC: LOGIN NOSUPERUSER NOBYPASSRLS, CONNECT, USAGE on public,
    default privileges for DML), so migrations never name roles and the probes see what the running service sees.
    """

    def __init__(self, admin_dsn: str, service: str) -> None:
        stem = f"fc_mig_{service.replace('-', '_')}_{secrets.token_hex(4)}"
        self.admin_dsn, self.name, self.role = admin_dsn, stem, f"{stem}_app"
        self._password = secrets.token_hex(16)
        self.owner_dsn = make_conninfo(admin_dsn, dbname=stem)
        self.app_dsn = make_conninfo(self.owner_dsn, user=self.role, password=self._password)

    def __enter__(self) -> FreshDatabase:
        try:
            self._create()
        except BaseException:
            self.drop()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        self.drop()

    def _create(self) -> None:
        ident, role = sql.Identifier(self.name), sql.Identifier(self.role)
        with psycopg.connect(self.admin_dsn, autocommit=True, connect_timeout=_CONNECT_TIMEOUT_S) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(ident))
            admin.execute(
                sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD {}").format(
                    role, sql.Literal(self._password)
                )
            )
            admin.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(ident, role))
        with self.owner() as conn:
            conn.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(role))
            conn.execute(
                sql.SQL(
                    "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {}"
                ).format(role)
            )
            conn.execute(
                sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {}").format(role)
            )

    def owner(self) -> psycopg.Connection[Any]:
        return psycopg.connect(
            self.owner_dsn, autocommit=True, connect_timeout=_CONNECT_TIMEOUT_S,
            options=f"-c statement_timeout={_STATEMENT_TIMEOUT_MS}",
        )  # fmt: skip

    def drop(self) -> None:
        """Drop the database (closing its sessions) and the role; only these two names, never anything else."""
        with psycopg.connect(self.admin_dsn, autocommit=True, connect_timeout=_CONNECT_TIMEOUT_S) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name)))
            admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(self.role)))


# ---- RLS probes (fresh and live) -----------------------------------------------------------------------------------


def _probe_tables(fleet: Fleet, spec: ServiceSpec, catalog: CatalogSnapshot) -> list[str]:
    rules = table_rules(spec, catalog, fleet)
    return [r.name for r in rules if r.rls and TENANT in catalog.columns_of(r.name)]


def probe_rls(
    dsn: str, tables: list[str], settings: list[tuple[str, str | None, int]], *, setting: str = "app.tenant_id"
) -> list[RlsProbe]:
    """``SELECT count(*)`` per table as the DSN's role, one fresh read-only session per ``(label, value, seeded)``,
    with the tenancy ``setting`` (the PostgreSQL setting the policies read) set to the value.

    A fresh session per setting, because ``current_setting('app.tenant_id', true)`` is NULL only in a session that
    never set it; after a ``SET LOCAL`` ends it reads ``''``, which is why policies must treat both as "no tenant".
    """
    probes: list[RlsProbe] = []
    for label, value, seeded in settings:
        with psycopg.connect(dsn, connect_timeout=_CONNECT_TIMEOUT_S) as conn:
            conn.read_only = True
            row = conn.execute("SELECT current_user").fetchone()
            conn.rollback()
            role = str(row[0]) if row else "?"
            for table in tables:
                probes.append(_probe_one(conn, table, role, (label, value, seeded), setting))
    return probes


def _probe_one(
    conn: psycopg.Connection[Any], table: str, role: str, state: tuple[str, str | None, int], setting: str
) -> RlsProbe:
    label, value, seeded = state
    try:
        with conn.transaction():
            if value is not None:
                conn.execute("SELECT set_config(%s, %s, true)", [setting, value])
            found = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(*table.split(".", 1))))
            row = found.fetchone()
        return RlsProbe(table, role, label, seeded, int(row[0]) if row else 0)
    except psycopg.Error as exc:
        return RlsProbe(table, role, label, seeded, None, str(exc).strip().splitlines()[0])


def probe_rls_writes(
    dsn: str, catalog: CatalogSnapshot, tables: list[str], tenant: str, *, setting: str = "app.tenant_id"
) -> list[RlsWriteProbe]:
    """As the DSN's role, with ``setting`` = ``tenant`` (whose row each table holds), try to insert a copy of that
    row for another tenant and to move the row to another tenant; every attempt is rolled back. Fresh databases
    only: this writes."""
    other = str(uuid.uuid4())
    probes: list[RlsWriteProbe] = []
    with psycopg.connect(dsn, connect_timeout=_CONNECT_TIMEOUT_S) as conn:
        row = conn.execute("SELECT current_user").fetchone()
        conn.rollback()
        role = str(row[0]) if row else "?"
        for table in tables:
            name = sql.Identifier(*table.split(".", 1))
            # the copy keeps every column but the key (its server default makes a new one) and the tenant
            kept = [c for c in catalog.columns_of(table) if c not in ("id", TENANT)]
            columns = sql.SQL(", ").join(sql.Identifier(c) for c in [TENANT, *kept])
            values = sql.SQL(", ").join([sql.Placeholder(), *(sql.Identifier(c) for c in kept)])
            attempts = {
                "insert": sql.SQL("INSERT INTO {t} ({c}) SELECT {v} FROM {t} LIMIT 1").format(
                    t=name, c=columns, v=values
                ),
                "update": sql.SQL("UPDATE {t} SET {tenant} = %s WHERE ctid IN (SELECT ctid FROM {t} LIMIT 1)").format(
                    t=name, tenant=sql.Identifier(TENANT)
                ),
            }
            for action, statement in attempts.items():
                probes.append(_write_probe(conn, table, role, action, statement, (setting, tenant, other)))
    return probes


def _write_probe(
    conn: psycopg.Connection[Any], table: str, role: str, action: str, statement: sql.Composed,
    state: tuple[str, str, str],
) -> RlsWriteProbe:  # fmt: skip
    setting, tenant, other = state
    try:
        with conn.transaction(force_rollback=True):
            conn.execute("SELECT set_config(%s, %s, true)", [setting, tenant])
            done = conn.execute(statement, [other])
            if done.rowcount == 0:
                return RlsWriteProbe(table, role, action, "no row of the seeded tenant to copy or move")
    except psycopg.Error as exc:
        return RlsWriteProbe(table, role, action, str(exc).strip().splitlines()[0])
    return RlsWriteProbe(table, role, action, "")


_READ_ONLY = "-c default_transaction_read_only=on"


def observe_live_catalog(
    dsn: str, spec: ServiceSpec, fleet: Fleet, *, runtime_dsn: str | None = None
) -> CatalogObservation:
    """The catalog of a deployed service's database, and RLS probes as the role the service runs as; writes nothing.

    ``dsn`` is a read-only inspection role; ``runtime_dsn`` (the target file's ``databases.<svc>.runtime``) is the
    service's own runtime role, which the RLS and role checks judge. Without it they judge the inspection role,
    which says little: the source names it. Every session is read-only (``default_transaction_read_only`` and
    ``SET TRANSACTION READ ONLY``), so even a DSN with write privileges cannot change the database through fleetcheck.
    """
    with psycopg.connect(dsn, connect_timeout=_CONNECT_TIMEOUT_S, options=_READ_ONLY) as conn:
        conn.read_only = True
        catalog = read_catalog(conn)
    probe_dsn = runtime_dsn or dsn
    with psycopg.connect(probe_dsn, connect_timeout=_CONNECT_TIMEOUT_S, options=_READ_ONLY) as conn:
        conn.read_only = True
        role = read_runtime_role(conn)
    tables = _probe_tables(fleet, spec, catalog)
    settings: list[tuple[str, str | None, int]] = [("unset", None, 0), ("empty", "", 0)]
    settings.append(("other tenant", str(uuid.uuid4()), 0))
    probes = probe_rls(make_conninfo(probe_dsn, options=_READ_ONLY), tables, settings, setting=fleet.tenancy.setting)
    who = "its runtime role" if runtime_dsn else "the inspection role (no databases.<svc>.runtime DSN given)"
    source = f"live database {describe_dsn(dsn)}, probed as {who}"
    return CatalogObservation(source, catalog, role, tuple(probes), read_only=True)


# ---- the fresh-database driver -------------------------------------------------------------------------------------


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"[:500]


def _down(revision: Any) -> tuple[str, ...]:
    down = revision.down_revision
    if down is None:
        return ()
    return (down,) if isinstance(down, str) else tuple(down)


class _Driver:
    def __init__(self, source: MigrationSource, db: FreshDatabase, spec: ServiceSpec, fleet: Fleet) -> None:
        from alembic.script import ScriptDirectory

        self.source, self.db, self.spec, self.fleet = source, db, spec, fleet
        self.setting = fleet.tenancy.setting
        self.url = _sqlalchemy_url(db.owner_dsn)
        self.script = ScriptDirectory.from_config(self.config())
        self.steps: list[MigrationStep] = []
        self.tenant = str(uuid.uuid4())

    def config(self, output: io.StringIO | None = None) -> Config:
        from alembic.config import Config

        config = Config(output_buffer=output) if output is not None else Config()
        config.set_main_option("script_location", str(self.source.script_location))
        config.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        return config

    def revisions(self) -> list[Revision]:
        """Base first (for a linear history); the file path relative to the migrations folder."""
        found = []
        for rev in reversed(list(self.script.walk_revisions())):
            path = Path(rev.path)
            file = str(path.relative_to(self.source.script_location)) if path.is_relative_to(
                self.source.script_location) else path.name  # fmt: skip
            found.append(Revision(rev.revision, _down(rev), file))
        return found

    def catalog(self) -> CatalogSnapshot:
        with self.db.owner() as conn:
            return read_catalog(conn).without_tables(self.fleet.bookkeeping_tables)

    def version(self) -> tuple[str, ...]:
        with self.db.owner() as conn:
            exists = conn.execute("SELECT to_regclass('public.alembic_version')").fetchone()
            if not exists or exists[0] is None:
                return ()
            return tuple(str(r[0]) for r in conn.execute("SELECT version_num FROM alembic_version").fetchall())

    def step(self, name: str, action: str, revision: str) -> bool:
        from alembic import command

        started = time.perf_counter()
        try:
            getattr(command, action)(self.config(), revision)
        except Exception as exc:  # a failing revision is the observation, not a crash
            version = self.version()
            failed = self._next_revision(version) if action == "upgrade" else self._revision_text(version)
            self.steps.append(
                MigrationStep(name, False, version, _first_line(exc), time.perf_counter() - started, failed)
            )
            return False
        self.steps.append(MigrationStep(name, True, self.version(), "", time.perf_counter() - started))
        return True

    def _next_revision(self, version: tuple[str, ...]) -> str:
        """The revision an upgrade stopped at: the one after what ``alembic_version`` holds (each revision runs in
        its own transaction, so the failing one left nothing). ``""`` where branches make it ambiguous."""
        after = [r for r in self.revisions() if set(r.down_revisions) == set(version)]
        return f"{after[0].id} ({after[0].file})" if len(after) == 1 else ""

    def _revision_text(self, version: tuple[str, ...]) -> str:
        found = [r for r in self.revisions() if r.id in version]
        return f"{found[0].id} ({found[0].file})" if len(found) == 1 else ""

    def run(self) -> tuple[MigrationObservation, CatalogObservation | None]:
        revisions, heads = self.revisions(), tuple(self.script.get_heads())
        empty = self.catalog()
        fields: dict[str, Any] = {"empty": empty}
        catalog_observation = None
        if self.step("upgrade base->head", "upgrade", "heads"):
            fields["head"] = head = self.catalog()
            if self.step("upgrade head->head", "upgrade", "heads"):
                fields["head_twice"] = self.catalog()
            fields["model_diffs"], fields["model_diff_error"] = self.model_diffs()
            catalog_observation = self.catalog_observation(head, heads)
            if self.step("downgrade head->base", "downgrade", "base"):
                fields["base"] = self.catalog()
                if self.step("upgrade base->head again", "upgrade", "heads"):
                    fields["head_again"] = self.catalog()
                    fields["traces"] = self.traces(revisions)
                    fields["seeds"], fields["seed_note"] = self.preservation(revisions)
        fields["lint"], fields["lint_error"] = self.lint(revisions, empty.server_version)
        observation = MigrationObservation(
            script_location=str(self.source.script_location), revisions=tuple(revisions), heads=heads,
            steps=tuple(self.steps), lint_rules=RULES_NOTE, **fields,
        )  # fmt: skip
        return observation, catalog_observation

    # -- autogenerate --

    def model_diffs(self) -> tuple[tuple[str, ...], str]:
        import json

        command = [sys.executable, "-m", "fleetcheck._autogenerate", str(self.source.script_location), self.url]
        root = Path(__file__).resolve().parent.parent
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=_AUTOGENERATE_TIMEOUT_S,
                                  env=env, check=False)  # fmt: skip
        except subprocess.TimeoutExpired:
            return (), f"autogenerate did not finish within {_AUTOGENERATE_TIMEOUT_S:.0f} s"
        if done.returncode != 0:
            tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
            return (), f"autogenerate exited with code {done.returncode}: {tail[:400]}"
        return tuple(json.loads(line) for line in done.stdout.splitlines() if line.strip()), ""

    # -- RLS --

    def catalog_observation(self, head: CatalogSnapshot, heads: tuple[str, ...]) -> CatalogObservation:
        return fresh_catalog_observation(self.db, self.fleet, self.spec, head, self.tenant,
                                         f"fresh database at head {', '.join(heads)}")  # fmt: skip

    # -- each revision reverted on its own --

    def traces(self, revisions: list[Revision]) -> tuple[RevisionTrace, ...]:
        if len(revisions) < 2 or any(len(r.down_revisions) > 1 for r in revisions):
            return ()  # one revision: the downgrade to base already is its trace; a merge has no single "down"
        if not self.step("downgrade to base (per revision)", "downgrade", "base"):
            return ()
        found: list[RevisionTrace] = []
        for revision in revisions:
            before = self.catalog()
            down = revision.down_revisions[0] if revision.down_revisions else "base"
            ok = self.step(f"upgrade to {revision.id} (alone)", "upgrade", revision.id)
            ok = ok and self.step(f"downgrade {revision.id}->{down} (alone)", "downgrade", down)
            if not ok:
                found.append(RevisionTrace(revision.id, revision.file, error=self.steps[-1].error))
                break
            after = self.catalog()
            left, gone = after.fingerprint() - before.fingerprint(), before.fingerprint() - after.fingerprint()
            found.append(RevisionTrace(revision.id, revision.file, tuple(sorted(left)), tuple(sorted(gone))))
            if not self.step(f"upgrade to {revision.id} (again)", "upgrade", revision.id):
                break
        return tuple(found)

    # -- data-preserving upgrades --

    def preservation(self, revisions: list[Revision]) -> tuple[tuple[SeedRecord, ...], str]:
        if len(revisions) < 2:
            only = revisions[0].file if revisions else "none"
            return (), f"only one revision ({only}): there is no earlier revision to seed before an upgrade"
        if any(len(r.down_revisions) > 1 for r in revisions):
            return (), "the history is not linear (see MIGRATIONS-SINGLE-HEAD); seeded upgrades follow a line"
        if not self.step("downgrade to base (for seeding)", "downgrade", "base"):
            return (), "could not downgrade to base to start the seeded upgrades"
        records: list[SeedRecord] = []
        for before, after in itertools.pairwise(revisions):
            if not self.step(f"upgrade to {before.id}", "upgrade", before.id):
                break
            rows, errors = self.seed_all()
            if not self.step(f"upgrade {before.id}->{after.id} (seeded)", "upgrade", after.id):
                break
            records += self.survival(rows, errors, before.id, after.id)
        self.step("upgrade to head (after seeding)", "upgrade", "heads")
        return tuple(records), ""

    def seed_all(self) -> tuple[dict[str, SeededRow], dict[str, str]]:
        catalog = self.catalog()
        with self.db.owner() as conn:
            conn.autocommit = False
            return seed_tables(conn, catalog, self.tenant, setting=self.setting)

    def survival(
        self, rows: dict[str, SeededRow], errors: dict[str, str], before: str, after: str
    ) -> Iterator[SeedRecord]:
        for table, why in sorted(errors.items()):
            yield SeedRecord(table, before, after, 0, 0, error=f"could not be seeded at {before}: {why}")
        with self.db.owner() as conn:
            conn.autocommit = False
            for table, row in sorted(rows.items()):
                try:
                    now = read_back(conn, row, self.tenant, setting=self.setting)
                except psycopg.Error as exc:
                    yield SeedRecord(table, before, after, 1, 0, error=f"cannot be read after the upgrade: "
                                     f"{_first_line(exc)}")  # fmt: skip
                    continue
                changed = () if now is None else tuple(
                    f"row {row.key}: {k}" for k, v in row.row.items() if k in now and now[k] != v)  # fmt: skip
                yield SeedRecord(table, before, after, 1, 0 if now is None else 1, changed)

    # -- squawk --

    def lint(self, revisions: list[Revision], server_version: int) -> tuple[tuple[LintViolation, ...], str]:
        from alembic import command

        folder = Path(tempfile.mkdtemp(prefix="fleetcheck-squawk-"))
        try:
            rendered: dict[str, tuple[Revision, str]] = {}
            for n, revision in enumerate(revisions):
                output = io.StringIO()
                span = (
                    f"{revision.down_revisions[0]}:{revision.id}" if len(revision.down_revisions) == 1 else revision.id
                )
                try:
                    command.upgrade(self.config(output), span, sql=True)
                except Exception as exc:  # a revision that cannot render offline is reported, not fatal
                    return (), f"revision {revision.id} ({revision.file}) does not render offline: {_first_line(exc)}"
                file = folder / f"{n:04d}_{revision.id}.sql"
                file.write_text(output.getvalue(), encoding="utf-8")
                rendered[file.name] = (revision, output.getvalue())
            hits = lint_files(sorted(folder.glob("*.sql")), pg_version=f"{max(server_version // 10000, 10)}.0")
        except SquawkError as exc:
            return (), str(exc)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return tuple(self._violations(hits, rendered)), ""

    @staticmethod
    def _violations(hits: list[Any], rendered: dict[str, tuple[Revision, str]]) -> Iterator[LintViolation]:
        for hit in hits:
            revision, text = rendered[Path(hit.file).name]
            statement = statement_at(text, hit.line)
            if "alembic_version" in statement:
                continue  # Alembic's own bookkeeping, not the revision's SQL
            yield LintViolation(revision.id, revision.file, hit.rule, hit.message, hit.help, statement, hit.line + 1)


def fresh_catalog_observation(
    db: FreshDatabase, fleet: Fleet, spec: ServiceSpec, head: CatalogSnapshot, tenant: str, source: str
) -> CatalogObservation:
    """The catalog at head with RLS probes as the fresh database's runtime role: one row seeded per tenant table
    for ``tenant``, then ``SELECT count(*)`` with the tenancy setting unset, empty, another tenant's and ``tenant``."""
    setting = fleet.tenancy.setting
    tables = _probe_tables(fleet, spec, head)
    with db.owner() as conn:
        conn.autocommit = False
        seeded, _errors = seed_tables(conn, head, tenant, tables, setting=setting)
        role = read_runtime_role(conn, db.role)
    settings: list[tuple[str, str | None, int]] = [("unset", None, 0), ("empty", "", 0)]
    settings += [("other tenant", str(uuid.uuid4()), 0)]
    probes = probe_rls(db.app_dsn, tables, settings, setting=setting)
    for table in tables:  # the seeded tenant, per table: a table that could not be seeded has nothing to see
        n = 1 if table in seeded else 0
        probes += probe_rls(db.app_dsn, [table], [("seeded tenant", tenant, n)], setting=setting)
    writes = probe_rls_writes(db.app_dsn, head, [t for t in tables if t in seeded], tenant, setting=setting)
    return CatalogObservation(source, head, role, tuple(probes), write_probes=tuple(writes))


def observe_migrations(
    source: MigrationSource, admin_dsn: str, spec: ServiceSpec, fleet: Fleet
) -> tuple[MigrationObservation, CatalogObservation | None]:
    """Drive ``source``'s migrations on a fresh database of the server at ``admin_dsn`` (dropped afterwards).

    Returns the run record and the catalog observation at head (``None`` when the upgrade from empty failed).
    """
    with FreshDatabase(admin_dsn, source.service) as db:
        return _Driver(source, db, spec, fleet).run()


def observe_command_migrations(
    admin_dsn: str, spec: ServiceSpec, fleet: Fleet
) -> tuple[MigrationObservation, CatalogObservation | None]:
    """Drive a service's migrations with its own tool's commands (fleet file ``migrations.up``/``down``) on a fresh
    database of the server at ``admin_dsn`` (dropped afterwards)."""
    from fleetcheck._migration_commands import CommandDriver

    with FreshDatabase(admin_dsn, spec.name) as db:
        return CommandDriver(db, spec, fleet).run()


# ---- the runner hook ----------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _postgres_server() -> Iterator[str]:
    """An admin DSN for fresh databases: ``FLEETCHECK_POSTGRES_DSN`` if set, else a throwaway embedded server."""
    from fleetcheck.fixtures.postgres import DSN_VARIABLE, EmbeddedPostgres, ExternalPostgres

    if dsn := os.environ.get(DSN_VARIABLE):
        yield ExternalPostgres(dsn).admin_dsn
        return
    workdir = Path(tempfile.mkdtemp(prefix="fleetcheck-migrations-"))
    workdir.chmod(0o755)  # the embedded server runs as an unprivileged user when we are root
    server = EmbeddedPostgres.start(workdir)
    try:
        yield server.admin_dsn
    finally:
        server.close()
        shutil.rmtree(workdir, ignore_errors=True)


def observe_target(target: Any, services: list[str], say: Callable[[str], None]) -> Observed:
    """The ``migrations`` and ``catalog`` observations of ``services`` for the runner.

    Migrations run on fresh databases: Alembic folders (a reference service's own, or the fleet file's
    ``migrations.script_location``) or the service's own commands (``migrations.tool: commands``), on the reference
    fleet's PostgreSQL (embedded, or ``FLEETCHECK_POSTGRES_DSN``), or on a target file's ``postgres_admin_dsn``.
    The catalog judged is a target file's live database where it gives one (``databases.<svc>``, read only), else
    the fresh database at head.
    """
    fleet: Fleet = target.fleet
    databases = getattr(target, "databases", None)
    deployed = isinstance(databases, Mapping)
    live: Mapping[str, str] = databases if isinstance(databases, Mapping) else {}
    runtime: Mapping[str, str] = getattr(target, "runtime_databases", {}) if deployed else {}
    runs = _runnable(fleet, services)
    observed: Observed = {}
    for name in services:
        if name not in runs:
            why = _no_migrations(fleet, name)
            observed[(name, "migrations")] = ([], [why])
            observed[(name, "catalog")] = ([], [why])
    admin = getattr(target, "postgres_admin_dsn", None) if deployed else None
    if runs and deployed and admin is None:
        why = ("the migration runs need a server fleetcheck may create and drop databases on: give the target "
               "file's postgres_admin_dsn (a scratch server, never production)")  # fmt: skip
        for name in runs:
            observed[(name, "migrations")] = ([], [why])
        runs = {}
    if runs:
        observed.update(_run_migrations(fleet, runs, admin, say))
    for name in services:
        if name in live:
            say(f"reading the live catalog of {name} (read only)")
            catalog = observe_live_catalog(live[name], fleet.service(name), fleet, runtime_dsn=runtime.get(name))
            # beside the fresh database's catalog, when the migrations ran: the live one is only read, the fresh one
            # is where the writes across tenants are tried (MIGRATIONS-RLS-WITH-CHECK)
            fresh, _why = observed.get((name, "catalog"), ([], []))
            observed[(name, "catalog")] = ([*fresh, catalog], [])
        elif deployed and (name, "catalog") not in observed:
            observed[(name, "catalog")] = ([], [f"the target file gives no read-only DSN under databases.{name}"])
    return observed


_Run: TypeAlias = "Callable[[str, ServiceSpec], tuple[MigrationObservation, CatalogObservation | None]]"


def _runnable(fleet: Fleet, services: list[str]) -> dict[str, _Run]:
    """How each service's migrations are driven, for the services whose migrations can be."""
    runs: dict[str, _Run] = {}
    for source in reference_sources(fleet, services):
        runs[source.service] = partial(_alembic_run, source, fleet)
    for name in services:
        declared = fleet.service(name).migrations
        if declared is not None and declared.tool == "commands":
            runs[name] = lambda dsn, spec: observe_command_migrations(dsn, spec, fleet)
    return runs


def _alembic_run(
    source: MigrationSource, fleet: Fleet, dsn: str, spec: ServiceSpec
) -> tuple[MigrationObservation, CatalogObservation | None]:
    return observe_migrations(source, dsn, spec, fleet)


def _no_migrations(fleet: Fleet, name: str) -> str:
    declared = fleet.service(name).migrations
    if declared is not None and declared.script_location:
        return f"{name}'s Alembic folder {declared.script_location} has no env.py"
    return (f"{name} declares no migrations fleetcheck can drive (migrations.script_location for Alembic, or "
            f"migrations.tool: commands with up/down), and has no reference migrations folder")  # fmt: skip


def _run_migrations(fleet: Fleet, runs: dict[str, _Run], admin_dsn: str | None, say: Callable[[str], None]) -> Observed:
    observed: Observed = {}
    server = contextlib.nullcontext(admin_dsn) if admin_dsn else _postgres_server()
    if admin_dsn is None:
        say("starting PostgreSQL for the migration runs")
    with server as dsn:
        for name, run in runs.items():
            say(f"driving the migrations of {name} on a fresh database")
            migrations, catalog = run(dsn, fleet.service(name))
            observed[(name, "migrations")] = ([migrations], [])
            why = "the upgrade from empty failed, so there is no migrated catalog (see MIGRATIONS-UPGRADE-FROM-EMPTY)"
            observed[(name, "catalog")] = ([catalog], []) if catalog is not None else ([], [why])
    return observed
