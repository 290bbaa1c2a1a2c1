"""document-generator's HTTP routes: ``POST|GET /documents``, ``GET /documents/{document_id}``, ``POST|GET
/templates``. Bodies are decoded here so that malformed JSON is a 400 problem naming the body."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from reference_services.kernel.errors import problem
from reference_services.kernel.security import Principal  # noqa: TC001 - Litestar reads handler annotations at runtime

from .service import Duplicate, Failed, Invalid

if TYPE_CHECKING:
    from litestar.handlers import HTTPRouteHandler

    from .service import DocumentService

__all__ = ["TOPICS", "route_handlers"]

TOPICS = ("document-generator.document.generated", "document-generator.document.failed")
_MAX_LIMIT = 500


class _Malformed(Exception):
    pass


async def _json(request: Request[Any, Any, Any]) -> Any:
    try:
        return json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise _Malformed from None


def _invalid(error: Invalid) -> Response[dict[str, Any]]:
    return problem(422, error.message, title="Invalid request body",
                   errors=[{"field": error.field, "message": error.message}])  # fmt: skip


def _malformed() -> Response[dict[str, Any]]:
    detail = "expected a JSON object as the request body; it is not valid JSON (UTF-8)"
    return problem(400, detail, title="Malformed JSON", errors=[{"field": "body", "message": detail}])


async def _generate(service: DocumentService, request: Request[Any, Any, Any], principal: Principal) -> Response[Any]:
    try:
        body = await service.generate(principal.tenant_id, await _json(request),
                                      authorization=request.headers.get("authorization", ""),
                                      correlation_id=request.headers.get("x-correlation-id"))  # fmt: skip
    except _Malformed:
        return _malformed()
    except Invalid as error:
        return _invalid(error)
    except Failed as failure:
        title = "Template failed to render" if failure.status == 422 else "file-storage did not store the document"
        return problem(failure.status, failure.document["error"], title=title, document=failure.document)
    return Response(body, status_code=201)


def _document_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise NotFoundException(detail=f"No document {raw!r} for this tenant.") from None


def route_handlers(service: DocumentService) -> list[HTTPRouteHandler]:
    @post("/documents", status_code=201, name="generate_document")
    async def generate(request: Request[Any, Any, Any], principal: Principal) -> Response[Any]:
        return await _generate(service, request, principal)

    @get("/documents", name="list_documents")
    async def list_documents(principal: Principal, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        return await service.list(principal.tenant_id, limit=max(1, min(limit, _MAX_LIMIT)), offset=max(offset, 0))

    @get("/documents/{document_id:str}", name="get_document")
    async def read(principal: Principal, request: Request[Any, Any, Any]) -> dict[str, Any]:
        document_id = _document_id(request.path_params["document_id"])
        body = await service.get(principal.tenant_id, document_id)
        if body is None:
            raise NotFoundException(detail=f"No document {document_id} for this tenant.")
        return body

    @post("/templates", status_code=201, name="create_template")
    async def create_template(request: Request[Any, Any, Any], principal: Principal) -> Response[Any]:
        try:
            body = await service.create_template(principal.tenant_id, await _json(request))
        except _Malformed:
            return _malformed()
        except Invalid as error:
            return _invalid(error)
        except Duplicate as error:
            return problem(409, str(error), title="Duplicate business key")
        return Response(body, status_code=201)

    @get("/templates", name="list_templates")
    async def list_templates(principal: Principal) -> list[dict[str, Any]]:
        return await service.list_templates(principal.tenant_id)

    return [generate, list_documents, read, create_template, list_templates]
