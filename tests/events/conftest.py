"""Fixtures of the events tests: the reference fleet's event producers plus audit, on embedded infrastructure."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest

from fleetcheck.contracts.catalogue import CHECKS
from fleetcheck.contracts.fleet import load_fleet
from fleetcheck.contracts.registry import CheckContext, run_check

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from fleetcheck.contracts.findings import CheckResult
    from fleetcheck.contracts.fleet import Fleet
    from fleetcheck.reference import ReferenceFleet

EVENT_SERVICES = ["organization", "auth", "master-data", "audit"]


@pytest.fixture(scope="session")
def fleet_model() -> Fleet:
    return load_fleet()


@pytest.fixture(scope="session")
def judge(fleet_model: Fleet) -> Callable[[str, str, object], CheckResult]:
    """``judge(check_id, service, observation)`` -> the check's result."""
    import fleetcheck.contracts.events  # noqa: F401 - registers the EVENTS-* checks

    def _judge(check_id: str, service: str, observation: object) -> CheckResult:
        return run_check(CHECKS[check_id], CheckContext(fleet_model.service(service), fleet_model), observation)

    return _judge


def _start(services: list[str], modules: dict[str, str] | None = None) -> ReferenceFleet:
    from fleetcheck.reference import ReferenceFleet

    logging.getLogger("fleetcheck.events").setLevel(logging.CRITICAL)  # librdkafka's reconnect chatter
    fleet = ReferenceFleet(services=services, modules=modules)
    fleet.start()
    return fleet


@pytest.fixture(scope="session")
def event_fleet(close_with_group: Callable[[str, Callable[[], None]], None]) -> Iterator[ReferenceFleet]:
    """organization, auth, master-data and audit; no test may break Kafka on it (the outage tests use their own).
    Stopped once the folder's last test ran (``close_with_group``, root conftest.py)."""
    fleet = _start(EVENT_SERVICES)
    close_with_group(__file__, fleet.close)
    try:
        yield fleet
    finally:
        fleet.close()


@pytest.fixture
def outage_fleet() -> Iterator[ReferenceFleet]:
    """A fleet of its own for a Kafka outage, so that a broker restart cannot disturb other tests."""
    fleet = _start(["organization", "auth", "master-data", "audit"])
    try:
        yield fleet
    finally:
        fleet.close()
