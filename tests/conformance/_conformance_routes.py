"""Every write route (a request with a body) of every reference service, with a valid body to spoil and a way to read
back what it stored.

The table is written by hand because a good body needs domain knowledge (a valid workflow type, a cron expression) that
an OpenAPI document does not carry for the services that decode their bodies themselves. ``test_write_routes_cover_
every_documented_write`` compares it with the live OpenAPI documents, so a new write route cannot be left out silently.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["BODYLESS_WRITES", "WRITE_ROUTES", "WriteRoute", "marker"]


def marker() -> str:
    """A fresh value that is valid as a code everywhere (letters, digits and '-') and findable in any listing."""
    return f"fc-{uuid.uuid4().hex[:12]}"


Body = dict[str, Any]


@dataclass(frozen=True, slots=True)
class WriteRoute:
    """One write route.

    ``body(mark, parent)`` is a valid body carrying ``mark`` (``parent`` is the id made by ``parent_route``, if any).
    ``text`` is a free-text field that must store Bengali, emoji and SQL metacharacters verbatim. ``wrong_type`` is a
    field and a value of the wrong JSON type (field ``""``: the whole body is that value, e.g. an array). ``target``
    is the route (same service) that creates the resource an ``{id}`` path writes to; ``listing`` a GET path whose
    answer must not mention ``mark`` after a refused create.
    """

    service: str
    method: str
    path: str
    body: Callable[[str, str | None], Body]
    wrong_type: tuple[str, Any]
    text: str | None = None
    listing: str | None = None
    target: str | None = None  # "POST /customers": creates the resource {id} names
    parent_route: str | None = None  # "organization:POST /organizations" creates what the body names; "tenant"

    @property
    def id(self) -> str:
        return f"{self.service}:{self.method} {self.path}"

    @property
    def creates(self) -> bool:
        return "{id}" not in self.path and self.method in {"POST", "PUT"}


def _org(mark: str, _: str | None) -> Body:
    return {"code": mark, "name": f"Org {mark}", "name_bn": "সংস্থা"}


def _customer(mark: str, _: str | None) -> Body:
    return {"code": mark, "name": f"Customer {mark}", "name_bn": "গ্রাহক", "address": "Dhaka"}


def _master(field: str, extra: Body) -> Callable[[str, str | None], Body]:
    return lambda mark, _: {field: mark, "name": f"Item {mark}", **extra}


def _template(mark: str, _: str | None) -> Body:
    return {"code": mark, "channel": "email", "subject": f"Subject {mark}", "body": "Hello {{ name }}"}


def _rule(mark: str, _: str | None) -> Body:
    return {"code": mark, "rule_type": "approval", "priority": 5,
            "conditions": [{"field": "amount_bdt", "operator": "gt", "value": 1000000}],
            "actions": [{"action_type": "decide", "parameters": {"decision": "manager_approval"}}]}  # fmt: skip


def _job(mark: str, _: str | None) -> Body:
    return {"code": mark, "job_type": "heartbeat", "cron": "*/30 * * * *", "enabled": False}


def _routes() -> list[WriteRoute]:
    master = [
        ("customers", _customer, "name"),
        ("vendors", _master("code", {"address": "Chattogram"}), "address"),
        ("products", _master("sku", {"category": "Textiles"}), "category"),
        ("accounts", _master("code", {"account_type": "asset"}), "name"),
    ]
    return [
        WriteRoute("organization", "POST", "/tenants", lambda m, _: {"name": f"Tenant {m}", "code": m},
                   ("code", 123), text="name", listing="/tenants"),
        WriteRoute("organization", "PATCH", "/tenants/{id}", lambda m, _: {"name": f"Tenant {m}"}, ("name", 123),
                   text="name", target="POST /tenants"),
        WriteRoute("organization", "POST", "/organizations", _org, ("code", 123), text="name",
                   listing="/organizations"),
        WriteRoute("organization", "PATCH", "/organizations/{id}", lambda m, _: {"name": f"Org {m}"}, ("name", 123),
                   text="name", target="POST /organizations"),
        WriteRoute("organization", "POST", "/divisions",
                   lambda m, parent: {"organization_id": parent, "code": m, "name": f"Division {m}"},
                   ("organization_id", 123), text="name", listing="/divisions",
                   parent_route="organization:POST /organizations"),
        WriteRoute("organization", "PATCH", "/divisions/{id}", lambda m, _: {"name": f"Division {m}"},
                   ("name", 123), text="name", target="POST /divisions"),
        WriteRoute("auth", "POST", "/auth/register", lambda m, tenant: {
            "tenant_id": tenant, "email": f"{m}@example.com", "password": f"Pw-{m}-Aa1!", "first_name": "Rahim",
            "last_name": "Uddin", "first_name_bn": "রহিম"}, ("email", 123), parent_route="tenant"),
        WriteRoute("auth", "POST", "/auth/login",
                   lambda m, tenant: {"tenant_id": tenant, "email": f"{m}@example.com", "password": "x"},
                   ("password", 123), parent_route="tenant"),
        WriteRoute("auth", "POST", "/auth/refresh", lambda m, _: {"refresh_token": m}, ("refresh_token", 123)),
        *[WriteRoute("master-data", "POST", f"/{name}", body, ("name", 123), text=text, listing=f"/{name}?limit=500")
          for name, body, text in master],
        *[WriteRoute("master-data", "PATCH", f"/{name}/{{id}}", lambda m, _: {"name": f"Renamed {m}"},
                     ("name", 123), text="name", target=f"POST /{name}") for name, _, _ in master],
        WriteRoute("workflow", "POST", "/processes",
                   lambda m, _: {"workflow_type": "leave-request", "business_key": m, "variables": {"days": 2}},
                   ("business_key", 123), text="business_key", listing="/processes?limit=500"),
        WriteRoute("workflow", "POST", "/tasks/{id}/complete", lambda m, _: {"outcome": "approved", "comment": m},
                   ("outcome", 5)),
        WriteRoute("workflow", "POST", "/tasks/{id}/assign", lambda m, _: {"user_id": str(uuid.uuid4())},
                   ("user_id", 5)),
        WriteRoute("rules-engine", "POST", "/rules", _rule, ("priority", "high"), listing="/rules?limit=500"),
        WriteRoute("rules-engine", "PATCH", "/rules/{id}", lambda m, _: {"priority": 7}, ("priority", "high"),
                   target="POST /rules"),
        WriteRoute("rules-engine", "POST", "/evaluate",
                   lambda m, _: {"entity_type": "invoice", "entity_id": m, "rule_type": "vat", "amount_bdt": "1000.00"},
                   ("rule_type", 5), listing="/evaluations?limit=500"),
        WriteRoute("notification", "POST", "/notifications",
                   lambda m, _: {"recipient": f"{m}@example.com", "channel": "email", "subject": m, "body": "Hello"},
                   ("data", "not an object"), text="body", listing="/notifications?limit=500"),
        WriteRoute("notification", "POST", "/templates", _template, ("channel", 5), text="body",
                   listing="/templates"),
        WriteRoute("notification", "PATCH", "/templates/{id}", lambda m, _: {"subject": f"Subject {m}"},
                   ("subject", 5), text="subject", target="POST /templates"),
        WriteRoute("document-generator", "POST", "/templates",
                   lambda m, _: {"code": m, "name": f"Template {m}", "format": "html", "body": "<p>{{ title }}</p>"},
                   ("name", 5), text="name", listing="/templates"),
        WriteRoute("document-generator", "POST", "/documents",
                   lambda m, _: {"template": "invoice", "format": "html", "data": {"invoice_no": m}},
                   ("data", "not an object"), listing="/documents?limit=500"),
        WriteRoute("scheduler", "POST", "/jobs", _job, ("enabled", "yes"), listing="/jobs"),
        WriteRoute("scheduler", "PATCH", "/jobs/{id}", lambda m, _: {"enabled": False}, ("cron", 5),
                   target="POST /jobs"),
        WriteRoute("configuration", "PUT", "/settings/fleetcheck/{mark}", lambda m, _: {"value": f"value {m}"},
                   ("", ["a JSON array, not an object"]), text="value"),
        WriteRoute("configuration", "PUT", "/feature-flags/{mark}",
                   lambda m, _: {"enabled": True, "description": f"flag {m}"}, ("enabled", "yes"),
                   text="description"),
    ]  # fmt: skip


WRITE_ROUTES = _routes()
# Write routes that take no JSON body (an action on a resource), or not JSON (a file, a CSV): refused-body tests do not
# apply; file-storage and import-export have their own tests.
BODYLESS_WRITES = {
    "organization:POST /tenants/{tenant_id}/suspend",
    "scheduler:POST /jobs/{job_id}/run",
    "file-storage:POST /files",
    "import-export:POST /imports/{entity_type}",
}
