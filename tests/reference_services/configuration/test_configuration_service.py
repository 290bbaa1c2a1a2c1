"""configuration end to end: real auth and configuration processes; every change is one event and one count."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from service_support import TopicCapture, event_of, sample

if TYPE_CHECKING:
    from service_support import Caller

pytestmark = pytest.mark.servers

CHANGES = "configuration_changes_total"
TOPIC = "configuration.setting.changed"
VALUE = {"fiscal_year_start": "07-01", "vat_rate": 15.0, "label_bn": "মূসক হার", "note": "🧾 ' OR 1=1 --"}


def _key() -> str:
    return f"k-{uuid.uuid4().hex[:8]}"


def test_a_new_setting_is_stored_and_published_once_and_counted_once(
    config_url: str, caller: Caller, bootstrap: str
) -> None:
    key, events = _key(), TopicCapture(bootstrap, TOPIC)
    before = sample(config_url, CHANGES, scope="finance")
    created = httpx.put(f"{config_url}/settings/finance/{key}", json={"value": VALUE}, headers=caller.headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["scope"], body["key"], body["value"], body["tenant_id"]) == ("finance", key, VALUE, caller.tenant_id)
    mine = events.collect(match=lambda m: m.key == body["id"])
    assert len(mine) == 1, f"expected one {TOPIC} keyed {body['id']}; saw {len(mine)}"
    event = event_of(mine[0])
    assert (event["tenantid"], event["data"]["action"], event["data"]["value"]) == (caller.tenant_id, "created", VALUE)
    assert sample(config_url, CHANGES, scope="finance") == before + 1
    assert httpx.get(f"{config_url}/settings/finance/{key}", headers=caller.headers).json()["value"] == VALUE
    assert httpx.get(f"{config_url}/settings/{body['id']}", headers=caller.headers).json()["key"] == key


def test_writing_the_same_value_is_no_change_and_a_new_value_is_one_update(
    config_url: str, caller: Caller, bootstrap: str
) -> None:
    item, created = f"{config_url}/settings/tax/{_key()}", TopicCapture(bootstrap, TOPIC)
    setting_id = httpx.put(item, json={"value": 15}, headers=caller.headers).json()["id"]
    # the creation's event is relayed asynchronously: see it out before taking the offsets of the next capture
    assert len(created.collect(match=lambda m: m.key == setting_id, settle=0)) == 1
    events = TopicCapture(bootstrap, TOPIC)
    before = sample(config_url, CHANGES, scope="tax")
    same = httpx.put(item, json={"value": 15}, headers=caller.headers)
    assert same.status_code == 200
    changed = httpx.put(item, json={"value": 7.5}, headers=caller.headers)
    assert changed.status_code == 200
    assert changed.json()["value"] == 7.5
    mine = events.collect(match=lambda m: m.key == setting_id, until=2, timeout=8)
    assert [event_of(m)["data"]["action"] for m in mine] == ["updated"]
    assert (event_of(mine[0])["data"]["previous_value"], event_of(mine[0])["data"]["value"]) == (15, 7.5)
    assert sample(config_url, CHANGES, scope="tax") == before + 1


def test_delete_publishes_a_change_and_the_setting_is_gone(config_url: str, caller: Caller, bootstrap: str) -> None:
    item, created = f"{config_url}/settings/ui/{_key()}", TopicCapture(bootstrap, TOPIC)
    setting_id = httpx.put(item, json={"value": "dark"}, headers=caller.headers).json()["id"]
    assert len(created.collect(match=lambda m: m.key == setting_id, settle=0)) == 1
    events = TopicCapture(bootstrap, TOPIC)
    assert httpx.delete(item, headers=caller.headers).status_code == 204
    assert httpx.get(item, headers=caller.headers).status_code == 404
    mine = events.collect(match=lambda m: m.key == setting_id)
    assert [event_of(m)["data"]["action"] for m in mine] == ["deleted"]


def test_another_tenant_cannot_see_or_overwrite_a_setting(
    config_url: str, caller: Caller, other_caller: Caller
) -> None:
    key = _key()
    item = f"{config_url}/settings/security/{key}"
    created = httpx.put(item, json={"value": {"mfa": True}}, headers=caller.headers).json()
    assert httpx.get(item, headers=other_caller.headers).status_code == 404
    assert httpx.get(f"{config_url}/settings/{created['id']}", headers=other_caller.headers).status_code == 404
    assert httpx.delete(item, headers=other_caller.headers).status_code == 404
    # the same scope and key in another tenant is that tenant's own row
    theirs = httpx.put(item, json={"value": {"mfa": False}}, headers=other_caller.headers)
    assert theirs.status_code == 201
    assert theirs.json()["id"] != created["id"]
    listed = httpx.get(f"{config_url}/settings", params={"scope": "security"}, headers=other_caller.headers).json()
    assert {row["tenant_id"] for row in listed} == {other_caller.tenant_id}
    assert httpx.get(item, headers=caller.headers).json()["value"] == {"mfa": True}


def test_a_feature_flag_change_is_a_change_of_scope_feature_flags(
    config_url: str, caller: Caller, other_caller: Caller, bootstrap: str
) -> None:
    flag, events = _key(), TopicCapture(bootstrap, TOPIC)
    before = sample(config_url, CHANGES, scope="feature-flags")
    created = httpx.put(f"{config_url}/feature-flags/{flag}", json={"enabled": True, "description": "নতুন ড্যাশবোর্ড"},
                        headers=caller.headers)  # fmt: skip
    assert created.status_code == 201, created.text
    assert httpx.get(f"{config_url}/feature-flags/{flag}", headers=caller.headers).json()["enabled"] is True
    assert httpx.get(f"{config_url}/feature-flags/{flag}", headers=other_caller.headers).status_code == 404
    mine = events.collect(match=lambda m: m.key == created.json()["id"])
    assert [(event_of(m)["data"]["scope"], event_of(m)["data"]["value"]) for m in mine] == [("feature-flags", True)]
    assert sample(config_url, CHANGES, scope="feature-flags") == before + 1


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        ("/settings/Finance/x", {"value": 1}, "scope"),
        ("/settings/finance/x';DROP TABLE settings;--", {"value": 1}, "key"),
        ("/settings/finance/ok", {"val": 1}, "val"),
        ("/settings/finance/ok", {}, "value"),
        ("/feature-flags/ok", {"enabled": "yes"}, "enabled"),
    ],
)
def test_invalid_writes_are_400_problems_naming_the_field_and_change_nothing(
    config_url: str, caller: Caller, path: str, payload: dict[str, Any], field: str
) -> None:
    before = sample(config_url, CHANGES)
    response = httpx.put(f"{config_url}{path}", json=payload, headers=caller.headers)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in response.text
    assert sample(config_url, CHANGES) == before
    assert httpx.get(f"{config_url}/settings/finance/ok", headers=caller.headers).status_code in (404, 400)


def test_garbage_json_is_400_and_routes_need_a_token(config_url: str, caller: Caller) -> None:
    garbage = httpx.put(f"{config_url}/settings/finance/ok", content=b"{nope",
                        headers={**caller.headers, "content-type": "application/json"})  # fmt: skip
    assert garbage.status_code == 400
    assert httpx.get(f"{config_url}/settings/finance/ok", headers=caller.headers).status_code == 404
    for path in ("/settings", f"/settings/{uuid.uuid4()}", "/settings/finance/ok", "/feature-flags/x"):
        assert httpx.get(f"{config_url}{path}").status_code == 401, path
    spoofed = httpx.get(f"{config_url}/settings", headers={**caller.headers, "X-Tenant-ID": str(uuid.uuid4())})
    assert spoofed.status_code == 403
