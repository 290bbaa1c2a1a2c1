"""The pure checks of area pact (contracts/pact.py) on observations built by hand: a message pact for a topic its
provider does not produce, or for a consumer the fleet file does not name, and a failed verdict, are findings."""

from __future__ import annotations

import dataclasses

from fleetcheck.contracts.catalogue import CHECKS
from fleetcheck.contracts.events import TopicsObservation
from fleetcheck.contracts.findings import Outcome
from fleetcheck.contracts.fleet import load_fleet
from fleetcheck.contracts.pact import PactObservation, PactSummary, PactVerdict
from fleetcheck.contracts.registry import CheckContext, run_check

FLEET = load_fleet()
MESSAGE = "Asynchronous/Messages"


def _run(check_id: str, service: str, observation: PactObservation):  # type: ignore[no-untyped-def]
    return run_check(CHECKS[check_id], CheckContext(FLEET.service(service), FLEET), observation)


def _messages(consumer: str, provider: str, topic: str | None) -> PactObservation:
    pact = PactSummary(f"{consumer}-{provider}.json", consumer, provider, ((f"{topic}: an event", MESSAGE, topic),))
    return PactObservation((pact,), ())


def test_a_message_pact_on_a_topic_the_provider_produces_for_a_declared_consumer_passes() -> None:
    result = _run("PACT-MESSAGE-TOPIC-PRODUCED", "auth", _messages("notification", "auth", "auth.user.locked"))
    assert result.outcome is Outcome.PASSED, result


def test_a_message_pact_on_another_services_topic_is_a_finding() -> None:
    result = _run("PACT-MESSAGE-TOPIC-PRODUCED", "auth", _messages("audit", "auth", "master-data.customer.created"))
    assert result.outcome is Outcome.FAILED
    assert "which master-data produces, not auth" in result.findings[0].observed


def test_a_message_pact_for_a_consumer_the_fleet_file_does_not_name_is_a_finding() -> None:
    result = _run("PACT-MESSAGE-TOPIC-PRODUCED", "auth", _messages("scheduler", "auth", "auth.user.locked"))
    assert result.outcome is Outcome.FAILED
    assert "does not list scheduler as consuming" in result.findings[0].observed


def test_a_message_pact_on_a_topic_the_kafka_broker_lacks_is_a_finding() -> None:
    """The fleet file declares the topic, but the deployment never created it: nobody could read the message."""
    broker = TopicsObservation("127.0.0.1:9092", (("auth.user.registered", 3),))
    observation = dataclasses.replace(_messages("notification", "auth", "auth.user.locked"), topics=broker)
    result = _run("PACT-MESSAGE-TOPIC-PRODUCED", "auth", observation)
    assert result.outcome is Outcome.FAILED
    (finding,) = result.findings
    assert (
        "is on topic auth.user.locked, which does not exist on the Kafka broker at 127.0.0.1:9092" in finding.observed
    )
    listed = dataclasses.replace(broker, topics=(("auth.user.locked", 3),))
    passed = _run("PACT-MESSAGE-TOPIC-PRODUCED", "auth", dataclasses.replace(observation, topics=listed))
    assert passed.outcome is Outcome.PASSED, passed
    assert "the 1 topics the Kafka broker at 127.0.0.1:9092 lists" in passed.judged_what


def test_a_kafka_broker_that_cannot_list_its_topics_leaves_the_fleet_file_half_judged_and_says_so() -> None:
    broker = TopicsObservation("127.0.0.1:1", (), error="KafkaError{code=_TRANSPORT}")
    observation = dataclasses.replace(_messages("notification", "auth", "auth.user.locked"), topics=broker)
    result = _run("PACT-MESSAGE-TOPIC-PRODUCED", "auth", observation)
    assert result.outcome is Outcome.PASSED
    assert "only (the Kafka broker at 127.0.0.1:1 could not list its topics: KafkaError" in result.judged_what


def test_a_failed_verdict_names_the_consumer_and_what_differed() -> None:
    pact = PactSummary("api-gateway-auth.json", "api-gateway", "auth", (("a me query", "Synchronous/HTTP", None),))
    verdict = PactVerdict("api-gateway-auth.json", "api-gateway", "auth", False, ("a me query: $.data.me.id: no",))
    result = _run("PACT-PROVIDER-VERIFIED", "auth", PactObservation((pact,), (verdict,)))
    assert result.outcome is Outcome.FAILED
    assert "api-gateway's pact failed: a me query: $.data.me.id: no" in result.findings[0].observed


def test_a_service_no_pact_names_as_provider_is_not_run_with_the_reason() -> None:
    result = _run("PACT-PROVIDER-VERIFIED", "scheduler", PactObservation((), ()))
    assert result.outcome is Outcome.NOT_RUN
    assert result.reason == "no committed pact names scheduler as its provider"


def test_another_fleet_has_no_pacts_and_says_so() -> None:
    why = "the fleet file declares no pacts (contracts/pacts/ holds the erp-bd fleet's consumer pacts)"
    result = _run("PACT-PROVIDER-VERIFIED", "auth", PactObservation((), (), why_not=why))
    assert (result.outcome, result.reason) == (Outcome.NOT_RUN, why)


def _committed() -> list[PactSummary]:
    import json

    from fleetcheck.contracts.pact import summarize
    from fleetcheck.pact import PACT_DIR

    return [summarize(json.loads(p.read_text(encoding="utf-8")), p.name) for p in sorted(PACT_DIR.glob("*.json"))]


def test_the_committed_message_examples_fit_the_envelope_and_their_payload_schemas() -> None:
    observation = PactObservation(tuple(_committed()), ())
    result = _run("PACT-MESSAGE-FITS-SCHEMA", "workflow", observation)
    assert (result.outcome, result.judged) == (Outcome.PASSED, 10), result.findings


def test_an_example_whose_field_has_another_type_than_the_schema_is_a_finding() -> None:
    import dataclasses

    pacts = _committed()
    (notification,) = [p for p in pacts if p.file == "notification-workflow.json"]
    description, topic, content = notification.examples[0]
    broken = {**content, "data": {**content["data"], "status": 5}}
    changed = dataclasses.replace(notification, examples=((description, topic, broken), *notification.examples[1:]))
    observation = PactObservation(tuple(changed if p is notification else p for p in pacts), ())
    result = _run("PACT-MESSAGE-FITS-SCHEMA", "workflow", observation)
    assert result.outcome is Outcome.FAILED
    assert "data/status: 5 is not one of ['completed', 'rejected']" in result.findings[0].observed
    assert "notification-workflow.json" in result.findings[0].observed


def test_a_consumer_of_the_providers_topics_without_a_message_pact_is_a_finding() -> None:
    pacts = tuple(p for p in _committed() if p.file != "notification-auth.json")
    result = _run("PACT-CONSUMERS-COVERED", "auth", PactObservation(pacts, ()))
    assert result.outcome is Outcome.FAILED
    assert result.findings[0].observed == "no committed pact of notification names auth as provider of a message"
    every = _run("PACT-CONSUMERS-COVERED", "auth", PactObservation(tuple(_committed()), ()))
    assert every.outcome is Outcome.PASSED
