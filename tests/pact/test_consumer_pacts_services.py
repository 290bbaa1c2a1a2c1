"""The pacts of two services' HTTP clients: import-export's master-data client (create rows, page through a list)
and document-generator's file-storage client (upload a document, delete it to compensate). Each test drives the
client's own code against the Pact mock; a row master-data refuses is the field and reason the client reports, a
token it does not accept stops the job (the client raises), as do file-storage's."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from _pacts import (
    BAD_TOKEN,
    CUSTOMER,
    FILE,
    JSON,
    PROBLEM_RE,
    TENANT,
    TOKEN,
    bearer_from_state,
    from_state,
    problem,
    time_,
    uuid_,
    written,
)
from pact import Pact, match

from reference_services.document_generator.file_storage_client import FileStorageClient, StorageUnavailable
from reference_services.import_export.csv_format import ENTITIES, write_rows
from reference_services.import_export.master_data_client import MasterDataClient, MasterDataUnavailable, RowRejected

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from pact.interaction import HttpInteraction

ROW = {"code": "C-001", "name": "Padma Traders", "phone": "01712345678", "tin": "123456789012"}
PROBLEM = match.regex("application/problem+json", regex=PROBLEM_RE)


def _interaction(consumer: str, provider: str, description: str, state: str | None) -> tuple[Pact, HttpInteraction]:
    pact = Pact(consumer, provider).with_specification("V4")
    interaction = pact.upon_receiving(description)
    return pact, interaction if state is None else interaction.given(state)


def _import(pact: Pact, call: Callable[[MasterDataClient, Any], Awaitable[Any]], token: str = TOKEN) -> Any:
    """Run import-export's own master-data client against the mock, in a session with ``token``."""

    async def run(url: str) -> Any:
        client = MasterDataClient(url)
        async with client.session(f"Bearer {token}", "c1") as session:
            return await call(client, session)

    with pact.serve() as server:
        return asyncio.run(run(str(server.url)))


def _create(description: str, state: str, sent: dict[str, str], status: int, body: Any = None) -> tuple[Pact, Any]:
    """import-export's client creates the row ``sent``; in the pact its code is the one the provider state names."""
    row = {**sent, "code": from_state(sent["code"], "customerCode")}
    pact, interaction = _interaction("import-export", "master-data", description, state)
    response = (
        interaction.with_request("POST", "/customers")
        .with_header("Authorization", bearer_from_state())
        .with_body(row, JSON)
        .will_respond_with(status)
    )
    if body is not None:
        response.with_header("Content-Type", PROBLEM).with_body(body)
    return pact, _import(pact, lambda client, session: client.create(session, "customers", "code", sent))


def test_import_export_creates_customers_and_reports_what_master_data_refuses(tmp_path: Path) -> None:
    created, result = _create("a customer row created", "tenant T has no customer with code K", ROW, 201)
    assert result is None  # created: the client reports nothing
    errors = match.each_like({"field": "name", "message": match.like("name is required for a customer")})
    invalid, rejected = _create("a customer row without a name", "tenant T has no customer with code K",
                                {"code": "C-001"}, 422,
                                problem(422, "Invalid request body", "name is required for a customer",
                                        errors=errors))  # fmt: skip
    assert rejected == RowRejected("name", "name is required for a customer")
    conflict, refused = _create("a customer row whose code the tenant has", "tenant T has customer C", ROW,
                                409, problem(409, "Conflict", "a customer with code C-001 exists"))  # fmt: skip
    assert isinstance(refused, RowRejected)
    assert refused.field == "code"  # a duplicate business key is reported on the key column
    written([created, invalid, conflict, _listed(), _refused_list()], tmp_path)


def _listed() -> Pact:
    # the export writes every column and an empty cell for a null one; only code and name are never null
    customer = {"id": uuid_(CUSTOMER), "tenant_id": uuid_(TENANT), "code": match.like("C-001"),
                "name": match.like("Padma Traders")}  # fmt: skip
    pact, interaction = _interaction("import-export", "master-data", "a page of the tenant's customers",
                                     "tenant T has customer C")  # fmt: skip
    (
        interaction.with_request("GET", "/customers")
        .with_query_parameter("limit", "500")
        .with_query_parameter("offset", "0")
        .with_header("Authorization", bearer_from_state())
        .will_respond_with(200)
        .with_body(match.each_like(customer), JSON)
    )
    rows = _import(pact, lambda client, session: client.list_all(session, "customers"))
    entity = next(e for e in ENTITIES.values() if e.collection == "customers")
    header, line = write_rows(entity, rows).splitlines()  # the export's CSV of the page
    assert header.split(",") == list(entity.columns)
    assert line == "C-001,Padma Traders,,,,,,"
    return pact


def _refused_list() -> Pact:
    pact, interaction = _interaction("import-export", "master-data", "a customer list with a token master-data "
                                     "does not accept", None)  # fmt: skip
    (
        interaction.with_request("GET", "/customers")
        .with_query_parameter("limit", "500")
        .with_query_parameter("offset", "0")
        .with_header("Authorization", f"Bearer {BAD_TOKEN}")
        .will_respond_with(401)
        .with_header("Content-Type", PROBLEM)
        .with_body(problem(401, "Unauthorized", "The bearer token is not valid."))
    )
    with pytest.raises(MasterDataUnavailable, match="answered 401"):
        _import(pact, lambda client, session: client.list_all(session, "customers"), BAD_TOKEN)
    return pact


HTML = "<html><body><p>চালান INV-2026-001</p></body></html>"
NAME_RE = r"^[a-z0-9-]+-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.(html|pdf)$"
DOCUMENT = "2b3c4d5e-6f70-4a81-9b2c-3d4e5f6a7b8c"


def _storage(pact: Pact, call: Callable[[FileStorageClient], Awaitable[Any]]) -> Any:
    async def run(url: str) -> Any:
        client = FileStorageClient(url)
        try:
            return await call(client)
        finally:
            await client._http().aclose()  # the service keeps it for its lifetime; a test closes it

    with pact.serve() as server:
        return asyncio.run(run(str(server.url)))


def _upload(pact: Pact, token: str) -> Any:
    return _storage(pact, lambda client: client.upload(
        authorization=f"Bearer {token}", name=f"invoice-{DOCUMENT}.html", content_type="text/html",
        content=HTML.encode(), correlation_id="c1"))  # fmt: skip


def _upload_request(description: str, state: str | None, authorization: Any) -> tuple[Pact, HttpInteraction]:
    pact, interaction = _interaction("document-generator", "file-storage", description, state)
    (
        interaction.with_request("POST", "/files")
        .with_query_parameter("name", match.regex(f"invoice-{DOCUMENT}.html", regex=NAME_RE))
        .with_header("Authorization", authorization)
        .with_body(HTML, "text/html")
    )
    return pact, interaction


def test_document_generator_stores_documents_in_file_storage(tmp_path: Path) -> None:
    uploaded, interaction = _upload_request("an HTML document uploaded", "tenant T has user U", bearer_from_state())
    file = {"id": uuid_(FILE), "tenant_id": uuid_(TENANT), "content_type": "text/html",
            "size_bytes": match.int(len(HTML.encode())), "created_at": time_()}  # fmt: skip
    interaction.will_respond_with(201).with_body(file, JSON)
    assert _upload(uploaded, TOKEN) == uuid.UUID(FILE)
    refused, interaction = _upload_request("an upload with a token file-storage does not accept", None,
                                           f"Bearer {BAD_TOKEN}")  # fmt: skip
    (
        interaction.will_respond_with(401)
        .with_header("Content-Type", PROBLEM)
        .with_body(problem(401, "Unauthorized", "The bearer token is not valid."))
    )
    with pytest.raises(StorageUnavailable, match="answered 401"):
        _upload(refused, BAD_TOKEN)
    deleted, interaction = _interaction("document-generator", "file-storage",
                                        "a stored document deleted to compensate", "tenant T has file F")  # fmt: skip
    (
        interaction.with_request("DELETE", from_state(FILE, "fileId", "/files/"))
        .with_header("Authorization", bearer_from_state())
        .will_respond_with(204)
    )
    calls: list[str] = []

    async def delete(client: FileStorageClient) -> None:
        await client.delete(authorization=f"Bearer {TOKEN}", file_id=uuid.UUID(FILE))
        calls.append("deleted")

    _storage(deleted, delete)
    assert calls == ["deleted"]
    written([uploaded, refused, deleted], tmp_path)
