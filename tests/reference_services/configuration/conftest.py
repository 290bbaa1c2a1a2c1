"""configuration's end-to-end tests: auth (real tokens) and configuration on the session's PostgreSQL and Tansu."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from service_support import Caller, ServiceLaunch, new_caller, topics_of

if TYPE_CHECKING:
    from conftest import FolderFleets
    from fleetcheck.fixtures.launcher import RunningFleet


@pytest.fixture(scope="session")
def config_fleet(fleets: FolderFleets) -> RunningFleet:
    return fleets.launch("configuration", [ServiceLaunch("auth"), ServiceLaunch("configuration")],
                         topics=topics_of("auth", "configuration"))  # fmt: skip


@pytest.fixture(scope="session")
def config_url(config_fleet: RunningFleet) -> str:
    return config_fleet.services["configuration"].base_url


@pytest.fixture(scope="session")
def caller(config_fleet: RunningFleet) -> Caller:
    return new_caller(config_fleet.services["auth"].base_url)


@pytest.fixture(scope="session")
def other_caller(config_fleet: RunningFleet) -> Caller:
    return new_caller(config_fleet.services["auth"].base_url)
