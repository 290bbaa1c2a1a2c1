"""audit's pure parts: event type -> severity/outcome, CloudEvent -> record, and the topic subscription."""

from __future__ import annotations

import re
import uuid

import pytest

from reference_services.audit.consumer import SUBSCRIPTION_PATTERN, subscription
from reference_services.audit.records import classify, facts_of


@pytest.mark.parametrize(
    ("event_type", "expected"),
    [
        ("auth.user.registered", ("info", "success")),
        ("auth.user.locked", ("warning", "failure")),
        ("workflow.process.failed", ("error", "failure")),
        ("organization.tenant.suspended", ("warning", "success")),
        ("master-data.customer.deleted", ("warning", "success")),
    ],
)
def test_classify_derives_severity_and_outcome_from_the_action(event_type: str, expected: tuple[str, str]) -> None:
    assert classify(event_type) == expected


def test_facts_of_reads_the_cloud_event_and_keeps_it_as_payload() -> None:
    event = {
        "id": str(uuid.uuid4()),
        "tenantid": str(uuid.uuid4()),
        "type": "auth.user.locked",
        "source": "/auth",
        "subject": "u-1",
        "time": "2025-07-01T10:00:00+06:00",
        "data": {"email": "a@b.c"},
    }
    facts = facts_of(event)
    assert (str(facts.event_id), str(facts.tenant_id), facts.source, facts.subject) == (
        event["id"],
        event["tenantid"],
        "/auth",
        "u-1",
    )
    assert facts.occurred_at.utcoffset().total_seconds() == 6 * 3600
    assert facts.payload == event


def test_facts_of_rejects_an_event_without_tenant() -> None:
    with pytest.raises(KeyError):
        facts_of({"id": str(uuid.uuid4()), "type": "auth.user.login"})


def test_subscription_pattern_matches_every_topic_but_audits_own() -> None:
    pattern = re.compile(SUBSCRIPTION_PATTERN)
    for topic in ("auth.user.login", "audition.x.y", "api.x.y", "workflow.task.assigned", "a.b.c", "au.x"):
        assert pattern.match(topic), topic
    assert not pattern.match("audit.log.created")


def test_subscription_uses_the_environment_list_without_audit_topics() -> None:
    env = {"FLEET_AUDIT_TOPICS": "auth.user.login, audit.log.created,workflow.task.assigned,"}
    assert subscription(env) == ["auth.user.login", "workflow.task.assigned"]
    assert subscription({}) == [SUBSCRIPTION_PATTERN]
