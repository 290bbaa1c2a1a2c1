"""Migrations driven by a service's own tool (TypeORM, Flyway, Knex, golang-migrate...): the fleet file's
``migrations.up`` and ``migrations.down`` shell commands, run against a fresh database.

Each command runs with ``DATABASE_URL`` (the fresh database, as its owner), ``DATABASE_APP_URL`` and ``DB_APP_ROLE``
(the runtime role fleetcheck provisions, which migrations grant their privileges to) in its environment, plus the
fleet file's ``migrations.env``; ``{database_url}``, ``{database_app_url}`` and ``{runtime_role}`` are replaced in the
command and in those values. The life judged is the Alembic driver's: upgrade from empty, upgrade again (no change),
down to base (``down_all``, else ``down`` until the catalog stops changing), up again. The tool's revision graph and
offline SQL are its own, so MIGRATIONS-SINGLE-HEAD, -SAFE-SQL, -MODELS-MATCH and -DATA-PRESERVED are not run, each
with that reason.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from typing import TYPE_CHECKING
from urllib.parse import quote

from psycopg.conninfo import conninfo_to_dict

from fleetcheck.contracts.catalog import MigrationObservation, MigrationStep

if TYPE_CHECKING:
    from fleetcheck.contracts.catalog import CatalogObservation, CatalogSnapshot
    from fleetcheck.contracts.fleet import Fleet, MigrationsSpec, ServiceSpec
    from fleetcheck.migrations import FreshDatabase

__all__ = ["CommandDriver", "database_url"]

#: a down command that reverts one step at a time is run at most this often before giving up on reaching base
_MAX_DOWN_STEPS = 100
_OUTPUT_TAIL = 600


def database_url(conninfo: str) -> str:
    """A libpq conninfo as the ``postgresql://`` URL most migration tools take."""
    params = conninfo_to_dict(conninfo)
    user = quote(str(params.get("user") or "postgres"), safe="")
    password = f":{quote(str(params['password']), safe='')}" if params.get("password") else ""
    host, port = params.get("host") or "127.0.0.1", params.get("port") or 5432
    return f"postgresql://{user}{password}@{host}:{port}/{params.get('dbname') or 'postgres'}"


class CommandDriver:
    """One service's migrations, driven by commands, through their whole life on a fresh database."""

    def __init__(self, db: FreshDatabase, spec: ServiceSpec, fleet: Fleet) -> None:
        assert spec.migrations is not None
        self.db, self.spec, self.fleet, self.commands = db, spec, fleet, spec.migrations
        self.steps: list[MigrationStep] = []
        self.tenant = str(uuid.uuid4())
        self.fills = {
            "{database_url}": database_url(db.owner_dsn),
            "{database_app_url}": database_url(db.app_dsn),
            "{runtime_role}": db.role,
        }

    def _fill(self, text: str) -> str:
        for key, value in self.fills.items():
            text = text.replace(key, value)
        return text

    def _env(self) -> dict[str, str]:
        given = {k: self._fill(v) for k, v in self.commands.env.items()}
        fixed = {
            "DATABASE_URL": self.fills["{database_url}"],
            "DATABASE_APP_URL": self.fills["{database_app_url}"],
            "DB_APP_ROLE": self.db.role,
        }
        return {**os.environ, **fixed, **given}

    def catalog(self) -> CatalogSnapshot:
        from fleetcheck._catalog_sql import read_catalog

        with self.db.owner() as conn:
            return read_catalog(conn).without_tables(self.fleet.bookkeeping_tables)

    def command(self, name: str, command: str) -> bool:
        """Run one command; its failure (exit code, time-out, output tail) is the step's record, not a crash."""
        started = time.perf_counter()
        spec: MigrationsSpec = self.commands
        try:
            done = subprocess.run(
                self._fill(command), shell=True, cwd=spec.cwd, env=self._env(), capture_output=True, text=True,
                timeout=spec.timeout_s, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            self.steps.append(MigrationStep(name, False, (), f"`{command}` did not finish within {spec.timeout_s:g} s",
                                            time.perf_counter() - started))  # fmt: skip
            return False
        ok = done.returncode == 0
        error = "" if ok else f"`{command}` exited with code {done.returncode}: {_tail(done.stdout + done.stderr)}"
        self.steps.append(MigrationStep(name, ok, (), error, time.perf_counter() - started))
        return ok

    def down_to_base(self) -> bool:
        """``down_all`` once, or ``down`` until the catalog stops changing (the tool has nothing left to revert)."""
        name = "downgrade head->base"
        if self.commands.down_all:
            return self.command(name, self.commands.down_all)
        assert self.commands.down is not None
        previous = self.catalog().fingerprint()
        for _ in range(_MAX_DOWN_STEPS):
            if not self.command(name, self.commands.down):
                return False
            self.steps.pop()  # one record for the whole walk down, not one per step
            now = self.catalog().fingerprint()
            if now == previous:
                break
            previous = now
        self.steps.append(MigrationStep(name, True, (), "", 0.0))
        return True

    def run(self) -> tuple[MigrationObservation, CatalogObservation | None]:
        from fleetcheck.migrations import fresh_catalog_observation

        assert self.commands.up is not None
        up = self.commands.up
        fields: dict[str, object] = {"empty": self.catalog()}
        catalog_observation = None
        if self.command("upgrade base->head", up):
            fields["head"] = head = self.catalog()
            if self.command("upgrade head->head", up):
                fields["head_twice"] = self.catalog()
            source = f"fresh database after `{up}`"
            catalog_observation = fresh_catalog_observation(self.db, self.fleet, self.spec, head, self.tenant, source)
            if self.down_to_base():
                fields["base"] = self.catalog()
                if self.command("upgrade base->head again", up):
                    fields["head_again"] = self.catalog()
        observation = MigrationObservation(
            script_location=self.commands.cwd or ".",
            revisions=(),
            heads=(),
            steps=tuple(self.steps),
            tool="commands",
            model_diff_skipped="the migrations are driven by the service's own commands; fleetcheck has no models of "
            "the service to compare the schema with",
            lint_skipped="the service's own migration tool renders no offline SQL for squawk to lint",
            seed_note="the up command applies every migration at once, so no row can be seeded between two of them",
            **fields,  # type: ignore[arg-type]
        )
        return observation, catalog_observation


def _tail(output: str) -> str:
    text = " ".join(output.split())
    return text[-_OUTPUT_TAIL:] or "(no output)"
