"""The scheduler's end-to-end tests: auth (real tokens) and scheduler on the session's PostgreSQL and Tansu."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from service_support import Caller, ServiceLaunch, new_caller, topics_of

if TYPE_CHECKING:
    from conftest import FolderFleets
    from fleetcheck.fixtures.launcher import RunningFleet


@pytest.fixture(scope="session")
def sched_fleet(fleets: FolderFleets) -> RunningFleet:
    services = [ServiceLaunch("auth"), ServiceLaunch("scheduler", env=(("FLEET_SCHEDULER_POLL_S", "0.5"),))]
    return fleets.launch("scheduler", services, topics=topics_of("auth", "scheduler"))


@pytest.fixture(scope="session")
def sched_url(sched_fleet: RunningFleet) -> str:
    return sched_fleet.services["scheduler"].base_url


@pytest.fixture(scope="session")
def caller(sched_fleet: RunningFleet) -> Caller:
    return new_caller(sched_fleet.services["auth"].base_url)


@pytest.fixture(scope="session")
def other_caller(sched_fleet: RunningFleet) -> Caller:
    return new_caller(sched_fleet.services["auth"].base_url)
