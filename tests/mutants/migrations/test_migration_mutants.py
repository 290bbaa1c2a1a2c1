"""Every migration mutant is caught by its MIGRATIONS-* check, with a message naming the table, column or revision."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from migration_mutants import MUTANTS, Mutant

import fleetcheck.contracts.migrations  # noqa: F401 - registers the MIGRATIONS-* checks
from fleetcheck.contracts.findings import Outcome
from fleetcheck.contracts.fleet import load_fleet
from fleetcheck.contracts.registry import CHECKS, CheckContext, run_check
from fleetcheck.migrations import MigrationSource, observe_migrations, reference_sources

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = [pytest.mark.servers, pytest.mark.mutant]

FLEET = load_fleet()
SERVICE = "organization"


def _head(folder: Path) -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(folder))
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, heads
    return heads[0]


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_migration_mutant_fails_its_check_naming_the_culprit(
    mutant: Mutant, postgres_admin_dsn: str, tmp_path: Path, mutation_score: object
) -> None:
    original = next(s for s in reference_sources(FLEET, [SERVICE])).script_location
    folder = mutant.build(original, tmp_path / "migrations", _head(original))
    migrations, catalog = observe_migrations(
        MigrationSource(SERVICE, folder), postgres_admin_dsn, FLEET.service(SERVICE), FLEET
    )
    check = CHECKS[mutant.check_id]
    result = run_check(
        check, CheckContext(FLEET.service(SERVICE), FLEET), migrations if check.needs == "migrations" else catalog
    )
    messages = [f.message() + "".join(v for _k, v in f.evidence) for f in result.findings]
    killed = result.outcome is Outcome.FAILED and any(mutant.names in m for m in messages)
    mutation_score.record("migrations", mutant.name, killed=killed)  # type: ignore[attr-defined]
    assert result.outcome is Outcome.FAILED, f"{mutant.name} survived {mutant.check_id}: {result.reason}"
    assert any(mutant.names in m for m in messages), f"no finding names {mutant.names!r}:\n" + "\n".join(messages)
