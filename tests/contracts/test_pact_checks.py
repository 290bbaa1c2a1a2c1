"""The pure checks of area pact (contracts/pact.py) on observations built by hand: a message pact for a topic its
provider does not produce, or for a consumer the fleet file does not name, and a failed verdict, are findings."""

from __future__ import annotations

from fleetcheck.contracts.catalogue import CHECKS
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
