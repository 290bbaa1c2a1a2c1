"""organization: a tenant created, refused as a duplicate, renamed and suspended (platform admin).

No burst writer: every write creates a tenant, which the fleet's other services would then have to know about.
"""

from __future__ import annotations

import uuid

from ._context import ScenarioContext, answer_id, platform_admin

SERVICE = "organization"


def scenario(ctx: ScenarioContext) -> None:
    admin = platform_admin(ctx, SERVICE)
    code = f"ev-{uuid.uuid4().hex[:10]}"
    sent = ctx.send("POST", "/tenants", {"name": f"Events {code}", "code": code}, token=admin)
    tenant_id = answer_id(sent[0])
    # the new tenant is both the aggregate and the event's tenant
    ctx.record("POST /tenants", sent, "organization.tenant.created", tenant_id, tenant_id)
    ctx.act("POST /tenants (duplicate code)", "POST", "/tenants", {"name": "Duplicate", "code": code},
            topic=None, tenant_id=tenant_id, aggregate_id=tenant_id, token=admin)  # fmt: skip
    ctx.act("PATCH /tenants/{tenant_id}", "PATCH", f"/tenants/{tenant_id}", {"name": f"Renamed {code}"},
            topic="organization.tenant.updated", tenant_id=tenant_id, aggregate_id=tenant_id, token=admin)  # fmt: skip
    ctx.act("POST /tenants/{tenant_id}/suspend", "POST", f"/tenants/{tenant_id}/suspend",
            topic="organization.tenant.suspended", tenant_id=tenant_id, aggregate_id=tenant_id,
            token=admin)  # fmt: skip
