"""notification's pure parts: recipients per channel, template rendering, the message an event asks for."""

from __future__ import annotations

import uuid

import pytest

from reference_services.notification.messages import RecipientError, check_recipient, from_event, render


def test_sms_recipient_is_normalised_to_the_international_bangladesh_form() -> None:
    assert check_recipient("sms", "01712-345678") == "+8801712345678"
    assert check_recipient("sms", "+8801812345678") == "+8801812345678"


@pytest.mark.parametrize(("channel", "recipient"), [("sms", "01212345678"), ("sms", "12345"), ("email", "no-at")])
def test_a_recipient_that_does_not_fit_the_channel_is_refused_naming_the_field(channel: str, recipient: str) -> None:
    with pytest.raises(RecipientError, match=r"^recipient: expected"):
        check_recipient(channel, recipient)


def test_render_fills_dollar_placeholders_and_never_evaluates_format_fields() -> None:
    assert render("প্রিয় $name, {0.__class__} $missing", {"name": "করিম"}) == "প্রিয় করিম, {0.__class__} $missing"


def test_a_lockout_event_becomes_an_email_to_the_locked_user() -> None:
    event = {
        "id": str(uuid.uuid4()),
        "type": "auth.user.locked",
        "subject": "u-1",
        "data": {"email": "karim@example.com", "failed_attempts": 5},
    }
    message = from_event(event)
    assert (message.channel, message.recipient, message.template) == ("email", "karim@example.com", "account-locked")


def test_an_assignment_goes_in_app_to_the_assigned_user_workflow_names() -> None:
    data = {"id": "t-1", "assignee_user_id": "u-7", "user_id": "u-7", "task_type": "approval", "process_id": "p-1"}
    event = {"id": str(uuid.uuid4()), "type": "workflow.task.assigned", "subject": "t-1", "data": data}
    assert (from_event(event).channel, from_event(event).recipient) == ("in_app", "u-7")
