"""master-data's HTTP API as import-export uses it, always with the caller's own token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

__all__ = ["MasterDataClient", "MasterDataUnavailable", "RowRejected"]

_PAGE = 500


class MasterDataUnavailable(Exception):
    """master-data did not answer, or answered with a server error: the job cannot go on."""


@dataclass(frozen=True, slots=True)
class RowRejected:
    field: str | None
    message: str


@dataclass(slots=True)
class MasterDataClient:
    base_url: str
    timeout_s: float = 10.0

    def session(self, authorization: str, correlation_id: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base_url, timeout=self.timeout_s, headers={
            "Authorization": authorization, "X-Correlation-ID": correlation_id})  # fmt: skip

    async def create(
        self, client: httpx.AsyncClient, collection: str, key: str, values: dict[str, str]
    ) -> RowRejected | None:
        """None when master-data created the row; the field and reason when it refused it (4xx)."""
        try:
            response = await client.post(f"/{collection}", json=values)
        except httpx.HTTPError as error:
            raise MasterDataUnavailable(f"master-data POST /{collection} failed: {type(error).__name__}") from None
        if response.status_code == 201:
            return None
        if response.status_code in {401, 403} or response.status_code >= 500:
            raise MasterDataUnavailable(f"master-data POST /{collection} answered {response.status_code}")
        rejected = _rejection(response)
        # a duplicate business key is reported without a field list: it is the key column
        return RowRejected(key, rejected.message) if response.status_code == 409 else rejected

    async def list_all(self, client: httpx.AsyncClient, collection: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        while True:
            try:
                response = await client.get(f"/{collection}", params={"limit": _PAGE, "offset": len(rows)})
            except httpx.HTTPError as error:
                raise MasterDataUnavailable(f"master-data GET /{collection} failed: {type(error).__name__}") from None
            if response.status_code != 200:
                raise MasterDataUnavailable(f"master-data GET /{collection} answered {response.status_code}")
            page = response.json()
            rows.extend(page)
            if len(page) < _PAGE:
                return rows


def _rejection(response: httpx.Response) -> RowRejected:
    try:
        body = response.json()
    except ValueError:
        return RowRejected(None, f"master-data answered {response.status_code}")
    errors = body.get("errors") if isinstance(body, dict) else None
    field = errors[0].get("field") if isinstance(errors, list) and errors and isinstance(errors[0], dict) else None
    detail = body.get("detail") if isinstance(body, dict) else None
    return RowRejected(field if isinstance(field, str) else None, str(detail or f"rejected ({response.status_code})"))
