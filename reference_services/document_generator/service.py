"""document-generator's operations: render a template with the caller's data, store the output in file-storage,
record the document and its event in one transaction; and the tenant's own templates."""

from __future__ import annotations

import contextlib
import re
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from reference_services.kernel.outbox import add_event

from .file_storage_client import StorageUnavailable
from .models import Document, Template
from .rendering import BUILT_IN, FORMATS, DataError, RenderError, invoice_context

if TYPE_CHECKING:
    from reference_services.kernel.db import Database

    from .file_storage_client import FileStorageClient
    from .metrics import DocumentMetrics
    from .rendering import Renderer

__all__ = ["CUSTOM_LABEL", "SOURCE", "DocumentService", "Failed", "Invalid"]

SOURCE = "document-generator"
CUSTOM_LABEL = "custom"  # the metric label of every tenant template: their codes are caller-chosen (unbounded)
_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$", re.ASCII)
_MAX_TEMPLATE_CHARS = 100_000
_CONTENT_TYPES = {"html": "text/html; charset=utf-8"}


class Invalid(ValueError):
    """A request the caller must fix (422): nothing was rendered or stored."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class Failed(Exception):
    """Generation failed after it started: the failed document was recorded (``status`` 422 or 502)."""

    def __init__(self, status: int, document: dict[str, Any]) -> None:
        super().__init__(document["error"])
        self.status = status
        self.document = document


@dataclass(frozen=True, slots=True)
class _Resolved:
    code: str
    label: str
    format: str
    body: str


def document_json(row: Document) -> dict[str, Any]:
    return {"id": str(row.id), "tenant_id": str(row.tenant_id), "template": row.template, "format": row.format,
            "file_id": str(row.file_id) if row.file_id else None, "status": row.status, "error": row.error,
            "created_at": row.created_at.isoformat()}  # fmt: skip


def template_json(row: Template) -> dict[str, Any]:
    return {"id": str(row.id), "tenant_id": str(row.tenant_id), "code": row.code, "name": row.name,
            "format": row.format, "created_at": row.created_at.isoformat()}  # fmt: skip


def _text_field(body: dict[str, Any], field: str, max_length: int) -> str:
    value = body.get(field)
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        raise Invalid(field, f"{field}: expected a non-empty string of at most {max_length} characters")
    return value.strip()


def _format(value: Any, default: str) -> str:
    if value is None:
        return default
    if value == "pdf":
        raise Invalid(
            "format",
            "format: pdf is not available in this service (no font with Bengali glyphs and "
            "shaping is installed); ask for html",
        )
    if value not in FORMATS:
        raise Invalid("format", f"format: expected one of {', '.join(FORMATS)}")
    return str(value)


class DocumentService:
    def __init__(
        self, database: Database, renderer: Renderer, storage: FileStorageClient, metrics: DocumentMetrics
    ) -> None:
        self.database = database
        self.renderer = renderer
        self.storage = storage
        self.metrics = metrics

    # --- documents ------------------------------------------------------------------------------------------------

    async def generate(
        self, tenant: uuid.UUID, body: Any, *, authorization: str, correlation_id: str | None
    ) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise Invalid("body", "expected a JSON object {template, format, data}")
        unknown = sorted(set(body) - {"template", "format", "data"})
        if unknown:
            raise Invalid(
                "body", f"unknown field(s) {', '.join(unknown)}; a document request has template, format and data"
            )
        template = await self._resolve(tenant, _text_field(body, "template", 64))
        fmt = _format(body.get("format"), template.format)
        data = body.get("data", {})
        if not isinstance(data, dict):
            raise Invalid("data", "data: expected a JSON object with the template's values")
        try:
            context = invoice_context(data) if template.label == "invoice" else {"data": data}
        except DataError as error:
            raise Invalid(f"data.{error.field}", f"data.{error.message}") from None
        return await self._produce(tenant, template, fmt, context, authorization, correlation_id)

    async def _produce(
        self,
        tenant: uuid.UUID,
        template: _Resolved,
        fmt: str,
        context: dict[str, Any],
        authorization: str,
        correlation_id: str | None,
    ) -> dict[str, Any]:
        started = time.perf_counter()
        document_id = uuid.uuid4()
        try:
            content = self.renderer.render(template.body, context)
            file_id = await self.storage.upload(
                authorization=authorization,
                name=f"{template.code}-{document_id}.{fmt}",
                content_type=_CONTENT_TYPES[fmt],
                content=content,
                correlation_id=correlation_id,
            )
        except (RenderError, StorageUnavailable) as error:
            status = 422 if isinstance(error, RenderError) else 502
            failed = await self._record(tenant, document_id, template, fmt, None, str(error), correlation_id)
            self._count(template, fmt, "failed", started)
            raise Failed(status, failed) from None
        try:
            stored = await self._record(tenant, document_id, template, fmt, file_id, None, correlation_id)
        except BaseException:
            # the document row did not commit: take the stored file back (best effort)
            with contextlib.suppress(Exception):
                await self.storage.delete(authorization=authorization, file_id=file_id)
            raise
        self._count(template, fmt, "generated", started)
        return stored

    def _count(self, template: _Resolved, fmt: str, status: str, started: float) -> None:
        self.metrics.documents_generated.labels(template=template.label, format=fmt, status=status).inc()
        self.metrics.generation_duration.labels(format=fmt).observe(time.perf_counter() - started)

    async def _record(
        self,
        tenant: uuid.UUID,
        document_id: uuid.UUID,
        template: _Resolved,
        fmt: str,
        file_id: uuid.UUID | None,
        error: str | None,
        correlation_id: str | None,
    ) -> dict[str, Any]:
        status = "failed" if error else "generated"
        async with self.database.tenant_transaction(tenant) as session:
            row = Document(id=document_id, tenant_id=tenant, template=template.code, format=fmt, file_id=file_id,
                           status=status, error=error)  # fmt: skip
            session.add(row)
            await session.flush()
            await session.refresh(row)
            body = document_json(row)
            add_event(session, topic=f"document-generator.document.{status}", key=str(row.id), tenant_id=tenant,
                      source=SOURCE, correlation_id=correlation_id, data=body)  # fmt: skip
        return body

    async def get(self, tenant: uuid.UUID, document_id: uuid.UUID) -> dict[str, Any] | None:
        async with self.database.tenant_transaction(tenant) as session:
            row = await session.scalar(select(Document).where(Document.id == document_id, Document.tenant_id == tenant))
            return None if row is None else document_json(row)

    async def list(self, tenant: uuid.UUID, *, limit: int, offset: int) -> list[dict[str, Any]]:
        async with self.database.tenant_transaction(tenant) as session:
            rows = await session.scalars(
                select(Document)
                .where(Document.tenant_id == tenant)
                .order_by(Document.created_at.desc(), Document.id)
                .limit(limit)
                .offset(offset)
            )
            return [document_json(row) for row in rows]

    # --- templates ------------------------------------------------------------------------------------------------

    async def _resolve(self, tenant: uuid.UUID, code: str) -> _Resolved:
        if code in BUILT_IN:
            built_in = BUILT_IN[code]
            return _Resolved(code, code, built_in.format, built_in.body)
        async with self.database.tenant_transaction(tenant) as session:
            row = await session.scalar(select(Template).where(Template.tenant_id == tenant, Template.code == code))
        if row is None:
            raise Invalid(
                "template",
                f"template: no template {code!r} for this tenant; built-in templates are {', '.join(BUILT_IN)}",
            )
        return _Resolved(row.code, CUSTOM_LABEL, row.format, row.body)

    async def create_template(self, tenant: uuid.UUID, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise Invalid("body", "expected a JSON object {code, name, format, body}")
        code = _text_field(body, "code", 64)
        if not _CODE.fullmatch(code) or code in BUILT_IN:
            raise Invalid(
                "code",
                "code: expected lower-case letters, digits, '-' or '_' (at most 64), not a "
                f"built-in template ({', '.join(BUILT_IN)})",
            )
        source = _text_field(body, "body", _MAX_TEMPLATE_CHARS)
        try:
            self.renderer.check(source)
        except RenderError as error:
            raise Invalid("body", f"body: {error}") from None
        values = {"code": code, "name": _text_field(body, "name", 255), "format": _format(body.get("format"), "html"),
                  "body": source}  # fmt: skip
        async with self.database.tenant_transaction(tenant) as session:
            row = Template(tenant_id=tenant, **values)
            session.add(row)
            try:
                await session.flush()
            except IntegrityError:
                raise Duplicate(code) from None
            await session.refresh(row)
            return template_json(row)

    async def list_templates(self, tenant: uuid.UUID) -> list[dict[str, Any]]:
        async with self.database.tenant_transaction(tenant) as session:
            rows = await session.scalars(select(Template).where(Template.tenant_id == tenant).order_by(Template.code))
            return [template_json(row) for row in rows]


class Duplicate(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(f"a template with code {code!r} already exists in this tenant; choose another code")
