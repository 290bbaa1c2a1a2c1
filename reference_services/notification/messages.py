"""Message requests, built-in templates, recipients and rendering (pure: no I/O)."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from typing import Any

__all__ = ["BUILT_IN_TEMPLATES", "EVENT_TEMPLATES", "MessageRequest", "RecipientError", "check_recipient",
           "from_event", "render"]  # fmt: skip

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_MOBILE = re.compile(r"^(\+?880|0)1[3-9]\d{8}$")


@dataclass(frozen=True, slots=True)
class BuiltInTemplate:
    channel: str
    subject: str
    body: str


BUILT_IN_TEMPLATES = {
    "process-completed": BuiltInTemplate(
        "email", "Process $workflow_type completed", "Your $workflow_type process $business_key finished: $status."
    ),
    "task-assigned": BuiltInTemplate(
        "in_app", "New task", "Task $task_type of process $process_id is assigned to you."
    ),
    "account-locked": BuiltInTemplate(
        "email", "Account locked", "Your account $email was locked after $failed_attempts failed sign-ins."
    ),
}
# consumed topic -> (template, the data fields that may name the recipient, first found wins)
EVENT_TEMPLATES = {
    "workflow.process.completed": ("process-completed", ("initiator_email", "email", "initiator", "started_by")),
    "workflow.task.assigned": ("task-assigned", ("assignee_email", "email", "assignee_user_id", "user_id")),
    "auth.user.locked": ("account-locked", ("email", "user_id")),
}


@dataclass(frozen=True, slots=True)
class MessageRequest:
    """What to send: a template code (tenant's or built-in) or an explicit body, rendered with ``data``."""

    channel: str | None
    recipient: str
    template: str | None = None
    subject: str | None = None
    body: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    source_event_id: str | None = None


class RecipientError(ValueError):
    """The recipient does not fit the channel (the message names the field, what was expected and what was seen)."""


def check_recipient(channel: str, recipient: str) -> str:
    """The normalised recipient: e-mail as given, a Bangladesh mobile as ``+8801XXXXXXXXX``, in-app ids as given."""
    if channel == "email" and not _EMAIL.match(recipient):
        raise RecipientError(f"recipient: expected an e-mail address for channel email; got {recipient!r}")
    if channel == "sms":
        digits = re.sub(r"[\s-]", "", recipient)
        if not _MOBILE.match(digits):
            raise RecipientError(f"recipient: expected a Bangladesh mobile (01XXXXXXXXX or +8801XXXXXXXXX) for "
                                 f"channel sms; got {recipient!r}")  # fmt: skip
        return "+880" + digits[-10:]
    return recipient


def render(text: str | None, data: dict[str, Any]) -> str | None:
    """``$name`` placeholders filled from ``data``; unknown ones stay as written (no format-string evaluation)."""
    if text is None:
        return None
    return string.Template(text).safe_substitute({k: str(v) for k, v in data.items()})


def from_event(event: dict[str, Any]) -> MessageRequest:
    """The message a consumed event asks for: its template, and a recipient read from its data (or its subject)."""
    template, fields = EVENT_TEMPLATES[str(event["type"])]
    data = event.get("data") if isinstance(event.get("data"), dict) else {}
    recipient = next((str(data[f]) for f in fields if data.get(f)), str(event.get("subject") or "unknown"))
    channel = "email" if _EMAIL.match(recipient) else "in_app"
    return MessageRequest(channel=channel, recipient=recipient, template=template, data=data,
                          source_event_id=str(event["id"]))  # fmt: skip
