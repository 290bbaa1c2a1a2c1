"""rules-engine's end-to-end tests: auth and rules-engine as processes on the session's PostgreSQL and Tansu.

workflow's events are published to Kafka by the tests themselves (real messages on the real topic), so rules-engine's
consumer is exercised without workflow; the whole chain is tested in tests/reference_services/workflow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from service_support import Caller, ServiceLaunch, TopicCapture, new_caller, topics_of

if TYPE_CHECKING:
    from conftest import FolderFleets
    from fleetcheck.fixtures.infra import Infrastructure
    from fleetcheck.fixtures.launcher import RunningFleet


@pytest.fixture(scope="session")
def re_fleet(fleets: FolderFleets) -> RunningFleet:
    return fleets.launch("rules_engine", [ServiceLaunch("auth"), ServiceLaunch("rules-engine")],
                         topics=topics_of("auth", "workflow", "rules-engine"))  # fmt: skip


@pytest.fixture(scope="session")
def re_caller(re_fleet: RunningFleet) -> Caller:
    return new_caller(re_fleet.services["auth"].base_url)


@pytest.fixture
def fresh_caller(re_fleet: RunningFleet) -> Caller:
    """A new tenant (its rules are the untouched defaults)."""
    return new_caller(re_fleet.services["auth"].base_url)


@pytest.fixture(scope="session")
def re_other_caller(re_fleet: RunningFleet) -> Caller:
    return new_caller(re_fleet.services["auth"].base_url)


@pytest.fixture
def re_capture(infra: Infrastructure) -> Any:
    return lambda topic: TopicCapture(infra.kafka.bootstrap, topic, timeout=30.0)
