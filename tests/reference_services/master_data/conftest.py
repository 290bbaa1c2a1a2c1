"""master-data's end-to-end tests: auth and master-data as processes on the session's PostgreSQL and Tansu."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from service_support import Caller, ServiceLaunch, new_caller, topics_of

if TYPE_CHECKING:
    from conftest import FolderFleets
    from fleetcheck.fixtures.launcher import RunningFleet


@pytest.fixture(scope="session")
def md_fleet(fleets: FolderFleets) -> RunningFleet:
    return fleets.launch("master_data", [ServiceLaunch("auth"), ServiceLaunch("master-data")],
                         topics=topics_of("auth", "master-data"))  # fmt: skip


@pytest.fixture(scope="session")
def caller(md_fleet: RunningFleet) -> Caller:
    return new_caller(md_fleet.services["auth"].base_url)


@pytest.fixture(scope="session")
def other_caller(md_fleet: RunningFleet) -> Caller:
    return new_caller(md_fleet.services["auth"].base_url)
