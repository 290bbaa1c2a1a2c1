"""notification's end-to-end tests: auth (real tokens, real lockouts) and notification on the session's PostgreSQL and
Tansu."""

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
    return tmp_path_factory.mktemp("notif-storage")


@pytest.fixture(scope="session")
def notif_fleet(fleets: FolderFleets, storage_dir: Path) -> RunningFleet:
    services = [ServiceLaunch("auth"),
                ServiceLaunch("notification", env=(("FLEET_STORAGE_DIR", str(storage_dir)),))]  # fmt: skip
    return fleets.launch("notification", services, topics=topics_of("auth", "workflow", "notification"))


@pytest.fixture(scope="session")
def sink_dir(storage_dir: Path) -> Path:
    return storage_dir / "notification-sink"


@pytest.fixture(scope="session")
def notif_url(notif_fleet: RunningFleet) -> str:
    return notif_fleet.services["notification"].base_url


@pytest.fixture(scope="session")
def auth_url(notif_fleet: RunningFleet) -> str:
    return notif_fleet.services["auth"].base_url


@pytest.fixture(scope="session")
def caller(auth_url: str) -> Caller:
    return new_caller(auth_url)


@pytest.fixture(scope="session")
def other_caller(auth_url: str) -> Caller:
    return new_caller(auth_url)
