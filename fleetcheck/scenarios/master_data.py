"""master-data: a customer created, refused as a duplicate, renamed and deleted; a vendor, a product and an account
created, renamed and deleted; bursts create customers."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from ._context import ScenarioContext, Writer, tenant, write

if TYPE_CHECKING:
    import httpx

    from fleetcheck.contracts.events import WriteRecord
    from fleetcheck.targets import Credentials, Endpoint

SERVICE = "master-data"


def scenario(ctx: ScenarioContext) -> None:
    token, tenant_id = tenant(ctx)
    code = f"EV-{uuid.uuid4().hex[:10]}"
    created = ctx.act("POST /customers", "POST", "/customers", {"code": code, "name": "Event Customer"},
                      topic="master-data.customer.created", tenant_id=tenant_id, token=token)  # fmt: skip
    customer = str(created.get("id", "")) if isinstance(created, dict) else ""
    ctx.act("POST /customers (duplicate code)", "POST", "/customers", {"code": code, "name": "Duplicate"},
            topic=None, tenant_id=tenant_id, aggregate_id=customer, token=token)  # fmt: skip
    ctx.act("PATCH /customers/{customer_id}", "PATCH", f"/customers/{customer}", {"name": "Renamed Customer"},
            topic="master-data.customer.updated", tenant_id=tenant_id, aggregate_id=customer, token=token)  # fmt: skip
    ctx.act("DELETE /customers/{customer_id}", "DELETE", f"/customers/{customer}",
            topic="master-data.customer.deleted", tenant_id=tenant_id, aggregate_id=customer, token=token)  # fmt: skip
    suffix = uuid.uuid4().hex[:10].upper()
    others = {
        "vendor": ("/vendors", {"code": f"EV-V-{suffix}", "name": "Event Vendor"}),
        "product": ("/products", {"sku": f"EV-P-{suffix}", "name": "Event Product"}),
        "account": ("/accounts", {"code": f"EV-A-{suffix}", "name": "Event Account", "account_type": "asset"}),
    }
    for entity, (path, body) in others.items():
        made = ctx.act(f"POST {path}", "POST", path, body, topic=f"master-data.{entity}.created", tenant_id=tenant_id,
                       token=token)  # fmt: skip
        entity_id = str(made.get("id", "")) if isinstance(made, dict) else ""
        ctx.act(f"PATCH {path}/{{id}}", "PATCH", f"{path}/{entity_id}", {"name": f"Renamed {entity}"},
                topic=f"master-data.{entity}.updated", tenant_id=tenant_id, aggregate_id=entity_id,
                token=token)  # fmt: skip
        ctx.act(f"DELETE {path}/{{id}}", "DELETE", f"{path}/{entity_id}", topic=f"master-data.{entity}.deleted",
                tenant_id=tenant_id, aggregate_id=entity_id, token=token)  # fmt: skip


def _customer(client: httpx.Client, endpoint: Endpoint, credentials: Credentials, n: int) -> WriteRecord:
    body = {"code": f"B-{uuid.uuid4().hex[:12]}", "name": f"Burst customer {n}"}
    return write(client, endpoint, (SERVICE, "master-data.customer.created"), "POST", "/customers", body,
                 credentials.tenant_token)  # fmt: skip


WRITER = Writer(SERVICE, "master-data.customer.created", _customer)
