"""The OpenAPI document every service serves at ``/schema/openapi.json``, with the kernel's errors documented.

Litestar documents what a handler returns; the kernel adds what every handler may answer on its behalf, all as
``application/problem+json``: 400 (unparsable parameters or body), 404 (unknown id), 409 (a duplicate business key,
from the IntegrityError handler), 422 (a field that fails validation), 413 for operations with a body (the 1 MiB
limit), and 401/403 plus a bearer ``security`` requirement for operations that verify a token (a ``principal``
parameter) or the platform-admin credential (``platform_admin_guard``). Litestar's own 400 entry (``application/json``)
is replaced, because the kernel answers every error as problem+json. A PUT that documents 200 also documents 201 (a PUT
that creates answers 201, RFC 9110 section 9.3.4). Documenting all this keeps schema-driven tests (schemathesis'
``status_code_conformance``, ``content_type_conformance``) strict without relaxing them.

``/graphql`` (Strawberry, on the subgraphs and the gateway) is left out: a GraphQL endpoint is described by its
GraphQL schema (introspection), and Strawberry's own HTTP errors are plain text, outside the kernel's handlers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.routes import HTTPRoute

from .errors import PROBLEM_JSON
from .security import platform_admin_guard

if TYPE_CHECKING:
    from litestar import Litestar, Request

__all__ = ["SCHEMA_PATH", "openapi_config"]

SCHEMA_PATH = "/schema"  # the document is at /schema/openapi.json
_GRAPHQL_PATH = "/graphql"
_BODY_METHODS = frozenset({"post", "put", "patch"})
_PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
    },
}
_ALWAYS = {400: "Bad request", 404: "Not found", 409: "Conflict", 422: "Invalid field"}
_WITH_BODY = {413: "Body larger than 1 MiB"}
_WITH_AUTH = {401: "Missing or invalid bearer credential", 403: "Credential does not allow this operation"}


def openapi_config(service_name: str) -> OpenAPIConfig:
    """OpenAPI 3.1 at ``/schema/openapi.json`` (JSON only: no HTML viewers, nothing fetched from CDNs)."""
    return OpenAPIConfig(
        title=service_name, version="1.0.0", path=SCHEMA_PATH, render_plugins=[_ProblemDocumentingJson()]
    )


class _ProblemDocumentingJson(JsonRenderPlugin):
    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        # Litestar caches the dict; documenting is idempotent (setdefault), so a second render changes nothing.
        _document_problems(openapi_schema, _authenticated_operations(request.app))
        return super().render(request, openapi_schema)


def _authenticated_operations(app: Litestar) -> set[tuple[str, str]]:
    """(path, method) of every handler that needs a bearer credential."""
    found: set[tuple[str, str]] = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            guarded = platform_admin_guard in handler.resolve_guards()
            if guarded or "principal" in handler.parsed_fn_signature.parameters:
                found.update((route.path_format, method.lower()) for method in handler.http_methods)
    return found


def _document_problems(document: dict[str, Any], authenticated: set[tuple[str, str]]) -> None:
    components = document.setdefault("components", {})
    components.setdefault("schemas", {}).setdefault("Problem", _PROBLEM_SCHEMA)
    components.setdefault("securitySchemes", {}).setdefault("bearer", {"type": "http", "scheme": "bearer"})
    document.get("paths", {}).pop(_GRAPHQL_PATH, None)
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            if method == "put" and "200" in responses:
                responses.setdefault("201", {**responses["200"], "description": "Created"})
            statuses = dict(_ALWAYS)
            if method in _BODY_METHODS:
                statuses |= _WITH_BODY
            if (path, method) in authenticated:
                statuses |= _WITH_AUTH
                operation.setdefault("security", [{"bearer": []}])
            for status, description in statuses.items():
                response = responses.setdefault(str(status), _problem_response(description))
                response["content"] = _problem_response(description)["content"]


def _problem_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
