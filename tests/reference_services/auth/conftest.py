"""auth's end-to-end tests: auth as a process on the session's PostgreSQL and Tansu."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from service_support import ServiceLaunch, topics_of

if TYPE_CHECKING:
    from conftest import FolderFleets
    from fleetcheck.fixtures.launcher import RunningFleet


@pytest.fixture(scope="session")
def auth_fleet(fleets: FolderFleets) -> RunningFleet:
    return fleets.launch("auth", [ServiceLaunch("auth")], topics=topics_of("auth"))


@pytest.fixture(scope="session")
def auth_url(auth_fleet: RunningFleet) -> str:
    return auth_fleet.services["auth"].base_url
