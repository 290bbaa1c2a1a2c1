"""The api-gateway end-to-end tests: the five subgraphs and the gateway on the session's PostgreSQL and Tansu."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from service_support import Caller, ServiceLaunch, new_tenant_caller, topics_of

if TYPE_CHECKING:
    from conftest import FolderFleets
    from fleetcheck.fixtures.launcher import RunningFleet


SUBGRAPHS = ("organization", "auth", "master-data", "workflow", "rules-engine")


@pytest.fixture(scope="session")
def gw_fleet(fleets: FolderFleets) -> RunningFleet:
    services = [ServiceLaunch(name) for name in SUBGRAPHS]
    services.append(ServiceLaunch("api-gateway", depends_on_services=SUBGRAPHS))
    # every topic of the fleet file: the subgraphs' relays publish to theirs, the gateway to its own
    return fleets.launch("api_gateway", services, topics=topics_of(), ready_timeout_s=60.0)


@pytest.fixture(scope="session")
def gateway_url(gw_fleet: RunningFleet) -> str:
    return gw_fleet.services["api-gateway"].base_url


@pytest.fixture(scope="session")
def caller(gw_fleet: RunningFleet) -> Caller:
    """A user of a tenant created through organization (platform admin), logged in through auth."""
    return new_tenant_caller(gw_fleet)


@pytest.fixture(scope="session")
def other_caller(gw_fleet: RunningFleet) -> Caller:
    return new_tenant_caller(gw_fleet)
