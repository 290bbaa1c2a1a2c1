"""file-storage's HTTP routes: ``POST|GET /files``, ``GET|DELETE /files/{file_id}``, ``GET /files/{file_id}/content``.

An upload is either ``multipart/form-data`` with a ``file`` part (optional ``name`` and ``sha256`` fields), or the raw
bytes as the body with ``?name=`` (optional ``?sha256=``) and the body's Content-Type as the file's content type.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from litestar import Request, Response, delete, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import HTTPException, NotFoundException

from reference_services.kernel.errors import problem
from reference_services.kernel.security import Principal  # noqa: TC001 - Litestar reads handler annotations at runtime

from .service import MAX_FILE_BYTES, Rejected, Upload
from .storage import IntegrityFailure

if TYPE_CHECKING:
    from litestar.handlers import HTTPRouteHandler

    from .service import FileStorageService

__all__ = ["TOPICS", "route_handlers"]

TOPICS = ("file-storage.file.uploaded", "file-storage.file.deleted")
_MAX_LIMIT = 500
# room for the multipart boundaries and headers around a 10 MiB file; the file itself is checked exactly
_BODY_LIMIT = MAX_FILE_BYTES + 256 * 1024
_UNSAFE_FALLBACK = re.compile(r"[^A-Za-z0-9._ -]")
_log = logging.getLogger("reference_services.file_storage")


def _file_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise NotFoundException(detail=f"No file {raw!r} for this tenant.") from None


def _not_found(file_id: uuid.UUID) -> NotFoundException:
    return NotFoundException(detail=f"No file {file_id} for this tenant.")


async def _multipart(request: Request[Any, Any, Any]) -> Upload:
    form = await request.form()
    part = form.get("file")
    if not isinstance(part, UploadFile):
        raise Rejected(422, "file", "file: expected a multipart part named 'file' holding the content")
    content = await part.read()
    await part.close()
    name = form.get("name") or part.filename
    return Upload(name=name, content_type=part.content_type, content=content, expected_sha256=form.get("sha256"))


async def _read_upload(request: Request[Any, Any, Any]) -> Upload:
    media_type = request.headers.get("content-type", "")
    if media_type.lower().startswith("multipart/form-data"):
        return await _multipart(request)
    content = await request.body()
    return Upload(name=request.query_params.get("name"), content_type=media_type or None, content=content,
                  expected_sha256=request.query_params.get("sha256"))  # fmt: skip


def _rejected(error: Rejected) -> Response[dict[str, Any]]:
    title = "Payload too large" if error.status == 413 else "Invalid upload"
    return problem(error.status, error.message, title=title,
                   errors=[{"field": error.field, "message": error.message}])  # fmt: skip


def _disposition(name: str) -> str:
    """``attachment`` with an ASCII fallback and the exact (UTF-8, RFC 5987) name; path parts never leave."""
    base = re.split(r"[/\\]", name)[-1] or "file"
    fallback = _UNSAFE_FALLBACK.sub("_", base).strip() or "file"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(base, safe='')}"


async def _upload(service: FileStorageService, request: Request[Any, Any, Any], principal: Principal) -> Response[Any]:
    try:
        incoming = await _read_upload(request)
        body = await service.upload(principal.tenant_id, incoming, request.headers.get("x-correlation-id"))
    except Rejected as error:
        # service.upload counts its own rejections; a missing file part is found while reading the request
        if error.field == "file":
            service.reject(error)
        return _rejected(error)
    except HTTPException as error:
        if error.status_code != 413:
            raise
        too_large = Rejected(
            413, "content", f"content: at most {MAX_FILE_BYTES} bytes (10 MiB) per file; the request body is larger"
        )
        return _rejected(service.reject(too_large))
    return Response(body, status_code=201)


async def _content(service: FileStorageService, principal: Principal, file_id: uuid.UUID) -> Response[Any]:
    try:
        found = await service.content(principal.tenant_id, file_id)
    except IntegrityFailure:
        _log.error("file %s of tenant %s failed its sha256 check", file_id, principal.tenant_id)
        return problem(
            500,
            f"The stored content of file {file_id} does not match the sha256 recorded at upload; "
            "it is not served. Restore it from a backup or upload it again.",
        )
    except FileNotFoundError:
        _log.error("file %s of tenant %s has a row but no content", file_id, principal.tenant_id)
        return problem(500, f"The stored content of file {file_id} is missing; it cannot be served.")
    if found is None:
        raise _not_found(file_id)
    meta, data = found
    return Response(data, media_type=meta["content_type"], headers={
        "Content-Disposition": _disposition(meta["name"]), "ETag": f'"{meta["sha256"]}"',
        "X-Content-SHA256": meta["sha256"], "Cache-Control": "private, no-store",
    })  # fmt: skip


def route_handlers(service: FileStorageService) -> list[HTTPRouteHandler]:
    @post("/files", status_code=201, request_max_body_size=_BODY_LIMIT, name="upload_file")
    async def upload(request: Request[Any, Any, Any], principal: Principal) -> Response[Any]:
        return await _upload(service, request, principal)

    @get("/files", name="list_files")
    async def list_files(principal: Principal, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        return await service.list(principal.tenant_id, limit=max(1, min(limit, _MAX_LIMIT)), offset=max(offset, 0))

    @get("/files/{file_id:str}", name="get_file")
    async def read(principal: Principal, request: Request[Any, Any, Any]) -> dict[str, Any]:
        file_id = _file_id(request.path_params["file_id"])
        body = await service.get(principal.tenant_id, file_id)
        if body is None:
            raise _not_found(file_id)
        return body

    @get("/files/{file_id:str}/content", name="get_file_content")
    async def content(principal: Principal, request: Request[Any, Any, Any]) -> Response[Any]:
        return await _content(service, principal, _file_id(request.path_params["file_id"]))

    @delete("/files/{file_id:str}", name="delete_file")
    async def remove(principal: Principal, request: Request[Any, Any, Any]) -> None:
        file_id = _file_id(request.path_params["file_id"])
        if not await service.delete(principal.tenant_id, file_id, request.headers.get("x-correlation-id")):
            raise _not_found(file_id)

    return [upload, list_files, read, content, remove]
