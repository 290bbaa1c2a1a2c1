"""workflow's end-to-end tests: auth, rules-engine and workflow as processes on the session's PostgreSQL and Tansu."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from service_support import Caller, ServiceLaunch, TopicCapture, new_caller, topics_of

if TYPE_CHECKING:
    from conftest import FolderFleets
    from fleetcheck.fixtures.infra import Infrastructure
    from fleetcheck.fixtures.launcher import RunningFleet


@pytest.fixture(scope="session")
def wf_fleet(fleets: FolderFleets) -> RunningFleet:
    services = [ServiceLaunch("auth"), ServiceLaunch("rules-engine"), ServiceLaunch("workflow")]
    return fleets.launch("workflow", services, topics=topics_of("auth", "workflow", "rules-engine"))


@pytest.fixture(scope="session")
def wf_caller(wf_fleet: RunningFleet) -> Caller:
    return new_caller(wf_fleet.services["auth"].base_url)


@pytest.fixture(scope="session")
def wf_other_caller(wf_fleet: RunningFleet) -> Caller:
    return new_caller(wf_fleet.services["auth"].base_url)


@pytest.fixture
def wf_capture(infra: Infrastructure) -> Any:
    return lambda topic: TopicCapture(infra.kafka.bootstrap, topic, timeout=30.0)
