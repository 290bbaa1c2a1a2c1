"""What organization's migration holds that tests/migrations does not judge: the tenant registry stays out of RLS.

Up/down/up, models matching, RLS forced and failing closed on organizations and divisions are proven for every service
by tests/migrations (MIGRATIONS-*); MIGRATIONS-RLS-FORCED skips declared exceptions and nothing checks that an
exception really is one. ``tenants`` must be: the platform admin lists and creates tenants with no tenant set.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from fleetcheck.fixtures.launcher import REPO_ROOT
from fleetcheck.migrations import FreshDatabase

if TYPE_CHECKING:
    from fleetcheck.fixtures.infra import Infrastructure

pytestmark = pytest.mark.servers


def test_the_tenant_registry_is_not_under_row_level_security(infra: Infrastructure) -> None:
    with FreshDatabase(infra.postgres.admin_dsn, "organization") as db:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FLEET_")} | {
            "FLEET_DATABASE_URL": infra.postgres.dsn(db.name), "PYTHONPATH": str(REPO_ROOT),
        }  # fmt: skip
        command = [sys.executable, "-m", "reference_services.organization", "migrate", "upgrade", "head"]
        done = subprocess.run(command, env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr[-2000:]
        with db.owner() as conn:
            row = conn.execute(
                "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = 'tenants' AND relkind = 'r'"
            ).fetchone()
    assert row == (False, False)  # the registry is a declared RLS exception
