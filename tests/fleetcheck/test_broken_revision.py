"""A revision that fails to apply is a finding of the migrations area (MIGRATIONS-UPGRADE-FROM-EMPTY, naming the
revision and the error), not an environment that did not start: the service is left out, its dependents too, and
the run reports the rest."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

import pytest

from fleetcheck.contracts.findings import Outcome
from fleetcheck.contracts.fleet import MigrationsSpec, load_fleet
from fleetcheck.reference import ReferenceFleet
from fleetcheck.runner import verify

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.servers

_BROKEN = '''"""add a column to a table that does not exist

Revision ID: 9001_broken
Revises: {down}
"""

from alembic import op

revision = "9001_broken"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE no_such_table ADD COLUMN legacy_code text")


def downgrade() -> None:
    pass
'''


def _broken_copy(tmp_path: Path) -> Path:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from fleetcheck.migrations import reference_sources

    fleet = load_fleet()
    original = next(s for s in reference_sources(fleet, ["organization"])).script_location
    folder = tmp_path / "migrations"
    shutil.copytree(original, folder, ignore=shutil.ignore_patterns("__pycache__"))
    config = Config()
    config.set_main_option("script_location", str(folder))
    (head,) = ScriptDirectory.from_config(config).get_heads()
    (folder / "versions" / "9001_broken.py").write_text(_BROKEN.format(down=head), encoding="utf-8")
    return folder


def test_a_revision_that_fails_is_reported_by_upgrade_from_empty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _broken_copy(tmp_path)
    monkeypatch.setenv("FLEETCHECK_TEST_MIGRATIONS", str(folder))  # the launcher's migration run reads it
    fleet = load_fleet()
    services = tuple(
        s.model_copy(update={"migrations": MigrationsSpec(script_location=str(folder))})
        if s.name == "organization"
        else s
        for s in fleet.services
    )
    broken = fleet.model_copy(update={"services": services})
    modules = {"organization": "tests.fleetcheck._broken_revision_service"}
    with ReferenceFleet(fleet=broken, services=["organization", "auth"], modules=modules) as target:
        assert "its migrations failed" in target.unavailable["organization"]
        assert "auth" in target.endpoints  # it does not need organization to start
        report = verify(target, areas=["migrations", "health"], services=["organization"])

    by_id = {r.check_id: r for r in report.results}
    upgrade = by_id["MIGRATIONS-UPGRADE-FROM-EMPTY"]
    assert upgrade.outcome is Outcome.FAILED
    message = "\n".join(f.message() for f in upgrade.findings)
    assert "9001_broken" in message, message
    assert "no_such_table" in message, message
    health = by_id["HEALTH-ENDPOINTS"]  # the live checks are not run, with the reason
    assert health.outcome is Outcome.NOT_RUN
    assert "its migrations failed" in health.reason
