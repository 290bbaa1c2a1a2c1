"""import-export end to end: CSV into and out of the real master-data, with the caller's token."""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from service_support import Caller, event_of, sample

if TYPE_CHECKING:
    from fleetcheck.fixtures.launcher import RunningFleet

pytestmark = pytest.mark.servers

JOBS = "import_export_jobs_total"
RECORDS = "import_export_records_total"
CSV = {"content-type": "text/csv; charset=utf-8"}


def _customers_csv(tag: str) -> bytes:
    # the header is row 1: C1 is row 2, the bad TIN is row 3, C3 is row 4
    return (
        "code,name,name_bn,phone,tin,address\r\n"
        f'{tag}-C1,Rahim Traders,রহিম ট্রেডার্স,01712-345678,1234-5678-9012,"House 5, Road 2, ঢাকা"\r\n'
        f"{tag}-C2,Karim & Sons,করিম অ্যান্ড সন্স,,12345,Chattogram\r\n"
        f"{tag}-C3,Jamal Store,জামাল স্টোর 🛒,+8801812345678,,\r\n"
    ).encode()


def _import(url: str, caller: Caller, entity: str, body: bytes) -> httpx.Response:
    return httpx.post(f"{url}/imports/{entity}", content=body, headers={**caller.headers, **CSV}, timeout=60)


def test_import_reports_the_bad_tin_on_row_3_and_imports_the_good_rows_with_bengali_names(
    ie_url: str, md_url: str, ie_caller: Caller, capture: Any
) -> None:
    events = capture("import-export.job.completed")
    jobs = sample(ie_url, JOBS, direction="import", entity_type="customer", status="completed")
    good, bad = (
        sample(ie_url, RECORDS, direction="import", outcome="success"),
        sample(ie_url, RECORDS, direction="import", outcome="error"),
    )
    response = _import(ie_url, ie_caller, "customers", _customers_csv("T"))
    assert response.status_code == 201, response.text
    job = response.json()
    assert (job["status"], job["total_count"], job["success_count"], job["error_count"]) == ("completed", 3, 2, 1)
    assert [(e["row_number"], e["field"]) for e in job["errors"]] == [(3, "tin")]
    assert "tin" in job["errors"][0]["message"]
    imported = {c["code"]: c for c in httpx.get(f"{md_url}/customers", headers=ie_caller.headers).json()}
    assert set(imported) == {"T-C1", "T-C3"}
    assert imported["T-C1"]["name_bn"] == "রহিম ট্রেডার্স"
    assert imported["T-C3"]["name_bn"] == "জামাল স্টোর 🛒"
    assert (imported["T-C1"]["phone"], imported["T-C1"]["tin"]) == ("+8801712345678", "123456789012")
    assert imported["T-C1"]["address"] == "House 5, Road 2, ঢাকা"
    for path in (f"/imports/{job['id']}", f"/jobs/{job['id']}"):
        assert httpx.get(f"{ie_url}{path}", headers=ie_caller.headers).json() == job
    mine = events.of(job["id"])
    assert len(mine) == 1, f"expected one import-export.job.completed for {job['id']}; saw {len(mine)}"
    assert (event_of(mine[0])["tenantid"], event_of(mine[0])["data"]["error_count"]) == (ie_caller.tenant_id, 1)
    assert sample(ie_url, JOBS, direction="import", entity_type="customer", status="completed") == jobs + 1
    assert sample(ie_url, RECORDS, direction="import", outcome="success") == good + 2
    assert sample(ie_url, RECORDS, direction="import", outcome="error") == bad + 1


def test_export_round_trips_through_an_import_into_another_tenant(
    ie_url: str, ie_caller: Caller, ie_other_caller: Caller
) -> None:
    assert _import(ie_url, ie_caller, "customers", _customers_csv("R")).status_code == 201
    exports = sample(ie_url, JOBS, direction="export", entity_type="customer", status="completed")
    exported = httpx.get(f"{ie_url}/exports/customers", headers=ie_caller.headers)
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    text = exported.content.decode("utf-8")
    assert text.splitlines()[0] == "code,name,name_bn,email,phone,tin,nid,address"
    assert "রহিম ট্রেডার্স" in text
    assert "জামাল স্টোর 🛒" in text
    assert "R-C2" not in text
    job = httpx.get(f"{ie_url}/jobs/{exported.headers['x-job-id']}", headers=ie_caller.headers).json()
    assert (job["direction"], job["total_count"]) == ("export", 2)
    assert sample(ie_url, JOBS, direction="export", entity_type="customer", status="completed") == exports + 1
    again = _import(ie_url, ie_other_caller, "customers", exported.content)
    assert again.status_code == 201, again.text
    assert (again.json()["success_count"], again.json()["error_count"]) == (2, 0)
    assert httpx.get(f"{ie_url}/exports/customers", headers=ie_other_caller.headers).content == exported.content


def test_products_and_vendors_import_and_a_duplicate_key_is_an_error_on_its_row(ie_url: str, ie_caller: Caller) -> None:
    products = "sku,name,vat_rate,hs_code\r\nP-1,চাল,15,1006.30\r\nP-2,Medicine,0.00,\r\nP-1,Duplicate,15,\r\n"
    job = _import(ie_url, ie_caller, "products", products.encode()).json()
    assert (job["success_count"], job["error_count"]) == (2, 1)
    assert [(e["row_number"], e["field"]) for e in job["errors"]] == [(4, "sku")]
    exported = httpx.get(f"{ie_url}/exports/products", headers=ie_caller.headers).content.decode()
    assert "P-1,চাল,,pcs,15.00,1006.30" in exported
    vendors = "code,name,bin\r\nV-1,Supplier,123456789\r\nV-2,Bad BIN,12\r\n"
    job = _import(ie_url, ie_caller, "vendors", vendors.encode()).json()
    assert [(e["row_number"], e["field"]) for e in job["errors"]] == [(3, "bin")]


def test_another_tenant_gets_404_for_the_job_and_does_not_export_the_rows(
    ie_url: str, ie_caller: Caller, ie_other_caller: Caller
) -> None:
    job = _import(ie_url, ie_caller, "customers", _customers_csv("I")).json()
    assert httpx.get(f"{ie_url}/jobs/{job['id']}", headers=ie_other_caller.headers).status_code == 404
    assert httpx.get(f"{ie_url}/imports/{job['id']}", headers=ie_other_caller.headers).status_code == 404
    assert "I-C1" not in httpx.get(f"{ie_url}/exports/customers", headers=ie_other_caller.headers).text
    assert httpx.get(f"{ie_url}/jobs/{job['id']}", headers=ie_caller.headers).status_code == 200


@pytest.mark.parametrize(("body", "status", "field"), [
    (b"code,name,password\r\nC1,x,y\r\n", 422, "header"),
    (b"name\r\nx\r\n", 422, "header"),
    (b"", 422, "header"),
    ("code,name\r\nC1,নাম\r\n".encode("utf-16"), 400, "body"),
    (b"code,name\r\n\"C1,unterminated\r\n", 422, "body"),
])  # fmt: skip
def test_unusable_csv_is_a_problem_and_imports_nothing(
    ie_url: str, md_url: str, ie_caller: Caller, body: bytes, status: int, field: str
) -> None:
    jobs = sample(ie_url, JOBS, direction="import", entity_type="customer")
    response = _import(ie_url, ie_caller, "customers", body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["field"] == field
    assert httpx.get(f"{md_url}/customers", headers=ie_caller.headers).json() == []
    assert sample(ie_url, JOBS, direction="import", entity_type="customer") == jobs


def test_a_row_with_more_cells_than_columns_is_an_error_on_that_row(ie_url: str, ie_caller: Caller) -> None:
    job = _import(ie_url, ie_caller, "customers", b"code,name\r\nC1,One\r\nC2,Two,extra\r\n").json()
    assert [(e["row_number"], e["field"]) for e in job["errors"]] == [(3, None)]
    assert "3 cells" in job["errors"][0]["message"]
    assert job["success_count"] == 1


def test_unknown_entity_type_is_404_and_missing_token_401_and_spoofed_tenant_403(
    ie_url: str, ie_caller: Caller
) -> None:
    assert _import(ie_url, ie_caller, "accounts", b"code,name\r\n").status_code == 404
    assert httpx.get(f"{ie_url}/jobs/{uuid.uuid4()}").status_code == 401
    assert httpx.post(f"{ie_url}/imports/customers", content=b"code,name\r\n").status_code == 401
    spoofed = httpx.get(f"{ie_url}/exports/customers", headers={**ie_caller.headers, "X-Tenant-ID": str(uuid.uuid4())})
    assert spoofed.status_code == 403


def _wait_ready(url: str, status: int, timeout: float = 20.0) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        response = httpx.get(f"{url}/health/ready", timeout=10)
        if response.status_code == status or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


def test_frozen_master_data_turns_ready_503_and_an_import_into_a_failed_job(
    ie_fleet: RunningFleet, ie_url: str, ie_caller: Caller, capture: Any
) -> None:
    assert _wait_ready(ie_url, 200).status_code == 200
    events = capture("import-export.job.failed")
    process = ie_fleet.process("master-data")
    process.freeze()
    try:
        ready = _wait_ready(ie_url, 503)
        assert ready.json()["checks"]["master-data"]["status"] == "down"
        response = _import(ie_url, ie_caller, "customers", b"code,name\r\nF1,Frozen\r\n")
        assert response.status_code == 502, response.text
        job = response.json()["job"]
        assert (job["status"], job["success_count"]) == ("failed", 0)
    finally:
        process.thaw()
    assert len(events.of(job["id"])) == 1
    assert httpx.get(f"{ie_url}/jobs/{job['id']}", headers=ie_caller.headers).json()["status"] == "failed"
    assert _wait_ready(ie_url, 200).status_code == 200
