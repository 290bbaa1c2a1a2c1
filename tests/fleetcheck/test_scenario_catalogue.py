"""Every producing service of the fleet file declares an event scenario, and burst writes cause one event of their
own service."""

from __future__ import annotations

from fleetcheck.contracts.events import produces_events
from fleetcheck.contracts.fleet import load_fleet

FLEET = load_fleet()


def test_every_service_that_produces_events_declares_a_scenario() -> None:
    producers = {s.name for s in FLEET.services if produces_events(s, FLEET)}
    declared = {s.name for s in FLEET.services if s.scenario is not None}
    assert producers - declared == set()
    assert declared - producers == set()  # a scenario for a service that produces nothing judges nothing


def test_every_scenario_step_names_a_topic_of_its_service() -> None:
    for service in FLEET.services:
        steps = service.scenario.steps if service.scenario else ()
        topics = {e.topic for step in steps for e in step.events or ()}
        assert topics <= set(service.produces), (service.name, topics - set(service.produces))


def test_each_burst_writes_a_topic_its_service_produces_or_says_why_it_has_none() -> None:
    producers = {t.name: t.producer for t in FLEET.topics}
    for service in FLEET.services:
        if service.burst is None:
            assert service.no_burst_reason or not service.produces, service.name
            continue
        (event,) = [e for step in service.burst.steps for e in step.events or ()]
        assert producers.get(event.topic) == service.name, (service.name, event.topic)


def test_each_burst_update_changes_the_aggregate_its_burst_creates_on_a_topic_of_its_service() -> None:
    updated = [s for s in FLEET.services if s.burst is not None and s.burst.update is not None]
    assert "master-data" in {s.name for s in updated}
    for service in updated:
        assert service.burst is not None
        assert service.burst.update is not None
        (created,) = [e for step in service.burst.steps for e in step.events or ()]
        (update,) = [e for step in service.burst.update.steps for e in step.events or ()]
        assert update.topic in service.produces, (service.name, update.topic)
        assert update.key == created.key, service.name  # the same aggregate: EVENTS-OUTAGE-ORDER orders by its key
