"""file-storage: a file uploaded (multipart), an upload refused for a wrong sha256, the file deleted; bursts upload
small files (the raw-body form of the upload)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from ._context import ScenarioContext, Writer, tenant, write

if TYPE_CHECKING:
    import httpx

    from fleetcheck.contracts.events import WriteRecord
    from fleetcheck.targets import Credentials, Endpoint

SERVICE = "file-storage"
#: a sha256 no content hashes to in practice: the service stores the bytes, finds the mismatch and refuses the upload
_WRONG_SHA256 = "0" * 64


def scenario(ctx: ScenarioContext) -> None:
    token, tenant_id = tenant(ctx)
    name = f"events-{uuid.uuid4().hex[:8]}.txt"
    files = {"file": (name, "ইভেন্ট event file\n".encode(), "text/plain; charset=utf-8")}
    uploaded = ctx.act("POST /files", "POST", "/files", topic="file-storage.file.uploaded", tenant_id=tenant_id,
                       token=token, files=files)  # fmt: skip
    file_id = str(uploaded.get("id", "")) if isinstance(uploaded, dict) else ""
    refused = f"/files?name=refused.json&sha256={_WRONG_SHA256}"
    ctx.act("POST /files (sha256 does not match the content)", "POST", refused, {"refused": True}, topic=None,
            tenant_id=tenant_id, aggregate_id=file_id, token=token)  # fmt: skip
    ctx.act("DELETE /files/{file_id}", "DELETE", f"/files/{file_id}", topic="file-storage.file.deleted",
            tenant_id=tenant_id, aggregate_id=file_id, token=token)  # fmt: skip


def _upload(client: httpx.Client, endpoint: Endpoint, credentials: Credentials, n: int) -> WriteRecord:
    return write(client, endpoint, (SERVICE, "file-storage.file.uploaded"), "POST", f"/files?name=burst-{n}.json",
                 {"burst": n}, credentials.tenant_token)  # fmt: skip


WRITER = Writer(SERVICE, "file-storage.file.uploaded", _upload)
