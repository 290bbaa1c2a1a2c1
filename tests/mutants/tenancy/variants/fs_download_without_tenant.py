"""Mutant: file-storage serves a file's content by id alone (as the owner, past RLS), without the tenant check the
metadata route keeps -> TENANCY-FOREIGN-ID-NOT-FOUND and TENANCY-NO-FOREIGN-CANARY on GET /files/{id}/content."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from reference_services.file_storage.models import StoredFile
from reference_services.file_storage.service import FileStorageService, to_json
from tests.mutants.tenancy.variants._owner import owner_engine, unforce


async def _content(self: FileStorageService, tenant: Any, file_id: Any) -> tuple[dict[str, Any], bytes] | None:
    async with owner_engine().connect() as conn:
        row = (await conn.execute(select(StoredFile).where(StoredFile.id == file_id))).first()
    if row is None:
        return None
    content = await asyncio.to_thread(self.store.read, row.storage_key, row.sha256)
    return to_json(row), content


FileStorageService.content = _content  # type: ignore[method-assign]

if __name__ == "__main__":
    import sys

    from tests.mutants.serve import serve

    if "serve" in sys.argv:
        unforce("files")
    serve("file-storage")
