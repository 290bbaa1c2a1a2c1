"""One bazaar fleet per session (and xdist worker): the foreign NestJS fleet on its own PostgreSQL, Kafka, Redis."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.foreign_fleet.fleet import foreign_fleet, npm_build_missing
from tests.support.infra import redis_server_binary

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from tests.foreign_fleet.fleet import ForeignFleet


@pytest.fixture(scope="session")
def bazaar(close_with_group: Callable[[str, Callable[[], None]], None]) -> Iterator[ForeignFleet]:
    if shutil.which("node") is None or redis_server_binary() is None:
        pytest.skip("node or redis-server is not installed (scripts/test installs both)")
    if reason := npm_build_missing():
        pytest.skip(reason)
    # Not under pytest's basetemp: any pytest run as the same user chmods /tmp/pytest-of-<user> back to 0700, which
    # takes the unprivileged PostgreSQL user's way to its data directory away mid-run (measured: PANIC at shutdown).
    with tempfile.TemporaryDirectory(prefix="fleetcheck-bazaar-") as workdir, foreign_fleet(Path(workdir)) as fleet:
        close_with_group(__file__, fleet.servers.close)  # ServerSet.close is idempotent
        yield fleet
