"""scheduler: a heartbeat job run now twice (``POST /jobs/{job_id}/run``, one ``scheduler.job.executed`` each, keyed
by the job), and a run of a job that does not exist refused; bursts create a job and run it.

The jobs are created disabled with a yearly cron, so the scheduler's own loop never runs them meanwhile (a run now
works on a disabled job). Creating a job causes no event, so it is set-up, not an action.

Not covered: ``scheduler.job.failed``. Only a job whose work raises fails, and neither built-in job type (heartbeat,
fiscal-year-rollover) can be made to fail through the API.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from fleetcheck.contracts.events import WriteRecord

from ._context import ScenarioContext, Writer, tenant, write

if TYPE_CHECKING:
    import httpx

    from fleetcheck.targets import Credentials, Endpoint

SERVICE = "scheduler"
TOPIC = "scheduler.job.executed"


def _job(code: str) -> dict[str, object]:
    return {"code": code, "job_type": "heartbeat", "cron": "0 3 1 7 *", "enabled": False}


def scenario(ctx: ScenarioContext) -> None:
    token, tenant_id = tenant(ctx)
    _answer, job, _correlation = ctx.send("POST", "/jobs", _job(f"events-{uuid.uuid4().hex[:10]}"), token=token)
    job_id = str(job.get("id", "")) if isinstance(job, dict) else ""
    for label in ("POST /jobs/{job_id}/run", "POST /jobs/{job_id}/run (again)"):
        ctx.act(label, "POST", f"/jobs/{job_id}/run", topic=TOPIC, tenant_id=tenant_id, aggregate_id=job_id,
                token=token)  # fmt: skip
    unknown = str(uuid.uuid4())
    ctx.act("POST /jobs/{job_id}/run (no such job)", "POST", f"/jobs/{unknown}/run", topic=None, tenant_id=tenant_id,
            aggregate_id=unknown, token=token)  # fmt: skip


def _run(client: httpx.Client, endpoint: Endpoint, credentials: Credentials, n: int) -> WriteRecord:
    created = write(client, endpoint, (SERVICE, TOPIC), "POST", "/jobs", _job(f"burst-{n}-{uuid.uuid4().hex[:10]}"),
                    credentials.tenant_token)  # fmt: skip
    if not 200 <= created.status < 300:
        return created  # a refused job is this write's outcome: its status says why
    ran = write(client, endpoint, (SERVICE, TOPIC), "POST", f"/jobs/{created.aggregate_id}/run", None,
                credentials.tenant_token)  # fmt: skip
    # the run's event is keyed by the job, not by the run the answer describes
    return WriteRecord(SERVICE, TOPIC, ran.correlation_id, created.aggregate_id, ran.status)


WRITER = Writer(SERVICE, TOPIC, _run)
