"""import-export's end-to-end tests: auth, master-data and import-export as processes on the session's PostgreSQL and
Tansu (rows are imported through the real master-data)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from service_support import Caller, ServiceLaunch, new_caller, topics_of

if TYPE_CHECKING:
    from conftest import FolderFleets
    from fleetcheck.fixtures.launcher import RunningFleet


@pytest.fixture(scope="session")
def ie_fleet(fleets: FolderFleets) -> RunningFleet:
    services = [ServiceLaunch("auth"), ServiceLaunch("master-data"),
                ServiceLaunch("import-export", depends_on_services=("master-data",))]  # fmt: skip
    return fleets.launch("import_export", services, topics=topics_of("auth", "master-data", "import-export"))


@pytest.fixture(scope="session")
def ie_url(ie_fleet: RunningFleet) -> str:
    return ie_fleet.services["import-export"].base_url


@pytest.fixture(scope="session")
def md_url(ie_fleet: RunningFleet) -> str:
    return ie_fleet.services["master-data"].base_url


@pytest.fixture
def ie_caller(ie_fleet: RunningFleet) -> Caller:
    """A fresh tenant per test: imports and exports see only that test's rows."""
    return new_caller(ie_fleet.services["auth"].base_url)


@pytest.fixture
def ie_other_caller(ie_fleet: RunningFleet) -> Caller:
    return new_caller(ie_fleet.services["auth"].base_url)
