"""import-export: a customer export (a job: ``import-export.job.completed``, keyed by the job id the answer's
``X-Job-ID`` names) and an import refused because its body is not a customer CSV (422, no job, no event); bursts
import a CSV holding only the header (a completed job of zero rows, nothing sent to master-data).

The scenario sends no import with rows: an import's body is raw CSV, and scenario actions send JSON or multipart.
Not covered: ``import-export.job.failed``. A job fails only when master-data cannot be reached (or refuses the
caller's token) mid-job, which no API action of a healthy fleet causes; a CSV that cannot be read is refused before
any job exists.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import httpx

from fleetcheck.contracts.events import WriteRecord

from ._context import ScenarioContext, Writer, tenant

if TYPE_CHECKING:
    from fleetcheck.targets import Credentials, Endpoint

SERVICE = "import-export"
TOPIC = "import-export.job.completed"


def scenario(ctx: ScenarioContext) -> None:
    token, tenant_id = tenant(ctx)
    sent = ctx.send("GET", "/exports/customers", token=token)
    ctx.record("GET /exports/{entity_type}", sent, TOPIC, sent[0].header("x-job-id") or "", tenant_id)
    ctx.act("POST /imports/{entity_type} (not a customer CSV)", "POST", "/imports/customers", {"not": "a csv"},
            topic=None, tenant_id=tenant_id, token=token)  # fmt: skip


def _import(client: httpx.Client, endpoint: Endpoint, credentials: Credentials, n: int) -> WriteRecord:
    correlation = str(uuid.uuid4())
    headers = {"X-Correlation-ID": correlation, "Content-Type": "text/csv; charset=utf-8"}
    if credentials.tenant_token:
        headers["Authorization"] = f"Bearer {credentials.tenant_token}"
    try:
        response = client.post(endpoint.url("/imports/customers"), content=b"code,name\r\n", headers=headers)
    except httpx.HTTPError:
        return WriteRecord(SERVICE, TOPIC, correlation, "", 0)
    try:
        job = response.json()
    except ValueError:
        job = None
    job_id = str(job.get("id", "")) if isinstance(job, dict) else ""
    return WriteRecord(SERVICE, TOPIC, correlation, job_id, response.status_code)


WRITER = Writer(SERVICE, TOPIC, _import)
