"""file-storage's operations: upload (content on disk, row + event in one transaction), read, list, delete."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from reference_services.kernel.outbox import add_event

from .models import StoredFile

if TYPE_CHECKING:
    import uuid

    from reference_services.kernel.db import Database

    from .metrics import FileStorageMetrics
    from .storage import LocalStore

__all__ = ["DEFAULT_CONTENT_TYPE", "MAX_FILE_BYTES", "SOURCE", "FileStorageService", "Rejected", "Upload"]

SOURCE = "file-storage"
MAX_FILE_BYTES = 10 * 1024 * 1024
DEFAULT_CONTENT_TYPE = "application/octet-stream"
_CONTENT_TYPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
                           r"(\s*;\s*[A-Za-z0-9_.-]+=[^;\s]{1,100})*$", re.ASCII)  # fmt: skip
_SHA256 = re.compile(r"^[0-9a-f]{64}$", re.ASCII)
_log = logging.getLogger("reference_services.file_storage")


class Rejected(ValueError):
    """The caller's upload is not acceptable: ``status`` (413 or 422), the field, and what was expected."""

    def __init__(self, status: int, field: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class Upload:
    name: object
    content_type: object
    content: bytes
    expected_sha256: object = None


def clean_name(raw: object) -> str:
    """The display name, kept as given (Bengali included); it is metadata only and never part of a path."""
    if not isinstance(raw, str) or not raw.strip():
        raise Rejected(422, "name", "name: expected a non-empty file name (multipart filename or ?name=)")
    name = raw.strip()
    if len(name) > 255:
        raise Rejected(422, "name", f"name: expected at most 255 characters; got {len(name)}")
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        raise Rejected(422, "name", "name: control characters (NUL, newline, ...) are not allowed in a file name")
    return name


def clean_content_type(raw: object) -> str:
    if raw is None or raw == "":
        return DEFAULT_CONTENT_TYPE
    if not isinstance(raw, str) or not _CONTENT_TYPE.fullmatch(raw.strip()):
        raise Rejected(422, "content_type", "content_type: expected a media type like text/html; charset=utf-8")
    return raw.strip()


def to_json(row: StoredFile) -> dict[str, Any]:
    return {
        "id": str(row.id), "tenant_id": str(row.tenant_id), "name": row.name, "content_type": row.content_type,
        "size_bytes": row.size_bytes, "sha256": row.sha256, "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat() if row.updated_at else None,
    }  # fmt: skip


class FileStorageService:
    def __init__(self, database: Database, store: LocalStore, metrics: FileStorageMetrics) -> None:
        self.database = database
        self.store = store
        self.metrics = metrics

    def reject(self, error: Rejected) -> Rejected:
        self.metrics.files_uploaded.labels(status="rejected").inc()
        return error

    def _validate(self, upload: Upload) -> tuple[str, str]:
        name, content_type = clean_name(upload.name), clean_content_type(upload.content_type)
        if len(upload.content) > MAX_FILE_BYTES:
            raise Rejected(
                413, "content", f"content: at most {MAX_FILE_BYTES} bytes (10 MiB); got {len(upload.content)}"
            )
        expected = upload.expected_sha256
        if expected is not None and (not isinstance(expected, str) or not _SHA256.fullmatch(expected.lower())):
            raise Rejected(422, "sha256", "sha256: expected 64 hexadecimal digits (the SHA-256 of the content)")
        return name, content_type

    async def upload(self, tenant: uuid.UUID, upload: Upload, correlation_id: str | None) -> dict[str, Any]:
        try:
            name, content_type = self._validate(upload)
        except Rejected as error:
            raise self.reject(error) from None
        try:
            written = await asyncio.to_thread(self.store.write, tenant, upload.content)
        except OSError:
            self.metrics.files_uploaded.labels(status="failed").inc()
            raise
        expected = upload.expected_sha256
        if isinstance(expected, str) and expected.lower() != written.sha256:
            await asyncio.to_thread(self.store.remove, written.storage_key)
            raise self.reject(
                Rejected(
                    422,
                    "sha256",
                    f"sha256: the content hashes to {written.sha256}, not "
                    f"{expected.lower()}; the upload was not stored",
                )
            )
        try:
            body = await self._record(tenant, name, content_type, written, correlation_id)
        except BaseException:
            # the row did not commit: the content must not linger as an orphan
            await asyncio.to_thread(self.store.remove, written.storage_key)
            self.metrics.files_uploaded.labels(status="failed").inc()
            raise
        self.metrics.files_uploaded.labels(status="stored").inc()
        self.metrics.storage_used.inc(written.size_bytes)
        return body

    async def _record(
        self, tenant: uuid.UUID, name: str, content_type: str, written: Any, correlation_id: str | None
    ) -> dict[str, Any]:
        async with self.database.tenant_transaction(tenant) as session:
            row = StoredFile(tenant_id=tenant, name=name, content_type=content_type, size_bytes=written.size_bytes,
                             sha256=written.sha256, storage_key=written.storage_key)  # fmt: skip
            session.add(row)
            await session.flush()
            await session.refresh(row)
            body = to_json(row)
            add_event(session, topic="file-storage.file.uploaded", key=str(row.id), tenant_id=tenant, source=SOURCE,
                      correlation_id=correlation_id, data={k: body[k] for k in (
                          "id", "tenant_id", "name", "content_type", "size_bytes", "sha256")})  # fmt: skip
        return body

    async def _row(self, tenant: uuid.UUID, file_id: uuid.UUID) -> StoredFile | None:
        async with self.database.tenant_transaction(tenant) as session:
            # explicit tenant filter on top of RLS: a missing policy must not leak rows
            return await session.scalar(
                select(StoredFile).where(StoredFile.id == file_id, StoredFile.tenant_id == tenant)
            )

    async def get(self, tenant: uuid.UUID, file_id: uuid.UUID) -> dict[str, Any] | None:
        row = await self._row(tenant, file_id)
        return None if row is None else to_json(row)

    async def content(self, tenant: uuid.UUID, file_id: uuid.UUID) -> tuple[dict[str, Any], bytes] | None:
        """Metadata and bytes, verified against the recorded sha256 (IntegrityFailure when they differ)."""
        row = await self._row(tenant, file_id)
        if row is None:
            return None
        content = await asyncio.to_thread(self.store.read, row.storage_key, row.sha256)
        return to_json(row), content

    async def list(self, tenant: uuid.UUID, *, limit: int, offset: int) -> list[dict[str, Any]]:
        async with self.database.tenant_transaction(tenant) as session:
            rows = await session.scalars(
                select(StoredFile)
                .where(StoredFile.tenant_id == tenant)
                .order_by(StoredFile.created_at.desc(), StoredFile.id)
                .limit(limit)
                .offset(offset)
            )
            return [to_json(row) for row in rows]

    async def delete(self, tenant: uuid.UUID, file_id: uuid.UUID, correlation_id: str | None) -> bool:
        async with self.database.tenant_transaction(tenant) as session:
            row = await session.scalar(
                select(StoredFile).where(StoredFile.id == file_id, StoredFile.tenant_id == tenant).with_for_update()
            )
            if row is None:
                return False
            key, size = row.storage_key, row.size_bytes
            add_event(session, topic="file-storage.file.deleted", key=str(row.id), tenant_id=tenant, source=SOURCE,
                      correlation_id=correlation_id, data={"id": str(row.id), "tenant_id": str(tenant),
                                                           "name": row.name, "size_bytes": size})  # fmt: skip
            await session.delete(row)
        # after the commit: a crash here leaves an unreferenced object on disk, never a row without content
        try:
            await asyncio.to_thread(self.store.remove, key)
        except OSError:
            _log.exception("deleted file %s but could not remove its content %s", file_id, key)
        self.metrics.storage_used.dec(size)
        return True

    async def load_usage(self) -> None:
        with contextlib.suppress(OSError):
            self.metrics.storage_used.set(await asyncio.to_thread(self.store.used_bytes))

    async def statistics(self) -> dict[str, Any]:
        return {"storage_used_bytes": int(self.metrics.storage_used._value.get())}
