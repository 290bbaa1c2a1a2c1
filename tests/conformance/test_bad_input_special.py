"""Bad input on the write routes that do not take a JSON object: file-storage's uploads, import-export's CSV imports
and the api-gateway's GraphQL endpoint. Each refusal is problem+json and stores nothing; Bengali and emoji are data.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import httpx
import pytest
from _conformance_routes import marker
from test_bad_input import BENGALI_AND_EMOJI, KERNEL_BODY_LIMIT, assert_problem

if TYPE_CHECKING:
    from collections.abc import Iterator

    from conftest import LiveFleet

pytestmark = pytest.mark.servers

FILE_LIMIT = 10 * 1024 * 1024  # file-storage's own per-file limit (SPEC.md), above the kernel's 1 MiB


@pytest.fixture(scope="module")
def client(live_fleet: LiveFleet) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {live_fleet.tenant_token}"}
    with httpx.Client(timeout=60.0, headers=headers) as opened:
        yield opened


def _listed(client: httpx.Client, url: str, mark: str) -> bool:
    listing = client.get(url, params={"limit": 500})
    assert listing.status_code == 200, f"GET {url}: {listing.status_code}"
    return mark in listing.text


def test_oversized_upload_is_refused_with_413(live_fleet: LiveFleet, client: httpx.Client) -> None:
    files, mark = live_fleet.url("file-storage") + "/files", marker()
    response = client.post(files, params={"name": mark}, content=b"x" * (FILE_LIMIT + 1),
                           headers={"content-type": "application/octet-stream"})  # fmt: skip
    assert_problem(response, {413}, "POST /files with 10 MiB + 1 byte")
    assert not _listed(client, files, mark)


def test_upload_with_a_wrong_checksum_is_refused(live_fleet: LiveFleet, client: httpx.Client) -> None:
    files, mark = live_fleet.url("file-storage") + "/files", marker()
    response = client.post(files, params={"name": mark, "sha256": "0" * 64}, content=b"content",
                           headers={"content-type": "text/plain"})  # fmt: skip
    assert_problem(response, {400, 422}, "POST /files with a sha256 that does not match")
    assert not _listed(client, files, mark)


def test_multipart_upload_without_a_file_part_is_refused(live_fleet: LiveFleet, client: httpx.Client) -> None:
    files, mark = live_fleet.url("file-storage") + "/files", marker()
    response = client.post(files, data={"name": mark}, files={"not_file": ("x.txt", b"x")})
    assert_problem(response, {400, 422}, "POST /files multipart without 'file'")
    assert not _listed(client, files, mark)


def test_bengali_file_name_and_content_round_trip(live_fleet: LiveFleet, client: httpx.Client) -> None:
    files = live_fleet.url("file-storage") + "/files"
    name, content = f"চালান-{marker()}-🧾.txt", BENGALI_AND_EMOJI.encode()
    response = client.post(files, params={"name": name, "sha256": hashlib.sha256(content).hexdigest()},
                           content=content, headers={"content-type": "text/plain; charset=utf-8"})  # fmt: skip
    assert response.status_code == 201, f"{response.status_code} {response.text[:300]}"
    stored = response.json()
    assert stored["name"] == name
    assert client.get(f"{files}/{stored['id']}/content").content == content


@pytest.mark.parametrize(
    ("body", "statuses"),
    [(b"\xff\xfe not UTF-8 \x00", {400, 422}), (b'{"code": "not", "a": "csv"', {400, 422}), (b"", {400, 422})],
    ids=["not-utf8", "garbage-json", "empty"],
)
def test_garbage_csv_import_is_refused(live_fleet: LiveFleet, client: httpx.Client, body: bytes,
                                       statuses: set[int]) -> None:  # fmt: skip
    response = client.post(live_fleet.url("import-export") + "/imports/customers", content=body,
                           headers={"content-type": "text/csv"})  # fmt: skip
    assert_problem(response, statuses, "POST /imports/customers with garbage")


def test_oversized_csv_import_is_refused_with_413(live_fleet: LiveFleet, client: httpx.Client) -> None:
    mark = marker()
    rows = b"".join(f"{mark}-{i},Customer {i}\n".encode() for i in range(KERNEL_BODY_LIMIT // 20 + 100))
    body = b"code,name\n" + rows
    assert len(body) > KERNEL_BODY_LIMIT
    response = client.post(live_fleet.url("import-export") + "/imports/customers", content=body,
                           headers={"content-type": "text/csv"})  # fmt: skip
    assert_problem(response, {413}, "POST /imports/customers over 1 MiB")
    assert not _listed(client, live_fleet.url("master-data") + "/customers", mark)


def test_bengali_csv_import_round_trips(live_fleet: LiveFleet, client: httpx.Client) -> None:
    mark = marker()
    body = f"code,name,name_bn\n{mark},Rahim Traders,{BENGALI_AND_EMOJI}\n".encode()
    response = client.post(live_fleet.url("import-export") + "/imports/customers", content=body,
                           headers={"content-type": "text/csv; charset=utf-8"})  # fmt: skip
    assert response.status_code == 201, f"{response.status_code} {response.text[:300]}"
    customers = client.get(live_fleet.url("master-data") + "/customers", params={"limit": 500}).json()
    imported = [c for c in customers if c["code"] == mark]
    assert [c["name_bn"] for c in imported] == [BENGALI_AND_EMOJI]


@pytest.mark.parametrize(
    "body", [b'{"query": ', b"\xff\xfe", b'["not", "an", "object"]', b'{"query": 5}'],
    ids=["garbage-json", "not-utf8", "array", "wrong-type"],
)  # fmt: skip
def test_gateway_refuses_bad_graphql_requests_with_problem_json(live_fleet: LiveFleet, client: httpx.Client,
                                                                body: bytes) -> None:  # fmt: skip
    response = client.post(live_fleet.url("api-gateway") + "/graphql", content=body,
                           headers={"content-type": "application/json"})  # fmt: skip
    assert_problem(response, {400, 422}, "POST /graphql")


def test_gateway_refuses_an_oversized_graphql_request_with_413(live_fleet: LiveFleet, client: httpx.Client) -> None:
    query = '{"query": "{ __typename }", "variables": {"pad": "' + "x" * (KERNEL_BODY_LIMIT + 1) + '"}}'
    response = client.post(live_fleet.url("api-gateway") + "/graphql", content=query.encode(),
                           headers={"content-type": "application/json"})  # fmt: skip
    assert_problem(response, {413}, "POST /graphql over 1 MiB")


def test_gateway_relays_text_the_database_cannot_store_as_the_callers_error(live_fleet: LiveFleet,
                                                                            client: httpx.Client) -> None:  # fmt: skip
    # PostgreSQL text cannot hold U+0000. schemathesis generated such a name once; master-data's resolver let the
    # database error through as an unexpected error, and the gateway then called master-data "unavailable".
    mark = marker()
    mutation = "mutation($input: CustomerInput!) { createCustomer(input: $input) { id } }"
    variables = {"input": {"code": mark, "name": "nul \x00 here"}}
    response = client.post(live_fleet.url("api-gateway") + "/graphql", json={"query": mutation, "variables": variables})
    assert response.status_code == 200, f"{response.status_code} {response.text[:300]}"
    errors = response.json().get("errors") or []
    assert [e.get("extensions", {}).get("code") for e in errors] == ["BAD_USER_INPUT"], response.text[:500]
    assert not _listed(client, live_fleet.url("master-data") + "/customers", mark)
