"""Which reference services `fleetcheck verify --service X` starts: X, the identity services and X's dependencies."""

from __future__ import annotations

from fleetcheck.contracts.fleet import load_fleet
from fleetcheck.reference import services_to_start


def test_a_selection_starts_its_service_dependencies_and_the_identity_services_in_start_order() -> None:
    fleet = load_fleet()
    started = services_to_start(fleet, ["import-export"])
    assert set(started) == {"organization", "auth", "master-data", "import-export"}
    assert started == [n for n in fleet.start_order() if n in started]


def test_dependencies_are_followed_transitively() -> None:
    fleet = load_fleet()
    started = set(services_to_start(fleet, ["document-generator"]))
    assert {"file-storage", "document-generator", "organization", "auth"} <= started
    for name in started:  # nothing a started service needs is missing
        assert set(fleet.service(name).service_dependencies) <= started


def test_a_selection_starts_the_services_its_event_scenario_sends_to() -> None:
    # audit's scenario creates a customer in master-data and reads its record back
    assert "master-data" in services_to_start(load_fleet(), ["audit"])
