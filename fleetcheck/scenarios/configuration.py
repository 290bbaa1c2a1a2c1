"""configuration: a setting created, changed, written again unchanged (no change: no event), refused for a bad key,
and deleted; a feature flag switched on. Every change is ``configuration.setting.changed``, keyed by the setting (or
flag). Bursts create settings."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from ._context import ScenarioContext, Writer, tenant, write

if TYPE_CHECKING:
    import httpx

    from fleetcheck.contracts.events import WriteRecord
    from fleetcheck.targets import Credentials, Endpoint

SERVICE = "configuration"
TOPIC = "configuration.setting.changed"


def scenario(ctx: ScenarioContext) -> None:
    token, tenant_id = tenant(ctx)
    path = f"/settings/events/vat-{uuid.uuid4().hex[:10]}"
    created = ctx.act("PUT /settings/{scope}/{key} (new)", "PUT", path, {"value": {"rate": "15.00", "label": "ভ্যাট"}},
                      topic=TOPIC, tenant_id=tenant_id, token=token)  # fmt: skip
    setting = str(created.get("id", "")) if isinstance(created, dict) else ""
    changed = {"value": {"rate": "7.50", "label": "ভ্যাট"}}
    ctx.act("PUT /settings/{scope}/{key} (new value)", "PUT", path, changed, topic=TOPIC, tenant_id=tenant_id,
            aggregate_id=setting, token=token)  # fmt: skip
    ctx.act("PUT /settings/{scope}/{key} (same value: no change)", "PUT", path, changed, topic=None,
            tenant_id=tenant_id, aggregate_id=setting, token=token)  # fmt: skip
    ctx.act("PUT /settings/{scope}/{key} (upper-case key)", "PUT", "/settings/events/Bad-Key", {"value": 1},
            topic=None, tenant_id=tenant_id, token=token)  # fmt: skip
    ctx.act("DELETE /settings/{scope}/{key}", "DELETE", path, topic=TOPIC, tenant_id=tenant_id, aggregate_id=setting,
            token=token)  # fmt: skip
    ctx.act("PUT /feature-flags/{flag_key}", "PUT", f"/feature-flags/events-{uuid.uuid4().hex[:10]}",
            {"enabled": True, "description": "event scenario"}, topic=TOPIC, tenant_id=tenant_id,
            token=token)  # fmt: skip


def _setting(client: httpx.Client, endpoint: Endpoint, credentials: Credentials, n: int) -> WriteRecord:
    return write(client, endpoint, (SERVICE, TOPIC), "PUT", f"/settings/burst/key-{uuid.uuid4().hex[:12]}",
                 {"value": n}, credentials.tenant_token)  # fmt: skip


WRITER = Writer(SERVICE, TOPIC, _setting)
