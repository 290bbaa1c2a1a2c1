"""file-storage end to end: real auth and file-storage processes on embedded PostgreSQL and Tansu."""

from __future__ import annotations

import hashlib
import uuid
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from service_support import Caller, event_of, sample

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.servers

UPLOADED = "files_uploaded_total"
USED = "storage_used_bytes"
BENGALI_NAME = "চালান-১২৩.txt"
BENGALI_TEXT = "মূল্য সংযোজন কর ১৫% — রহিম ট্রেডার্স 🧾".encode()


def _upload(url: str, caller: Caller, content: bytes, name: str, **params: str) -> httpx.Response:
    return httpx.post(f"{url}/files", content=content, params={"name": name, **params},
                      headers={**caller.headers, "content-type": "text/plain; charset=utf-8"})  # fmt: skip


def _stored_objects(storage: Path) -> set[Path]:
    return {p for p in storage.rglob("*") if p.is_file()}


def test_raw_upload_keeps_bengali_name_and_bytes_and_publishes_one_event(
    fs_url: str, fs_caller: Caller, capture: Any
) -> None:
    events = capture("file-storage.file.uploaded")
    stored, used = sample(fs_url, UPLOADED, status="stored"), sample(fs_url, USED)
    response = _upload(fs_url, fs_caller, BENGALI_TEXT, BENGALI_NAME)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["name"], body["size_bytes"], body["tenant_id"]) == (
        BENGALI_NAME,
        len(BENGALI_TEXT),
        fs_caller.tenant_id,
    )
    assert body["sha256"] == hashlib.sha256(BENGALI_TEXT).hexdigest()
    content = httpx.get(f"{fs_url}/files/{body['id']}/content", headers=fs_caller.headers)
    assert content.status_code == 200
    assert content.content == BENGALI_TEXT
    assert content.headers["content-type"].startswith("text/plain")
    assert content.headers["x-content-sha256"] == body["sha256"]
    assert "filename*=UTF-8''" in content.headers["content-disposition"]
    assert httpx.get(f"{fs_url}/files/{body['id']}", headers=fs_caller.headers).json() == body
    mine = events.of(body["id"])
    assert len(mine) == 1, f"expected exactly one file-storage.file.uploaded for {body['id']}; saw {len(mine)}"
    event = event_of(mine[0])
    assert (event["type"], event["subject"], event["tenantid"]) == (
        "file-storage.file.uploaded",
        body["id"],
        fs_caller.tenant_id,
    )
    assert mine[0].header("x-tenant-id") == fs_caller.tenant_id
    assert event["data"]["name"] == BENGALI_NAME
    assert sample(fs_url, UPLOADED, status="stored") == stored + 1
    assert sample(fs_url, USED) == used + len(BENGALI_TEXT)


def test_multipart_upload_with_matching_sha256_is_stored_under_its_filename(fs_url: str, fs_caller: Caller) -> None:
    content = b"%PDF-1.4 not really a pdf\x00\xff"
    digest = hashlib.sha256(content).hexdigest()
    response = httpx.post(f"{fs_url}/files", headers=fs_caller.headers, data={"sha256": digest},
                          files={"file": ("report.pdf", content, "application/pdf")})  # fmt: skip
    assert response.status_code == 201, response.text
    assert (response.json()["name"], response.json()["content_type"]) == ("report.pdf", "application/pdf")
    download = httpx.get(f"{fs_url}/files/{response.json()['id']}/content", headers=fs_caller.headers)
    assert download.content == content


def test_another_tenant_gets_404_for_metadata_content_and_delete_and_does_not_list_the_file(
    fs_url: str, fs_caller: Caller, fs_other_caller: Caller
) -> None:
    created = _upload(fs_url, fs_caller, b"secret ledger", "ledger.txt").json()
    item = f"{fs_url}/files/{created['id']}"
    assert httpx.get(item, headers=fs_other_caller.headers).status_code == 404
    assert httpx.get(f"{item}/content", headers=fs_other_caller.headers).status_code == 404
    assert httpx.delete(item, headers=fs_other_caller.headers).status_code == 404
    listed = httpx.get(f"{fs_url}/files", headers=fs_other_caller.headers).json()
    assert created["id"] not in {row["id"] for row in listed}
    assert {row["tenant_id"] for row in listed} <= {fs_other_caller.tenant_id}
    # re-read as the owner: the other tenant's delete did not remove it
    assert httpx.get(f"{item}/content", headers=fs_caller.headers).content == b"secret ledger"
    assert created["id"] in {row["id"] for row in httpx.get(f"{fs_url}/files", headers=fs_caller.headers).json()}


@pytest.mark.parametrize("name", ["../../escape.txt", "..\\..\\escape.txt", "/etc/passwd", "..", "a/../../b"])
def test_path_like_names_are_metadata_only_and_the_content_stays_inside_the_storage_directory(
    fs_url: str, fs_caller: Caller, storage_dir: Path, name: str
) -> None:
    outside = {p for p in storage_dir.parent.parent.rglob("*") if p.is_file() and storage_dir not in p.parents}
    before = _stored_objects(storage_dir)
    response = _upload(fs_url, fs_caller, b"traversal attempt", name)
    assert response.status_code == 201, response.text
    assert response.json()["name"] == name
    new = _stored_objects(storage_dir) - before
    assert len(new) == 1
    (path,) = new
    assert path.read_bytes() == b"traversal attempt"
    assert path.parent.name == fs_caller.tenant_id
    assert "escape" not in path.name
    assert "passwd" not in path.name
    now_outside = {p for p in storage_dir.parent.parent.rglob("*") if p.is_file() and storage_dir not in p.parents}
    assert now_outside == outside
    disposition = httpx.get(f"{fs_url}/files/{response.json()['id']}/content", headers=fs_caller.headers).headers[
        "content-disposition"
    ]
    assert "/" not in disposition.split("filename*=")[0]


def test_upload_over_10_mib_is_413_problem_counted_as_rejected_and_stores_nothing(
    fs_url: str, fs_caller: Caller, storage_dir: Path
) -> None:
    rejected, used = sample(fs_url, UPLOADED, status="rejected"), sample(fs_url, USED)
    before = _stored_objects(storage_dir)
    listed = len(httpx.get(f"{fs_url}/files", params={"limit": 500}, headers=fs_caller.headers).json())
    response = _upload(fs_url, fs_caller, b"x" * (10 * 1024 * 1024 + 1), "big.bin")
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "10 MiB" in response.json()["detail"]
    assert sample(fs_url, UPLOADED, status="rejected") == rejected + 1
    assert sample(fs_url, USED) == used
    assert _stored_objects(storage_dir) == before
    assert len(httpx.get(f"{fs_url}/files", params={"limit": 500}, headers=fs_caller.headers).json()) == listed


def test_upload_of_exactly_10_mib_is_accepted(fs_url: str, fs_caller: Caller) -> None:
    response = _upload(fs_url, fs_caller, b"y" * (10 * 1024 * 1024), "exact.bin")
    assert response.status_code == 201, response.text
    assert response.json()["size_bytes"] == 10 * 1024 * 1024
    assert httpx.delete(f"{fs_url}/files/{response.json()['id']}", headers=fs_caller.headers).status_code == 204


def test_sha256_mismatch_is_422_naming_the_field_and_leaves_no_content_on_disk(
    fs_url: str, fs_caller: Caller, storage_dir: Path
) -> None:
    before = _stored_objects(storage_dir)
    rejected = sample(fs_url, UPLOADED, status="rejected")
    response = _upload(fs_url, fs_caller, b"tampered", "t.txt", sha256="0" * 64)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "sha256"
    assert _stored_objects(storage_dir) == before
    assert sample(fs_url, UPLOADED, status="rejected") == rejected + 1


@pytest.mark.parametrize(("name", "field"), [("", "name"), ("bad\nname.txt", "name"), ("x" * 256, "name")])
def test_bad_names_are_422_problems_naming_the_field(fs_url: str, fs_caller: Caller, name: str, field: str) -> None:
    response = _upload(fs_url, fs_caller, b"abc", name)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["field"] == field


def test_multipart_without_a_file_part_is_422(fs_url: str, fs_caller: Caller) -> None:
    response = httpx.post(f"{fs_url}/files", headers=fs_caller.headers, files={"other": ("a.txt", b"a")})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "file"


def test_delete_publishes_once_removes_the_content_and_lowers_storage_used(
    fs_url: str, fs_caller: Caller, capture: Any, storage_dir: Path
) -> None:
    created = _upload(fs_url, fs_caller, b"to be deleted", "gone.txt").json()
    (path,) = [p for p in _stored_objects(storage_dir) if p.read_bytes() == b"to be deleted"]
    events, used = capture("file-storage.file.deleted"), sample(fs_url, USED)
    item = f"{fs_url}/files/{created['id']}"
    assert httpx.delete(item, headers=fs_caller.headers).status_code == 204
    assert httpx.get(item, headers=fs_caller.headers).status_code == 404
    assert httpx.get(f"{item}/content", headers=fs_caller.headers).status_code == 404
    assert not path.exists()
    assert sample(fs_url, USED) == used - len(b"to be deleted")
    mine = events.of(created["id"])
    assert len(mine) == 1
    assert event_of(mine[0])["tenantid"] == fs_caller.tenant_id


def test_content_altered_on_disk_is_refused_with_500_instead_of_served(
    fs_url: str, fs_caller: Caller, storage_dir: Path
) -> None:
    marker = f"original {uuid.uuid4()}".encode()
    created = _upload(fs_url, fs_caller, marker, "integrity.txt").json()
    (path,) = [p for p in _stored_objects(storage_dir) if p.read_bytes() == marker]
    path.write_bytes(marker.upper())
    response = httpx.get(f"{fs_url}/files/{created['id']}/content", headers=fs_caller.headers)
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "sha256" in response.json()["detail"]


def test_missing_token_is_401_and_spoofed_tenant_header_is_403(fs_url: str, fs_caller: Caller) -> None:
    some = f"{fs_url}/files/{uuid.uuid4()}"
    assert httpx.get(some).status_code == 401
    assert httpx.get(f"{fs_url}/files").status_code == 401
    assert httpx.post(f"{fs_url}/files", content=b"x", params={"name": "a"}).status_code == 401
    spoofed = httpx.get(f"{fs_url}/files", headers={**fs_caller.headers, "X-Tenant-ID": str(uuid.uuid4())})
    assert spoofed.status_code == 403
    assert httpx.get(f"{fs_url}/files/not-a-uuid", headers=fs_caller.headers).status_code == 404


def test_ready_checks_postgres_kafka_and_the_storage_directory(fs_url: str) -> None:
    ready = httpx.get(f"{fs_url}/health/ready")
    assert ready.status_code == 200, ready.text
    assert {name: check["status"] for name, check in ready.json()["checks"].items()} == {
        "postgres": "up",
        "kafka": "up",
        "storage": "up",
    }
    names = {d["name"] for d in httpx.get(f"{fs_url}/health/dependencies").json()["dependencies"]}
    assert names == {"postgres", "kafka", "storage"}
