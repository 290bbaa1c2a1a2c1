"""Fixtures of the catalogue's unit tests (pure: no servers, no sockets)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from fleetcheck.contracts.catalogue import CHECKS
from fleetcheck.contracts.fleet import load_fleet
from fleetcheck.contracts.registry import CheckContext, CheckSettings, run_check

if TYPE_CHECKING:
    from fleetcheck.contracts.findings import CheckResult
    from fleetcheck.contracts.fleet import Fleet


@pytest.fixture(scope="session")
def fleet() -> Fleet:
    return load_fleet()


@pytest.fixture
def run(fleet: Fleet) -> Any:
    """``run(check_id, service_name, observation, **settings)`` -> the check's CheckResult."""

    def _run(check_id: str, service: str, observation: object, **settings: Any) -> CheckResult:
        ctx = CheckContext(fleet.service(service), fleet, CheckSettings(**settings))
        return run_check(CHECKS[check_id], ctx, observation)

    return _run
