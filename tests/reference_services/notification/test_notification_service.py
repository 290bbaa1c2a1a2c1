"""notification end to end: real auth and notification processes; messages land in the local sink and are published."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from service_support import (
    Caller,
    TopicCapture,
    cloud_event,
    event_of,
    new_caller,
    produce,
    sample,
    wait_for,
)

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.servers

SENT = "notifications_sent_total"


def _sink_lines(sink_dir: Path, tenant_id: str, channel: str) -> list[dict[str, Any]]:
    path = sink_dir / tenant_id / f"{channel}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.is_file() else []


def _list(url: str, caller: Caller, **params: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{url}/notifications", params=params, headers=caller.headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_sent_message_is_stored_written_to_the_sink_and_published_once(
    notif_url: str, caller: Caller, sink_dir: Path, bootstrap: str
) -> None:
    events = TopicCapture(bootstrap, "notification.message.sent")
    before = sample(notif_url, SENT, channel="email", status="sent")
    response = httpx.post(
        f"{notif_url}/notifications",
        headers=caller.headers,
        json={"channel": "email", "recipient": "rahim@example.com", "subject": "চালান", "body": "আপনার চালান প্রস্তুত 🧾"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["status"], body["tenant_id"], body["body"]) == ("sent", caller.tenant_id, "আপনার চালান প্রস্তুত 🧾")
    assert body["sent_at"] is not None
    assert [line["id"] for line in _sink_lines(sink_dir, caller.tenant_id, "email")].count(body["id"]) == 1
    mine = events.collect(match=lambda m: m.key == body["id"])
    assert len(mine) == 1, f"expected one notification.message.sent keyed {body['id']}; saw {len(mine)}"
    assert event_of(mine[0])["tenantid"] == caller.tenant_id
    assert sample(notif_url, SENT, channel="email", status="sent") == before + 1
    assert httpx.get(f"{notif_url}/notifications/{body['id']}", headers=caller.headers).json()["status"] == "sent"


def test_a_sink_that_cannot_be_written_marks_the_message_failed_and_publishes_failed(
    notif_url: str, auth_url: str, sink_dir: Path, bootstrap: str
) -> None:
    caller = new_caller(auth_url)
    # a directory where the tenant's e-mail file should be: the append fails, even for root
    (sink_dir / caller.tenant_id / "email.jsonl").mkdir(parents=True)
    events = TopicCapture(bootstrap, "notification.message.failed")
    failed, sent = (sample(notif_url, SENT, channel="email", status=s) for s in ("failed", "sent"))
    response = httpx.post(
        f"{notif_url}/notifications",
        headers=caller.headers,
        json={"channel": "email", "recipient": "rahim@example.com", "body": "hello"},
    )
    assert response.status_code == 201, response.text
    assert (response.json()["status"], response.json()["sent_at"]) == ("failed", None)
    assert "sink write failed" in response.json()["error"]
    assert len(events.collect(match=lambda m: m.key == response.json()["id"])) == 1
    assert sample(notif_url, SENT, channel="email", status="failed") == failed + 1
    assert sample(notif_url, SENT, channel="email", status="sent") == sent


def test_an_account_lockout_in_auth_sends_exactly_one_email_to_the_user(
    notif_url: str, auth_url: str, sink_dir: Path
) -> None:
    tenant, email, password = str(uuid.uuid4()), f"locked-{uuid.uuid4().hex[:8]}@example.com", "s3cret-pass"
    assert httpx.post(f"{auth_url}/auth/register", json={"tenant_id": tenant, "email": email, "password": password,
                      "first_name": "Rahim", "last_name": "Uddin"}).status_code == 201  # fmt: skip
    statuses = [
        httpx.post(
            f"{auth_url}/auth/login", json={"tenant_id": tenant, "email": email, "password": "wrong"}
        ).status_code
        for _ in range(6)
    ]
    assert 403 in statuses, f"auth never locked the account: {statuses}"
    lines = wait_for("the lockout e-mail in the sink",
                     lambda: [line for line in _sink_lines(sink_dir, tenant, "email") if line["recipient"] == email],
                     timeout=40)  # fmt: skip
    assert len(lines) == 1
    assert email in lines[0]["body"]
    assert lines[0]["subject"] == "Account locked"


def test_a_consumed_assignment_notifies_the_assignee_once_even_when_replayed(
    notif_url: str, caller: Caller, sink_dir: Path, bootstrap: str
) -> None:
    event = cloud_event("workflow.task.assigned", caller.tenant_id,
                        {"assignee_user_id": "user-42", "task_type": "ক্রয় অনুমোদন", "process_id": "p-1"})  # fmt: skip
    value = json.dumps(event).encode()
    duplicates = sample(notif_url, "events_consumed_total", topic="workflow.task.assigned", outcome="duplicate")
    produce(bootstrap, "workflow.task.assigned", value, key=event["subject"].encode())
    produce(bootstrap, "workflow.task.assigned", value, key=event["subject"].encode())
    wait_for("the replay being seen as a duplicate", lambda: sample(
        notif_url, "events_consumed_total", topic="workflow.task.assigned", outcome="duplicate") == duplicates + 1,
        timeout=40)  # fmt: skip
    mine = [n for n in _list(notif_url, caller) if n["source_event_id"] == event["id"]]
    assert len(mine) == 1
    assert (mine[0]["channel"], mine[0]["recipient"], mine[0]["status"]) == ("in_app", "user-42", "sent")
    assert "ক্রয় অনুমোদন" in mine[0]["body"]
    assert [line["id"] for line in _sink_lines(sink_dir, caller.tenant_id, "in_app")].count(mine[0]["id"]) == 1


def test_a_tenant_template_renders_and_a_duplicate_code_is_409(notif_url: str, caller: Caller) -> None:
    code = f"invoice-{uuid.uuid4().hex[:6]}"
    template = {"code": code, "channel": "sms", "body": "Invoice $number: $amount BDT"}
    created = httpx.post(f"{notif_url}/templates", json=template, headers=caller.headers)
    assert created.status_code == 201, created.text
    assert httpx.post(f"{notif_url}/templates", json=template, headers=caller.headers).status_code == 409
    sent = httpx.post(
        f"{notif_url}/notifications",
        headers=caller.headers,
        json={"recipient": "01712-345678", "template": code, "data": {"number": "INV-7", "amount": 1500}},
    )
    assert sent.status_code == 201, sent.text
    assert (sent.json()["channel"], sent.json()["recipient"], sent.json()["body"]) == (
        "sms",
        "+8801712345678",
        "Invoice INV-7: 1500 BDT",
    )


def test_another_tenant_gets_404_and_never_lists_the_message(
    notif_url: str, caller: Caller, other_caller: Caller
) -> None:
    created = httpx.post(
        f"{notif_url}/notifications",
        headers=caller.headers,
        json={"channel": "in_app", "recipient": "u-1", "body": "private"},
    ).json()
    assert httpx.get(f"{notif_url}/notifications/{created['id']}", headers=other_caller.headers).status_code == 404
    assert created["id"] not in {n["id"] for n in _list(notif_url, other_caller)}
    assert {n["tenant_id"] for n in _list(notif_url, other_caller)} <= {other_caller.tenant_id}
    assert httpx.get(f"{notif_url}/notifications/{created['id']}", headers=caller.headers).json()["body"] == "private"


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"channel": "email", "recipient": "a@example.com"}, 422, "body"),
        ({"channel": "sms", "recipient": "12345", "body": "x"}, 422, "recipient"),
        ({"recipient": "a@example.com", "template": "no-such-template"}, 422, "template"),
        ({"channel": "fax", "recipient": "a@example.com", "body": "x"}, 400, "channel"),
        ({"channel": "email", "recipient": 7, "body": "x"}, 400, "recipient"),
        ({"channel": "email", "recipient": "a@example.com", "body": "x", "extra": "'; DROP TABLE x;--"}, 400, "extra"),
    ],
)
def test_invalid_requests_are_problems_naming_the_field_and_store_nothing(
    notif_url: str, caller: Caller, payload: dict[str, Any], status: int, field: str
) -> None:
    stored = len(_list(notif_url, caller, limit="500"))
    response = httpx.post(f"{notif_url}/notifications", json=payload, headers=caller.headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in response.text
    assert len(_list(notif_url, caller, limit="500")) == stored


def test_garbage_json_is_400_and_routes_need_a_token(notif_url: str, caller: Caller) -> None:
    garbage = httpx.post(f"{notif_url}/notifications", content=b"{not json",
                         headers={**caller.headers, "content-type": "application/json"})  # fmt: skip
    assert garbage.status_code == 400
    assert garbage.headers["content-type"].startswith("application/problem+json")
    assert httpx.get(f"{notif_url}/notifications").status_code == 401
    assert httpx.get(f"{notif_url}/notifications/{uuid.uuid4()}").status_code == 401
    spoofed = httpx.get(f"{notif_url}/notifications", headers={**caller.headers, "X-Tenant-ID": str(uuid.uuid4())})
    assert spoofed.status_code == 403
