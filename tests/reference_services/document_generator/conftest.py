"""document-generator's end-to-end tests: auth, file-storage and document-generator as processes on the session's
PostgreSQL and Tansu (documents are stored through the real file-storage)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from service_support import Caller, ServiceLaunch, new_caller, topics_of

if TYPE_CHECKING:
    from conftest import FolderFleets
    from fleetcheck.fixtures.launcher import RunningFleet


@pytest.fixture(scope="session")
def dg_fleet(fleets: FolderFleets) -> RunningFleet:
    services = [ServiceLaunch("auth"), ServiceLaunch("file-storage"),
                ServiceLaunch("document-generator", depends_on_services=("file-storage",))]  # fmt: skip
    return fleets.launch("document_generator", services, topics=topics_of("auth", "file-storage", "document-generator"))


@pytest.fixture(scope="session")
def dg_url(dg_fleet: RunningFleet) -> str:
    return dg_fleet.services["document-generator"].base_url


@pytest.fixture(scope="session")
def files_url(dg_fleet: RunningFleet) -> str:
    return dg_fleet.services["file-storage"].base_url


@pytest.fixture(scope="session")
def dg_caller(dg_fleet: RunningFleet) -> Caller:
    return new_caller(dg_fleet.services["auth"].base_url)


@pytest.fixture(scope="session")
def dg_other_caller(dg_fleet: RunningFleet) -> Caller:
    return new_caller(dg_fleet.services["auth"].base_url)
