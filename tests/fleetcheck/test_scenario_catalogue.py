"""Every producing service of the fleet file has an event scenario, and burst writers write what they declare."""

from __future__ import annotations

from fleetcheck.contracts.events import produces_events
from fleetcheck.contracts.fleet import load_fleet

from fleetcheck.scenarios import SCENARIOS, WRITERS


def test_every_service_that_produces_events_has_a_scenario() -> None:
    fleet = load_fleet()
    producers = {s.name for s in fleet.services if produces_events(s)}
    assert producers - set(SCENARIOS) == set()
    assert set(SCENARIOS) - producers == set()  # a scenario for a service that produces nothing judges nothing


def test_each_writer_writes_a_topic_its_service_produces() -> None:
    fleet = load_fleet()
    for service, writer in WRITERS.items():
        assert writer.service == service
        topics = {t.name: t.producer for t in fleet.topics}
        assert topics.get(writer.topic) == service, writer
