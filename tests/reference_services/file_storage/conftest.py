"""file-storage's end-to-end tests: auth and file-storage as processes on the session's PostgreSQL and Tansu."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from service_support import Caller, ServiceLaunch, new_caller, topics_of

if TYPE_CHECKING:
    from pathlib import Path

    from conftest import FolderFleets
    from fleetcheck.fixtures.launcher import RunningFleet


@pytest.fixture(scope="session")
def storage_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The FLEET_STORAGE_DIR file-storage is given, two levels below a folder of its own (a test watches that
    folder for files written outside the storage directory)."""
    storage = tmp_path_factory.mktemp("fs-fleet") / "storage" / "file-storage"
    storage.mkdir(parents=True)
    return storage


@pytest.fixture(scope="session")
def fs_fleet(fleets: FolderFleets, storage_dir: Path) -> RunningFleet:
    services = [ServiceLaunch("auth"), ServiceLaunch("file-storage", env=(("FLEET_STORAGE_DIR", str(storage_dir)),))]
    return fleets.launch("file_storage", services, topics=topics_of("auth", "file-storage"))


@pytest.fixture(scope="session")
def fs_url(fs_fleet: RunningFleet) -> str:
    return fs_fleet.services["file-storage"].base_url


@pytest.fixture(scope="session")
def fs_caller(fs_fleet: RunningFleet) -> Caller:
    return new_caller(fs_fleet.services["auth"].base_url)


@pytest.fixture(scope="session")
def fs_other_caller(fs_fleet: RunningFleet) -> Caller:
    return new_caller(fs_fleet.services["auth"].base_url)
