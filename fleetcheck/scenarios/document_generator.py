"""document-generator: an invoice generated from the built-in template; a document refused for a template the
tenant does not have (422, nothing rendered, no event); and a document of the tenant's own template that fails to
render (an undefined variable): answered 422 with the failed document, recorded, and reported by
``document-generator.document.failed`` (a refusal whose event is judged like any other).

No burst writer: a document also uploads its file, so one write causes a file-storage event with the same correlation
id, which a burst with file-storage's writer would count as a second event of that write.
"""

from __future__ import annotations

import uuid

from ._context import ScenarioContext, tenant

SERVICE = "document-generator"


def _invoice() -> dict[str, object]:
    return {
        "invoice_number": f"EV-{uuid.uuid4().hex[:8]}",
        "customer": {"name": "Dhaka Traders", "name_bn": "ঢাকা ট্রেডার্স", "tin": "123456789012"},
        "lines": [{"description": "Rice", "quantity": 2, "unit_price": "150.00", "vat_rate": "0.00"},
                  {"description": "Notebook", "quantity": 3, "unit_price": "40.50"}],
    }  # fmt: skip


def scenario(ctx: ScenarioContext) -> None:
    token, tenant_id = tenant(ctx)
    ctx.act("POST /documents", "POST", "/documents", {"template": "invoice", "format": "html", "data": _invoice()},
            topic="document-generator.document.generated", tenant_id=tenant_id, token=token)  # fmt: skip
    missing = f"no-such-template-{uuid.uuid4().hex[:8]}"
    ctx.act("POST /documents (unknown template)", "POST", "/documents", {"template": missing, "data": {}},
            topic=None, tenant_id=tenant_id, token=token)  # fmt: skip
    code = f"ev-broken-{uuid.uuid4().hex[:8]}"
    ctx.send("POST", "/templates", {"code": code, "name": "Needs a value", "format": "html",
             "body": "<p>{{ data.missing.value }}</p>"}, token=token)  # fmt: skip  # set-up: no event
    sent = ctx.send("POST", "/documents", {"template": code, "data": {}}, token=token)
    failed = sent[1].get("document") if isinstance(sent[1], dict) else None
    document_id = str(failed.get("id", "")) if isinstance(failed, dict) else ""
    ctx.record("POST /documents (template fails to render)", sent, "document-generator.document.failed", document_id,
               tenant_id, refusal=True)  # fmt: skip
