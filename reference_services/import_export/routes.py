"""import-export's HTTP routes: ``POST /imports/{entity_type}`` (CSV body), ``GET /imports/{job_id}``,
``GET /exports/{entity_type}`` (CSV), ``GET /jobs/{job_id}``. Entity types are master-data's collections:
customers, vendors, products."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from reference_services.kernel.errors import problem
from reference_services.kernel.handlers import correlation_id
from reference_services.kernel.security import Principal  # noqa: TC001 - Litestar reads handler annotations at runtime

from .csv_format import ENTITIES, CsvEntity, CsvInvalid
from .service import JobFailed

if TYPE_CHECKING:
    from litestar.handlers import HTTPRouteHandler

    from .service import ImportExportService

__all__ = ["TOPICS", "route_handlers"]

TOPICS = ("import-export.job.completed", "import-export.job.failed")


def _entity(raw: str) -> CsvEntity:
    entity = ENTITIES.get(raw)
    if entity is None:
        raise NotFoundException(detail=f"No entity type {raw!r}; import and export handle {', '.join(ENTITIES)}.")
    return entity


def _job_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise NotFoundException(detail=f"No job {raw!r} for this tenant.") from None


def _failed(failure: JobFailed) -> Response[dict[str, Any]]:
    return problem(502, f"master-data could not be reached or refused the job: {failure.job.get('reason')}. "
                        "Rows counted in success_count were imported; retry the others.",
                   title="master-data unavailable", job=failure.job)  # fmt: skip


async def _import(
    service: ImportExportService, request: Request[Any, Any, Any], principal: Principal, entity: CsvEntity
) -> Response[Any]:
    try:
        job = await service.run_import(principal.tenant_id, entity, await request.body(),
                                       authorization=request.headers.get("authorization", ""),
                                       correlation_id=correlation_id(request))  # fmt: skip
    except CsvInvalid as error:
        status = 400 if error.field == "body" and "UTF-8" in error.message else 422
        return problem(status, error.message, title="Invalid CSV",
                       errors=[{"field": error.field, "message": error.message}])  # fmt: skip
    except JobFailed as failure:
        return _failed(failure)
    return Response(job, status_code=201)


def route_handlers(service: ImportExportService) -> list[HTTPRouteHandler]:
    @post("/imports/{entity_type:str}", status_code=201, name="import_entities")
    async def import_entities(request: Request[Any, Any, Any], principal: Principal) -> Response[Any]:
        return await _import(service, request, principal, _entity(request.path_params["entity_type"]))

    @get("/imports/{job_id:str}", name="get_import")
    async def get_import(principal: Principal, request: Request[Any, Any, Any]) -> dict[str, Any]:
        job_id = _job_id(request.path_params["job_id"])
        job = await service.get(principal.tenant_id, job_id, direction="import")
        if job is None:
            raise NotFoundException(detail=f"No import job {job_id} for this tenant.")
        return job

    # the media type on the handler too, so the OpenAPI document says what the route answers (text/csv, not JSON);
    # Litestar adds "; charset=utf-8" to a text/* type by itself
    @get("/exports/{entity_type:str}", name="export_entities", media_type="text/csv")
    async def export_entities(principal: Principal, request: Request[Any, Any, Any]) -> Response[Any]:
        entity = _entity(request.path_params["entity_type"])
        try:
            job, text = await service.run_export(principal.tenant_id, entity,
                                                 authorization=request.headers.get("authorization", ""),
                                                 correlation_id=correlation_id(request))  # fmt: skip
        except JobFailed as failure:
            return _failed(failure)
        return Response(
            text.encode("utf-8"),
            media_type="text/csv",
            headers={"X-Job-ID": job["id"], "Content-Disposition": f'attachment; filename="{entity.collection}.csv"'},
        )

    @get("/jobs/{job_id:str}", name="get_job")
    async def get_job(principal: Principal, request: Request[Any, Any, Any]) -> dict[str, Any]:
        job_id = _job_id(request.path_params["job_id"])
        job = await service.get(principal.tenant_id, job_id)
        if job is None:
            raise NotFoundException(detail=f"No job {job_id} for this tenant.")
        return job

    return [import_entities, get_import, export_entities, get_job]
