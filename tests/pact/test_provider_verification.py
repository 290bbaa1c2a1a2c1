"""Provider verification: every committed pact is replayed by the Pact FFI verifier against the running fleet.

HTTP interactions hit the providers' real routes after the built-in state handler seeded each state through the
services' own APIs; message interactions are verified on the event the provider really published to Kafka (caused
through its API, read back by the capture observer).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from fleetcheck.pact import PACT_DIR, PactError, load_pacts, verify_pact

if TYPE_CHECKING:
    from pathlib import Path

    from fleetcheck.targets import Target

pytestmark = pytest.mark.servers

PACTS = load_pacts()


@pytest.mark.parametrize("pact", PACTS, ids=[p.path.stem for p in PACTS])
def test_the_pact_verifies_against_the_fleet(  # type: ignore[no-untyped-def]
    pact_fleet: Target, pact, capfd: pytest.CaptureFixture[str]
) -> None:
    verification = verify_pact(pact_fleet, pact)
    assert verification.verified, verification.summary() + "\n" + verification.output[-3000:]
    # the verifier really ran every interaction of the file (an empty or filtered run would also "pass")
    for description, _kind in pact.interactions:
        assert description in verification.output, verification.output
    # ... and kept its report for the verdict instead of printing it over the caller's output (a scorecard)
    assert "Verifying a pact between" not in capfd.readouterr().out


def test_a_message_pact_is_verified_on_the_event_kafka_carried(pact_fleet: Target) -> None:
    from fleetcheck.pact import EventCauses

    causes = EventCauses(pact_fleet)
    message = causes.produce("auth.user.locked: a user locked after failed logins")
    (event,) = causes.seen
    assert message["contents"] == event.value  # the body is the record's value, byte for byte
    assert message["metadata"] == {"topic": "auth.user.locked", "key": event.key,
                                   "x-tenant-id": event.header("x-tenant-id")}  # fmt: skip
    assert json.loads(event.value)["type"] == "auth.user.locked"


def test_missing_pacts_and_unknown_providers_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(PactError, match="no pact file or directory at"):
        load_pacts(tmp_path / "nowhere")
    with pytest.raises(PactError, match="holds no pact files"):
        load_pacts(tmp_path)
    with pytest.raises(PactError, match=r"no pact in .* has provider audit"):
        load_pacts(PACT_DIR, providers=["audit"])
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(PactError, match="is not a readable pact file"):
        load_pacts(tmp_path)


def test_message_topics_are_judged_against_the_topics_the_kafka_broker_lists(pact_fleet: Target) -> None:
    """PACT-MESSAGE-TOPIC-PRODUCED asks the fleet's own broker: every message pact's topic exists there; the same
    observation without one of those topics (a deployment that never created it) fails, naming it."""
    import dataclasses

    from fleetcheck.contracts.catalogue import CHECKS
    from fleetcheck.contracts.findings import Outcome
    from fleetcheck.contracts.registry import CheckContext, run_check
    from fleetcheck.pact import observe_pacts

    observation = observe_pacts(pact_fleet, [], lambda _m: None)  # the pacts as data and the broker's topics
    assert observation.topics is not None
    assert not observation.topics.error, observation.topics
    fleet = pact_fleet.fleet
    check, context = CHECKS["PACT-MESSAGE-TOPIC-PRODUCED"], CheckContext(fleet.service("auth"), fleet)
    result = run_check(check, context, observation)
    assert result.outcome is Outcome.PASSED, [f.observed for f in result.findings]
    assert "topics the Kafka broker at" in result.judged_what
    without = tuple(t for t in observation.topics.topics if t[0] != "auth.user.locked")
    missing = dataclasses.replace(observation, topics=dataclasses.replace(observation.topics, topics=without))
    failed = run_check(check, context, missing)
    assert failed.outcome is Outcome.FAILED
    assert any("auth.user.locked, which does not exist on the Kafka broker" in f.observed for f in failed.findings)
