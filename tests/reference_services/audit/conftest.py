"""audit's end-to-end tests: auth (real tokens, real events) and audit, on the session's PostgreSQL and Tansu."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from service_support import Caller, ServiceLaunch, new_caller, topics_of

if TYPE_CHECKING:
    from conftest import FolderFleets
    from fleetcheck.fixtures.launcher import RunningFleet


@pytest.fixture(scope="session")
def audit_fleet(fleets: FolderFleets) -> RunningFleet:
    # No FLEET_AUDIT_TOPICS: audit subscribes by pattern to every topic but its own, as it does by default.
    return fleets.launch(
        "audit",
        [ServiceLaunch("auth"), ServiceLaunch("audit")],
        # topics of other producers that the tests publish on directly, as those services would
        topics=topics_of("auth", "workflow", "master-data", "audit"),
    )


@pytest.fixture(scope="session")
def audit_url(audit_fleet: RunningFleet) -> str:
    return audit_fleet.services["audit"].base_url


@pytest.fixture(scope="session")
def other_caller(audit_fleet: RunningFleet) -> Caller:
    return new_caller(audit_fleet.services["auth"].base_url)
