"""The compact declaration the per-topic payload schemas are generated from (``python -m
fleetcheck.contracts.schemas.events``).

Each topic maps to its payload fields: ``name: type``; a trailing ``?`` makes a field nullable, a leading ``~`` makes it
optional. Types: ``uuid``, ``string``, ``datetime`` (RFC 3339 with an offset), ``date`` (``2019-07-01``),
``integer``, ``number`` (an integer or a fraction), ``boolean``, ``decimal`` (money or a rate as a string with two
decimals, ``"15.00"``), ``object``,
``array``, ``any`` (any JSON value, null included), or ``enum:a|b|c``. A topic whose producer's
payload is not pinned field by field yet is declared ``LOOSE`` (an object; it says so in its schema's description).

Payloads come from the producers' ``add_event(...)`` calls in ``reference_services/<service>``.
"""

from __future__ import annotations

__all__ = ["DECLARATIONS", "LOOSE"]

LOOSE: dict[str, str] = {}

_MASTER_DATA_ROW = {"id": "uuid", "tenant_id": "uuid", "created_at": "datetime", "updated_at": "datetime?"}
_TEXT = "string?"
_ENTITIES: dict[str, tuple[str, dict[str, str]]] = {
    "customer": (
        "code",
        {
            "code": "string",
            "name": "string",
            "name_bn": _TEXT,
            "email": _TEXT,
            "phone": _TEXT,
            "tin": _TEXT,
            "nid": _TEXT,
            "address": _TEXT,
        },
    ),
    "vendor": (
        "code",
        {
            "code": "string",
            "name": "string",
            "tin": _TEXT,
            "bin": _TEXT,
            "email": _TEXT,
            "phone": _TEXT,
            "address": _TEXT,
        },
    ),
    "product": (
        "sku",
        {
            "sku": "string",
            "name": "string",
            "category": _TEXT,
            "unit_of_measure": _TEXT,
            "vat_rate": "decimal?",
            "hs_code": _TEXT,
        },
    ),
    "account": (
        "code",
        {
            "code": "string",
            "name": "string",
            "account_type": "enum:asset|liability|equity|revenue|expense",
            "parent_id": "uuid?",
            "balance": "decimal?",
        },
    ),
}


def _master_data() -> dict[str, dict[str, str]]:
    topics: dict[str, dict[str, str]] = {}
    for entity, (key, fields) in _ENTITIES.items():
        row = {**_MASTER_DATA_ROW, **fields}
        topics[f"master-data.{entity}.created"] = row
        topics[f"master-data.{entity}.updated"] = row
        topics[f"master-data.{entity}.deleted"] = {"id": "uuid", "tenant_id": "uuid", key: "string"}
    return topics


_TENANT = {"id": "uuid", "name": "string", "code": "string", "status": "string"}
_DOCUMENT = {"id": "uuid", "tenant_id": "uuid", "template": "string", "format": "string", "created_at": "datetime"}
_RUN = {
    "id": "uuid",
    "job_id": "uuid",
    "tenant_id": "uuid",
    "trigger": "enum:manual|schedule",
    "started_at": "datetime",
    "finished_at": "datetime",
}
_RUN_JOB = {"job_code": "string", "job_type": "string"}
_TRANSFER_JOB = {
    "id": "uuid",
    "tenant_id": "uuid",
    "direction": "enum:import|export",
    "entity_type": "string",
    "format": "string",
}
_TRANSFER_COUNTS = {
    "total_count": "integer",
    "success_count": "integer",
    "error_count": "integer",
    "created_at": "datetime",
}
_USER = {"user_id": "uuid", "tenant_id": "uuid"}
_WORKFLOW_TYPE = "enum:purchase-order|invoice-approval|leave-request|expense-reimbursement"
_PROCESS = {
    "id": "uuid",
    "tenant_id": "uuid",
    "workflow_type": _WORKFLOW_TYPE,
    "business_key": "string",
    "amount_bdt": "decimal?",
    "variables": "object",
    "created_at": "datetime",
    "updated_at": "datetime?",
}
_PROCESS_END = {"reason": "string"}
_TASK = {
    "id": "uuid",
    "task_id": "uuid",
    "tenant_id": "uuid",
    "process_id": "uuid",
    "workflow_type": _WORKFLOW_TYPE,
    "task_type": "enum:approval",
    "assignee_role": "string?",
    "assignee_user_id": "uuid?",
    "created_at": "datetime",
    "updated_at": "datetime?",
}
_OPEN_TASK = {**_TASK, "status": "enum:open", "outcome": "enum:approved|rejected?", "completed_at": "datetime?"}
_RULE_TYPE = "enum:vat|ait|approval"
_RULE = {
    "id": "uuid",
    "tenant_id": "uuid",
    "code": "string",
    "rule_type": _RULE_TYPE,
    "priority": "integer",
    "category_id": "uuid?",
    "category_code": "string?",
    "effective_from": "date",
    "effective_to": "date?",
    "active": "boolean",
    "conditions": "array",
    "actions": "array",
}
_EVALUATION_REQUEST = {
    "evaluation_id": "uuid",
    "entity_type": "string",
    "entity_id": "string",
    "rule_type": _RULE_TYPE,
    "amount_bdt": "decimal?",
    "attributes": "object",
    "trigger": "enum:api|event",
    "context": "object",
}
_EVALUATION = {
    **_EVALUATION_REQUEST,
    "id": "uuid",
    "tenant_id": "uuid",
    "rule_code": "string?",
    "rate_percent": "decimal?",
    "tax_amount_bdt": "decimal?",
    "decision": "string?",
    "created_at": "datetime",
}

# api-gateway: every event names the gateway request (its key); user_id is the token's sub
_GATEWAY_RECEIVED = {"request_id": "uuid", "operation_name": "string?", "user_id": "string"}
# notification: the message row without its rendered body
_MESSAGE = {
    "id": "uuid",
    "tenant_id": "uuid",
    "channel": "enum:email|sms|in_app",
    "recipient": "string",
    "template": "string?",
    "subject": "string?",
    "source_event_id": "uuid?",
}

DECLARATIONS: dict[str, dict[str, str]] = {
    "auth.user.registered": {
        **_USER,
        "email": "string",
        "first_name": "string",
        "last_name": "string",
        "first_name_bn": "string?",
    },
    "auth.user.login": {**_USER, "login_type": "string"},
    "auth.token.refresh": {**_USER, "family_id": "uuid"},
    "auth.user.locked": {**_USER, "email": "string", "failed_attempts": "integer", "locked_until": "datetime"},
    **_master_data(),
    "organization.tenant.created": _TENANT,
    "organization.tenant.updated": _TENANT,
    "organization.tenant.suspended": _TENANT,
    "workflow.process.started": {**_PROCESS, "status": "enum:pending_rules"},
    "workflow.process.completed": {
        **_PROCESS,
        "status": "enum:completed|rejected",
        "outcome": "enum:approved|rejected",
        **_PROCESS_END,
    },
    "workflow.process.failed": {**_PROCESS, "status": "enum:failed", "outcome": "enum:failed", **_PROCESS_END},
    "workflow.task.created": {**_OPEN_TASK, "business_key": "string", "amount_bdt": "decimal?"},
    "workflow.task.assigned": {**_OPEN_TASK, "user_id": "uuid"},
    "workflow.task.completed": {
        **_TASK,
        "status": "enum:completed",
        "outcome": "enum:approved|rejected",
        "completed_at": "datetime",
        "completed_by": "string",
    },
    "workflow.transition.triggered": {
        "id": "uuid",
        "process_id": "uuid",
        "workflow_type": _WORKFLOW_TYPE,
        "business_key": "string",
        "from_state": "enum:new|pending_rules|awaiting_approval",
        "to_state": "enum:pending_rules|awaiting_approval|completed|rejected|failed",
        "reason": "string",
        "created_at": "datetime",
    },
    "rules.rule.created": {**_RULE, "~seeded": "boolean"},
    "rules.rule.updated": _RULE,
    "rules.rule.deleted": {"id": "uuid", "tenant_id": "uuid", "code": "string", "rule_type": _RULE_TYPE},
    "rules.evaluation.requested": _EVALUATION_REQUEST,
    "rules.evaluation.completed": {**_EVALUATION, "outcome": "enum:matched|no_match", "error": "string?"},
    "rules.evaluation.failed": {**_EVALUATION, "outcome": "enum:error", "error": "string"},
    "file-storage.file.uploaded": {
        "id": "uuid",
        "tenant_id": "uuid",
        "name": "string",
        "content_type": "string",
        "size_bytes": "integer",
        "sha256": "string",
    },
    "file-storage.file.deleted": {"id": "uuid", "tenant_id": "uuid", "name": "string", "size_bytes": "integer"},
    "document-generator.document.generated": {
        **_DOCUMENT,
        "file_id": "uuid",
        "status": "enum:generated",
        "error": "string?",
    },
    "document-generator.document.failed": {**_DOCUMENT, "file_id": "uuid?", "status": "enum:failed", "error": "string"},
    "scheduler.job.executed": {**_RUN, "status": "enum:succeeded", "error": "string?", "result": "object", **_RUN_JOB},
    "scheduler.job.failed": {**_RUN, "status": "enum:failed", "error": "string", "result": "object?", **_RUN_JOB},
    "configuration.setting.changed": {
        "id": "uuid",
        "scope": "string",
        "key": "string",
        "action": "enum:created|updated|deleted",
        "value": "any",
        "previous_value": "any",
    },
    "import-export.job.completed": {**_TRANSFER_JOB, "status": "enum:completed", **_TRANSFER_COUNTS},
    "import-export.job.failed": {**_TRANSFER_JOB, "status": "enum:failed", **_TRANSFER_COUNTS, "reason": "string"},
    "audit.log.created": {
        "id": "uuid",
        "event_id": "uuid",
        "event_type": "string",
        "severity": "enum:info|warning|error",
        "outcome": "enum:success|failure",
    },
    "gateway.query.received": {**_GATEWAY_RECEIVED, "operation_type": "enum:query"},
    "gateway.mutation.received": {**_GATEWAY_RECEIVED, "operation_type": "enum:mutation"},
    "gateway.query.completed": {
        "request_id": "uuid",
        "operation_type": "enum:query|mutation",
        "operation_name": "string?",
        "status": "enum:success|error",
        "error_count": "integer",
        "duration_ms": "number",
    },
    "gateway.federation.error": {"request_id": "uuid", "service": "string", "reason": "string", "status": "string"},
    "gateway.auth.failed": {
        "request_id": "uuid",
        "reason": "enum:missing_token|invalid_token|tenant_mismatch|refused_by_subgraph",
        "service": "string?",
    },
    "notification.message.sent": {**_MESSAGE, "status": "enum:sent", "error": "string?", "sent_at": "datetime"},
    "notification.message.failed": {**_MESSAGE, "status": "enum:failed", "error": "string", "sent_at": "datetime?"},
}
