"""audit: the audit records of a customer's life at master-data (created, updated, deleted) and of a refused write.

audit has no write of its own: it writes one record, and one ``audit.log.created`` keyed by the record's id, per event
it consumes. Each action goes to master-data; its audit record is found afterwards over ``GET /audit-logs`` (by event
type and subject, the customer's id), since the record's id is the aggregate of the event. A duplicate customer that
master-data refuses causes no event there, so none here either. No burst writer: a burst writer sends to the service
it judges, and audit takes no write.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from ._context import ScenarioContext, poll, tenant

if TYPE_CHECKING:
    from fleetcheck.contracts.observations import HttpExchange

SERVICE = "audit"
TOPIC = "audit.log.created"
_MASTER_DATA = "master-data"
_WAIT_S = 15.0  # master-data's relay, then audit's consumer: normally well under a second


def scenario(ctx: ScenarioContext) -> None:
    token, tenant_id = tenant(ctx)
    ctx.other(_MASTER_DATA)
    code = f"AU-{uuid.uuid4().hex[:10]}"
    created, data, correlation = ctx.send("POST", "/customers", {"code": code, "name": "Audited Customer"},
                                          token=token, service=_MASTER_DATA)  # fmt: skip
    customer = str(data.get("id", "")) if isinstance(data, dict) else ""
    sent: list[tuple[str, HttpExchange, str, str | None]] = [
        ("POST /customers (master-data)", created, correlation, "master-data.customer.created")
    ]
    answer, _, correlation = ctx.send("POST", "/customers", {"code": code, "name": "Duplicate"}, token=token,
                                      service=_MASTER_DATA)  # fmt: skip
    sent.append(("POST /customers (master-data, duplicate code)", answer, correlation, None))
    answer, _, correlation = ctx.send("PATCH", f"/customers/{customer}", {"name": "Renamed Audited Customer"},
                                      token=token, service=_MASTER_DATA)  # fmt: skip
    sent.append(("PATCH /customers/{customer_id} (master-data)", answer, correlation, "master-data.customer.updated"))
    answer, _, correlation = ctx.send("DELETE", f"/customers/{customer}", token=token, service=_MASTER_DATA)
    sent.append(("DELETE /customers/{customer_id} (master-data)", answer, correlation, "master-data.customer.deleted"))
    wanted = [t for _, a, _, t in sent if t is not None and 200 <= a.status < 300]
    records = _records(ctx, token, customer, wanted)
    for label, answer, correlation, event_type in sent:
        topic = TOPIC if event_type else None
        ctx.record(label, (answer, None, correlation), topic, records.get(event_type or "", ""), tenant_id)


def _records(ctx: ScenarioContext, token: str, subject: str, event_types: list[str]) -> dict[str, str]:
    """Audit record id by event type, for the records of ``subject`` audit has written within the wait."""
    found: dict[str, str] = {}

    def all_found() -> bool:
        for event_type in (t for t in event_types if t not in found):
            _, rows, _ = ctx.send("GET", f"/audit-logs?event_type={event_type}&limit=50", token=token)
            record = next((row for row in _rows(rows) if row.get("subject") == subject), None)
            if record is not None:
                found[event_type] = str(record.get("id", ""))
        return len(found) == len(event_types)

    poll(all_found, _WAIT_S, every_s=0.25)
    return found


def _rows(data: Any) -> list[dict[str, Any]]:
    return [row for row in data if isinstance(row, dict)] if isinstance(data, list) else []
