"""From a CloudEvent to an audit record: severity and outcome from the event type, bounded label values."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = ["OUTCOMES", "SEVERITIES", "AuditFacts", "classify", "facts_of"]

SEVERITIES = ("info", "warning", "error")
OUTCOMES = ("success", "failure")

# The last part of a topic name is the action (`auth.user.locked` -> locked); these actions are not plain successes.
_ACTION_CLASS = {
    "failed": ("error", "failure"),
    "error": ("error", "failure"),
    "locked": ("warning", "failure"),
    "suspended": ("warning", "success"),
    "deleted": ("warning", "success"),
}
_MAX_TEXT = 255


@dataclass(frozen=True, slots=True)
class AuditFacts:
    """The columns of one audit record, read from one CloudEvent."""

    event_id: uuid.UUID
    tenant_id: uuid.UUID
    event_type: str
    source: str
    subject: str | None
    severity: str
    outcome: str
    occurred_at: datetime
    payload: dict[str, Any]


def classify(event_type: str) -> tuple[str, str]:
    """``(severity, outcome)`` of an event type: ``classify("auth.user.locked") == ("warning", "failure")``."""
    return _ACTION_CLASS.get(event_type.rsplit(".", 1)[-1], ("info", "success"))


def _occurred_at(value: Any) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return datetime.now(UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def facts_of(event: dict[str, Any]) -> AuditFacts:
    """The record of ``event``; raises KeyError/ValueError when the id, tenant or type is missing or malformed."""
    event_type = str(event["type"])[:_MAX_TEXT]
    severity, outcome = classify(event_type)
    subject = event.get("subject")
    return AuditFacts(
        event_id=uuid.UUID(str(event["id"])),
        tenant_id=uuid.UUID(str(event["tenantid"])),
        event_type=event_type,
        source=str(event.get("source") or "unknown")[:_MAX_TEXT],
        subject=None if subject is None else str(subject)[:_MAX_TEXT],
        severity=severity,
        outcome=outcome,
        occurred_at=_occurred_at(event.get("time")),
        payload=event,
    )
