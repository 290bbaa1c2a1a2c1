"""file-storage's HTTP API as document-generator uses it: upload with the caller's token, delete to compensate."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import httpx

__all__ = ["FileStorageClient", "StorageUnavailable"]


class StorageUnavailable(Exception):
    """file-storage did not store the document (refused, failed or did not answer)."""


@dataclass(slots=True)
class FileStorageClient:
    """Keeps one HTTP client: making one loads the CA bundle, about 50 ms of CPU on the event loop each time."""

    base_url: str
    timeout_s: float = 10.0
    _client: httpx.AsyncClient | None = field(default=None, repr=False)

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout_s, trust_env=False)
        return self._client

    async def upload(
        self, *, authorization: str, name: str, content_type: str, content: bytes, correlation_id: str | None
    ) -> uuid.UUID:
        headers = {"Authorization": authorization, "Content-Type": content_type}
        if correlation_id:
            headers["X-Correlation-ID"] = correlation_id
        try:
            response = await self._http().post(f"{self.base_url}/files", params={"name": name}, content=content,
                                               headers=headers)  # fmt: skip
        except httpx.HTTPError as error:
            raise StorageUnavailable(f"file-storage POST /files failed: {type(error).__name__}") from None
        if response.status_code != 201:
            raise StorageUnavailable(f"file-storage POST /files answered {response.status_code}: "
                                     f"{response.text[:200]}")  # fmt: skip
        return uuid.UUID(response.json()["id"])

    async def delete(self, *, authorization: str, file_id: uuid.UUID) -> None:
        await self._http().delete(f"{self.base_url}/files/{file_id}", headers={"Authorization": authorization})
