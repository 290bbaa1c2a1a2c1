"""The MIGRATIONS-* checks on the reference services' real migrations, on real PostgreSQL.

Each service present under ``reference_services/`` with a database is driven once per session (fresh database,
dropped afterwards); the tests then judge the observations with the registered checks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import psycopg
import pytest

import fleetcheck.contracts.migrations  # noqa: F401 - registers the MIGRATIONS-* checks
from fleetcheck.contracts.findings import Outcome
from fleetcheck.contracts.fleet import load_fleet
from fleetcheck.contracts.registry import CHECKS, CheckContext, run_check
from fleetcheck.migrations import (
    FreshDatabase,
    MigrationSource,
    observe_live_catalog,
    observe_migrations,
    reference_sources,
)

if TYPE_CHECKING:
    from fleetcheck.contracts.catalog import CatalogObservation, MigrationObservation
    from fleetcheck.contracts.findings import CheckResult

pytestmark = pytest.mark.servers

FLEET = load_fleet()
SOURCES = {s.service: s for s in reference_sources(FLEET)}
#: Services whose migrations this work owns; other services are covered by the driver test as they land.
OWNED = ("auth", "master-data", "organization")


@pytest.fixture(scope="session")
def observed(postgres_admin_dsn: str) -> dict[str, tuple[MigrationObservation, CatalogObservation | None]]:
    return {
        name: observe_migrations(source, postgres_admin_dsn, FLEET.service(name), FLEET)
        for name, source in SOURCES.items()
    }


def _judge(service: str, check_id: str, observation: Any) -> CheckResult:
    return run_check(CHECKS[check_id], CheckContext(FLEET.service(service), FLEET), observation)


def test_every_service_with_a_database_and_migrations_is_found() -> None:
    assert set(OWNED) <= set(SOURCES)
    assert all(FLEET.service(name).database for name in SOURCES)


@pytest.mark.parametrize("service", sorted(SOURCES))
def test_migrations_go_up_down_and_up_again_on_a_fresh_database(service: str, observed: dict[str, Any]) -> None:
    migrations, catalog = observed[service]
    failed = [f"{s.name}: {s.error}" for s in migrations.steps if not s.ok]
    assert not failed, f"{service}: {failed}"
    assert [s.name for s in migrations.steps[:4]] == [
        "upgrade base->head", "upgrade head->head", "downgrade head->base", "upgrade base->head again",
    ]  # fmt: skip
    assert catalog is not None
    assert catalog.catalog.tables, f"{service}: no table at head"


@pytest.mark.parametrize("service", sorted(SOURCES))
@pytest.mark.parametrize("check_id", [c.id for c in CHECKS.in_area("migrations")])
def test_every_service_passes_every_migrations_check(service: str, check_id: str, observed: dict[str, Any]) -> None:
    migrations, catalog = observed[service]
    result = _judge(service, check_id, migrations if CHECKS[check_id].needs == "migrations" else catalog)
    if _nothing_to_judge(check_id, result):
        return
    assert result.outcome is Outcome.PASSED, "\n".join(f.message() for f in result.findings) or result.reason


def _nothing_to_judge(check_id: str, result: CheckResult) -> bool:
    """A service without foreign keys has none to index: not run, never a vacuous pass."""
    return (
        check_id == "MIGRATIONS-FK-INDEXED" and result.outcome is Outcome.NOT_RUN and "no foreign key" in result.reason
    )


@pytest.mark.parametrize("service", OWNED)
def test_a_second_revision_exercises_the_seeded_upgrade(service: str, observed: dict[str, Any]) -> None:
    migrations, _catalog = observed[service]
    assert len(migrations.revisions) >= 2
    assert migrations.seeds, migrations.seed_note
    assert all(s.seeded == s.survived == 1 and not s.error for s in migrations.seeds)


def test_rls_probes_see_zero_rows_without_a_tenant_and_the_seeded_row_with_it(observed: dict[str, Any]) -> None:
    _migrations, catalog = observed["master-data"]
    by_setting: dict[str, set[int | None]] = {}
    for probe in catalog.probes:
        by_setting.setdefault(probe.setting, set()).add(probe.visible)
    assert by_setting["unset"] == by_setting["empty"] == by_setting["other tenant"] == {0}
    assert by_setting["seeded tenant"] == {1}
    assert {p.table for p in catalog.probes} == {"customers", "vendors", "products", "accounts"}


def test_writes_across_tenants_are_tried_and_refused_by_the_policy(observed: dict[str, Any]) -> None:
    _, catalog = observed["master-data"]
    assert catalog is not None
    actions = {(p.table, p.action) for p in catalog.write_probes}
    assert {("customers", "insert"), ("customers", "update")} <= actions
    refused = [p for p in catalog.write_probes if p.refused_by_policy]
    assert len(refused) == len(catalog.write_probes), [p for p in catalog.write_probes if not p.refused_by_policy]


def test_no_database_or_role_of_a_run_is_left_behind(postgres_admin_dsn: str, observed: dict[str, Any]) -> None:
    assert observed
    with psycopg.connect(postgres_admin_dsn) as conn:
        left = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'fc\\_mig\\_%' UNION ALL "
            "SELECT rolname FROM pg_roles WHERE rolname LIKE 'fc\\_mig\\_%'"
        ).fetchall()
    assert left == []


def _migrated(db: FreshDatabase, source: MigrationSource) -> None:
    from alembic import command
    from alembic.config import Config

    from fleetcheck.migrations import _sqlalchemy_url

    config = Config()
    config.set_main_option("script_location", str(source.script_location))
    config.set_main_option("sqlalchemy.url", _sqlalchemy_url(db.owner_dsn).replace("%", "%%"))
    command.upgrade(config, "head")


def test_live_catalog_checks_run_read_only_as_the_runtime_role(postgres_admin_dsn: str) -> None:
    from fleetcheck._catalog_sql import read_catalog

    spec = FLEET.service("organization")
    with FreshDatabase(postgres_admin_dsn, "organization") as db:
        _migrated(db, SOURCES["organization"])
        with db.owner() as conn:
            before = read_catalog(conn).fingerprint()
        live = observe_live_catalog(db.app_dsn, spec, FLEET)
        with db.owner() as conn:
            after = read_catalog(conn).fingerprint()
    assert live.read_only
    assert before == after
    assert live.runtime_role is not None
    assert live.runtime_role.name == db.role
    assert {p.setting for p in live.probes} == {"unset", "empty", "other tenant"}
    for check_id in ("MIGRATIONS-RLS-FORCED", "MIGRATIONS-RLS-FAILS-CLOSED", "MIGRATIONS-RUNTIME-ROLE"):
        assert _judge("organization", check_id, live).outcome is Outcome.PASSED


def test_the_runner_reads_a_target_files_databases_and_does_not_run_fresh_migrations(postgres_admin_dsn: str) -> None:
    from fleetcheck.runner import verify
    from fleetcheck.targets import Credentials, Endpoint

    class _Target:
        description = "a stub target file"
        fleet = FLEET
        credentials = Credentials()
        settings = CheckContext(FLEET.service("organization"), FLEET).settings

        def __init__(self, dsn: str) -> None:
            self.endpoints = {"organization": Endpoint.of(load_fleet(), "organization", "http://127.0.0.1:9")}
            self.databases = {"organization": dsn}
            self.unavailable: dict[str, str] = {}
            self.fault_hooks: dict[str, Any] = {}

        def missing_fault_reason(self, dependency: str, mode: str) -> str:
            return "stub"

    with FreshDatabase(postgres_admin_dsn, "organization") as db:
        _migrated(db, SOURCES["organization"])
        report = verify(_Target(db.app_dsn), areas=["migrations"], services=["organization"])  # type: ignore[arg-type]
    outcomes = {r.check_id: r for r in report.results}
    assert outcomes["MIGRATIONS-RLS-FAILS-CLOSED"].outcome is Outcome.PASSED
    assert outcomes["MIGRATIONS-UPGRADE-FROM-EMPTY"].outcome is Outcome.NOT_RUN
    assert "give the target file's postgres_admin_dsn" in outcomes["MIGRATIONS-UPGRADE-FROM-EMPTY"].reason


@pytest.mark.external
def test_migrations_pass_on_the_machines_postgresql_15() -> None:
    dsn = "postgresql://postgres@127.0.0.1:5432/postgres"
    try:
        with psycopg.connect(dsn, connect_timeout=3) as conn:
            version = conn.execute("SHOW server_version_num").fetchone()
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL on 127.0.0.1:5432: {exc}")
    assert version is not None
    for service in sorted(SOURCES):
        migrations, catalog = observe_migrations(SOURCES[service], dsn, FLEET.service(service), FLEET)
        assert all(s.ok for s in migrations.steps), service
        assert catalog is not None
        for check in CHECKS.in_area("migrations"):
            observation = migrations if check.needs == "migrations" else catalog
            result = _judge(service, check.id, observation)
            if _nothing_to_judge(check.id, result):
                continue
            assert result.outcome is Outcome.PASSED, f"{service} {check.id} on PG {version[0]}: " + "\n".join(
                f.message() for f in result.findings
            )
