"""A PostgreSQL server for the migration tests: embedded (PostgreSQL 18) by default, ``FLEETCHECK_POSTGRES_DSN`` if set.

Every test creates its own databases with unique names on it (``fleetcheck.migrations.FreshDatabase``) and drops them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="session")
def postgres_admin_dsn() -> Iterator[str]:
    from fleetcheck.fixtures.postgres import DSN_VARIABLE, EmbeddedPostgres, ExternalPostgres

    if dsn := os.environ.get(DSN_VARIABLE):
        yield ExternalPostgres(dsn).admin_dsn
        return
    # Not under pytest's basetemp: a concurrent pytest run on the machine prunes old basetemps, data dir included.
    workdir = Path(tempfile.mkdtemp(prefix="fleetcheck-migrations-pg-"))
    workdir.chmod(0o755)  # the embedded server runs as an unprivileged user when we are root
    try:
        server = EmbeddedPostgres.start(workdir, timeout=60)
        try:
            yield server.admin_dsn
        finally:
            server.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
