"""document-generator end to end: an invoice rendered with Jinja2 and stored through the real file-storage."""

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

GENERATED = "documents_generated_total"
DURATION_COUNT = "document_generation_duration_seconds_count"
CUSTOMER_BN = "রহিম ট্রেডার্স লিমিটেড"
ITEM_BN = "চাল (মিনিকেট) ৫০ কেজি"


def _invoice(**extra: Any) -> dict[str, Any]:
    return {"template": "invoice", "format": "html", "data": {
        "invoice_number": f"INV-{uuid.uuid4().hex[:6]}", "issue_date": "2025-07-01", "seller": "Karim Stores",
        "customer": {"name": "Rahim Traders Ltd", "name_bn": CUSTOMER_BN, "tin": "123456789012"},
        # 3 x 1234.57 = 3703.71; VAT 15% = 555.5565 -> 555.56; 2 x 99.99 = 199.98 at 5% = 9.999 -> 10.00
        "lines": [{"description": ITEM_BN, "quantity": 3, "unit_price": "1234.57"},
                  {"description": "Exercise book", "quantity": "2", "unit_price": 99.99, "vat_rate": "5"}],
        **extra}}  # fmt: skip


def _count(url: str, caller: Caller) -> int:
    return len(httpx.get(f"{url}/documents", params={"limit": 500}, headers=caller.headers).json())


def test_invoice_is_stored_in_file_storage_with_bengali_text_unchanged_and_15_percent_vat_in_bdt(
    dg_url: str, files_url: str, dg_caller: Caller, capture: Any
) -> None:
    events = capture("document-generator.document.generated")
    generated = sample(dg_url, GENERATED, template="invoice", format="html", status="generated")
    timed = sample(dg_url, DURATION_COUNT, format="html")
    response = httpx.post(f"{dg_url}/documents", json=_invoice(), headers=dg_caller.headers)
    assert response.status_code == 201, response.text
    document = response.json()
    assert (document["status"], document["template"], document["format"]) == ("generated", "invoice", "html")
    stored = httpx.get(f"{files_url}/files/{document['file_id']}/content", headers=dg_caller.headers)
    assert stored.status_code == 200
    assert stored.headers["content-type"].startswith("text/html")
    assert CUSTOMER_BN.encode() in stored.content
    assert ITEM_BN.encode() in stored.content
    html = stored.content.decode("utf-8")
    assert "<td>15.00%</td><td>555.56</td>" in html
    assert "<td>5.00%</td><td>10.00</td>" in html
    assert "Subtotal: BDT 3903.69" in html
    assert "VAT: BDT 565.56" in html
    assert "Total: BDT 4469.25" in html
    assert httpx.get(f"{dg_url}/documents/{document['id']}", headers=dg_caller.headers).json() == document
    mine = events.of(document["id"])
    assert len(mine) == 1, f"expected one document-generator.document.generated for {document['id']}; saw {len(mine)}"
    event = event_of(mine[0])
    assert (event["subject"], event["tenantid"], event["data"]["file_id"]) == (
        document["id"],
        dg_caller.tenant_id,
        document["file_id"],
    )
    assert sample(dg_url, GENERATED, template="invoice", format="html", status="generated") == generated + 1
    assert sample(dg_url, DURATION_COUNT, format="html") == timed + 1


def test_another_tenant_cannot_read_or_list_the_document_or_its_file(
    dg_url: str, files_url: str, dg_caller: Caller, dg_other_caller: Caller
) -> None:
    document = httpx.post(f"{dg_url}/documents", json=_invoice(), headers=dg_caller.headers).json()
    assert httpx.get(f"{dg_url}/documents/{document['id']}", headers=dg_other_caller.headers).status_code == 404
    listed = httpx.get(f"{dg_url}/documents", headers=dg_other_caller.headers).json()
    assert document["id"] not in {row["id"] for row in listed}
    file_url = f"{files_url}/files/{document['file_id']}/content"
    assert httpx.get(file_url, headers=dg_other_caller.headers).status_code == 404
    assert httpx.get(f"{dg_url}/documents/{document['id']}", headers=dg_caller.headers).status_code == 200
    assert httpx.get(file_url, headers=dg_caller.headers).status_code == 200


@pytest.mark.parametrize(("body", "field"), [
    ({"template": "invoice", "format": "pdf", "data": {}}, "format"),
    ({"template": "no-such-template", "format": "html", "data": {}}, "template"),
    ({"template": "invoice", "format": "html", "data": []}, "data"),
    (_invoice() | {"data": {**_invoice()["data"], "lines": [{"description": "x", "quantity": "three",
                                                              "unit_price": 1}]}}, "data.lines[0].quantity"),
    (_invoice() | {"data": {**_invoice()["data"], "lines": []}}, "data.lines"),
    ({"template": "invoice", "format": "html", "data": {}, "extra": 1}, "body"),
])  # fmt: skip
def test_invalid_requests_are_422_naming_the_field_and_store_nothing(
    dg_url: str, dg_caller: Caller, body: dict[str, Any], field: str
) -> None:
    before = _count(dg_url, dg_caller)
    generated = sample(dg_url, GENERATED)
    response = httpx.post(f"{dg_url}/documents", json=body, headers=dg_caller.headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["field"] == field
    assert _count(dg_url, dg_caller) == before
    assert sample(dg_url, GENERATED) == generated


def test_garbage_json_is_400_problem(dg_url: str, dg_caller: Caller) -> None:
    response = httpx.post(f"{dg_url}/documents", content=b"{'not json", headers={
        **dg_caller.headers, "content-type": "application/json"})  # fmt: skip
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")


def test_tenant_template_renders_escaped_bengali_data_and_duplicate_code_is_409(
    dg_url: str, files_url: str, dg_caller: Caller
) -> None:
    code = f"letter-{uuid.uuid4().hex[:6]}"
    template = {"code": code, "name": "চিঠি", "format": "html", "body": "<p>প্রিয় {{ data.name }},</p>"}
    assert httpx.post(f"{dg_url}/templates", json=template, headers=dg_caller.headers).status_code == 201
    assert httpx.post(f"{dg_url}/templates", json=template, headers=dg_caller.headers).status_code == 409
    generated = sample(dg_url, GENERATED, template="custom", format="html", status="generated")
    response = httpx.post(
        f"{dg_url}/documents",
        json={"template": code, "format": "html", "data": {"name": "করিম <script>"}},
        headers=dg_caller.headers,
    )
    assert response.status_code == 201, response.text
    content = httpx.get(f"{files_url}/files/{response.json()['file_id']}/content", headers=dg_caller.headers)
    assert content.content.decode("utf-8") == "<p>প্রিয় করিম &lt;script&gt;,</p>"
    assert sample(dg_url, GENERATED, template="custom", format="html", status="generated") == generated + 1


@pytest.mark.parametrize(
    "source",
    [
        "<p>{{ data.missing.deeper }}</p>",  # undefined: StrictUndefined refuses it
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",  # the sandbox refuses dunder access
    ],
)
def test_template_that_fails_to_render_records_a_failed_document_and_one_failed_event(
    dg_url: str, dg_caller: Caller, capture: Any, source: str
) -> None:
    code = f"broken-{uuid.uuid4().hex[:6]}"
    template = {"code": code, "name": "Broken", "format": "html", "body": source}
    assert httpx.post(f"{dg_url}/templates", json=template, headers=dg_caller.headers).status_code == 201
    events = capture("document-generator.document.failed")
    failed = sample(dg_url, GENERATED, template="custom", format="html", status="failed")
    response = httpx.post(f"{dg_url}/documents", json={"template": code, "data": {}}, headers=dg_caller.headers)
    assert response.status_code == 422, response.text
    document = response.json()["document"]
    assert (document["status"], document["file_id"]) == ("failed", None)
    assert httpx.get(f"{dg_url}/documents/{document['id']}", headers=dg_caller.headers).json()["status"] == "failed"
    assert len(events.of(document["id"])) == 1
    assert sample(dg_url, GENERATED, template="custom", format="html", status="failed") == failed + 1


def test_template_with_a_syntax_error_is_rejected_when_saved(dg_url: str, dg_caller: Caller) -> None:
    template = {"code": f"bad-{uuid.uuid4().hex[:6]}", "name": "Bad", "format": "html", "body": "{% for %}"}
    response = httpx.post(f"{dg_url}/templates", json=template, headers=dg_caller.headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body"


def test_missing_token_is_401_and_spoofed_tenant_header_is_403(dg_url: str, dg_caller: Caller) -> None:
    assert httpx.get(f"{dg_url}/documents/{uuid.uuid4()}").status_code == 401
    assert httpx.post(f"{dg_url}/documents", json=_invoice()).status_code == 401
    spoofed = httpx.get(f"{dg_url}/documents", headers={**dg_caller.headers, "X-Tenant-ID": str(uuid.uuid4())})
    assert spoofed.status_code == 403


def _wait_ready(url: str, status: int, timeout: float = 20.0) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        response = httpx.get(f"{url}/health/ready", timeout=10)
        if response.status_code == status or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


def test_frozen_file_storage_turns_ready_503_and_generation_into_a_recorded_502_failure(
    dg_fleet: RunningFleet, dg_url: str, dg_caller: Caller
) -> None:
    assert _wait_ready(dg_url, 200).status_code == 200
    failed = sample(dg_url, GENERATED, template="invoice", format="html", status="failed")
    process = dg_fleet.process("file-storage")
    process.freeze()
    try:
        ready = _wait_ready(dg_url, 503)
        assert ready.status_code == 503
        assert ready.json()["checks"]["file-storage"]["status"] == "down"
        response = httpx.post(f"{dg_url}/documents", json=_invoice(), headers=dg_caller.headers, timeout=30)
        assert response.status_code == 502, response.text
        assert response.json()["document"]["status"] == "failed"
    finally:
        process.thaw()
    assert sample(dg_url, GENERATED, template="invoice", format="html", status="failed") == failed + 1
    assert _wait_ready(dg_url, 200).status_code == 200
