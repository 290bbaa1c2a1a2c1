"""scheduler end to end: real auth and scheduler processes; jobs run on demand and on their Asia/Dhaka cron."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from service_support import TopicCapture, event_of, sample, wait_for

from reference_services.scheduler.jobs import fiscal_year

if TYPE_CHECKING:
    from service_support import Caller

pytestmark = pytest.mark.servers

EXECUTED = "scheduler_jobs_executed_total"
DURATION = "scheduler_job_duration_seconds_count"


def _job(url: str, caller: Caller, **fields: Any) -> dict[str, Any]:
    body = {"code": f"job-{uuid.uuid4().hex[:8]}", "job_type": "heartbeat", "cron": "0 2 * * *", **fields}
    response = httpx.post(f"{url}/jobs", json=body, headers=caller.headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_new_job_defaults_to_dhaka_time_and_is_next_due_at_plus_six(sched_url: str, caller: Caller) -> None:
    job = _job(sched_url, caller)
    assert (job["timezone"], job["enabled"], job["tenant_id"]) == ("Asia/Dhaka", True, caller.tenant_id)
    due = datetime.fromisoformat(job["next_run_at"])
    assert job["next_run_at"].endswith("T02:00:00+06:00")
    assert datetime.now(UTC) < due
    read = httpx.get(f"{sched_url}/jobs/{job['id']}", headers=caller.headers).json()
    assert read["next_run_at"] == job["next_run_at"]


def test_run_now_records_one_run_publishes_one_event_and_counts_once(
    sched_url: str, caller: Caller, bootstrap: str
) -> None:
    job = _job(sched_url, caller)
    events = TopicCapture(bootstrap, "scheduler.job.executed")
    executed = sample(sched_url, EXECUTED, job_type="heartbeat", status="succeeded")
    timed = sample(sched_url, DURATION, job_type="heartbeat")
    run = httpx.post(f"{sched_url}/jobs/{job['id']}/run", headers=caller.headers)
    assert run.status_code == 201, run.text
    assert (run.json()["status"], run.json()["trigger"], run.json()["job_id"]) == ("succeeded", "manual", job["id"])
    mine = events.collect(match=lambda m: m.key == job["id"])
    assert len(mine) == 1, f"expected one scheduler.job.executed keyed {job['id']}; saw {len(mine)}"
    assert (event_of(mine[0])["tenantid"], event_of(mine[0])["data"]["id"]) == (caller.tenant_id, run.json()["id"])
    assert sample(sched_url, EXECUTED, job_type="heartbeat", status="succeeded") == executed + 1
    assert sample(sched_url, DURATION, job_type="heartbeat") == timed + 1
    runs = httpx.get(f"{sched_url}/jobs/{job['id']}/runs", headers=caller.headers).json()
    assert [r["id"] for r in runs] == [run.json()["id"]]


def test_the_fiscal_year_rollover_job_reports_the_current_bangladesh_fiscal_year(
    sched_url: str, caller: Caller
) -> None:
    job = _job(sched_url, caller, job_type="fiscal-year-rollover", cron="0 0 1 7 *")
    assert job["next_run_at"].endswith("-07-01T00:00:00+06:00")
    run = httpx.post(f"{sched_url}/jobs/{job['id']}/run", headers=caller.headers).json()
    expected = fiscal_year(datetime.fromisoformat(run["started_at"]).astimezone(ZoneInfo("Asia/Dhaka")).date())
    assert run["result"]["fiscal_year"] == expected.label
    assert run["started_at"].endswith("+06:00")


def test_a_job_due_every_minute_runs_on_its_schedule(sched_url: str, caller: Caller) -> None:
    job = _job(sched_url, caller, cron="* * * * *")
    due = datetime.fromisoformat(job["next_run_at"])
    runs = wait_for("a scheduled run of an every-minute job", lambda: [
        r for r in httpx.get(f"{sched_url}/jobs/{job['id']}/runs", headers=caller.headers).json()
        if r["trigger"] == "schedule"], timeout=100, interval=1.0)  # fmt: skip
    assert runs[0]["status"] == "succeeded"
    assert datetime.fromisoformat(runs[0]["started_at"]) >= due
    later = httpx.get(f"{sched_url}/jobs/{job['id']}", headers=caller.headers).json()
    assert datetime.fromisoformat(later["next_run_at"]) > due


def test_a_disabled_job_has_no_next_run(sched_url: str, caller: Caller) -> None:
    job = _job(sched_url, caller)
    patched = httpx.patch(f"{sched_url}/jobs/{job['id']}", json={"enabled": False}, headers=caller.headers)
    assert patched.status_code == 200
    assert (patched.json()["enabled"], patched.json()["next_run_at"]) == (False, None)


def test_another_tenant_gets_404_for_every_job_route(sched_url: str, caller: Caller, other_caller: Caller) -> None:
    job = _job(sched_url, caller)
    item = f"{sched_url}/jobs/{job['id']}"
    assert httpx.get(item, headers=other_caller.headers).status_code == 404
    assert httpx.patch(item, json={"cron": "5 * * * *"}, headers=other_caller.headers).status_code == 404
    assert httpx.post(f"{item}/run", headers=other_caller.headers).status_code == 404
    assert httpx.get(f"{item}/runs", headers=other_caller.headers).status_code == 404
    assert httpx.delete(item, headers=other_caller.headers).status_code == 404
    assert job["id"] not in {j["id"] for j in httpx.get(f"{sched_url}/jobs", headers=other_caller.headers).json()}
    assert httpx.get(item, headers=caller.headers).json()["cron"] == "0 2 * * *"
    assert httpx.get(f"{item}/runs", headers=caller.headers).json() == []


@pytest.mark.parametrize(
    ("fields", "status", "field"),
    [
        ({"cron": "every minute"}, 422, "cron"),
        ({"timezone": "Mars/Olympus"}, 422, "timezone"),
        ({"job_type": "rm -rf /"}, 400, "job_type"),
        ({"code": "দৈনিক 🕑"}, 400, "code"),
        ({"enabled": "yes"}, 400, "enabled"),
    ],
)
def test_invalid_jobs_are_problems_naming_the_field_and_store_nothing(
    sched_url: str, caller: Caller, fields: dict[str, Any], status: int, field: str
) -> None:
    stored = len(httpx.get(f"{sched_url}/jobs", headers=caller.headers).json())
    body = {"code": f"job-{uuid.uuid4().hex[:8]}", "job_type": "heartbeat", "cron": "0 2 * * *", **fields}
    response = httpx.post(f"{sched_url}/jobs", json=body, headers=caller.headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in response.text
    assert len(httpx.get(f"{sched_url}/jobs", headers=caller.headers).json()) == stored


def test_a_duplicate_code_is_409_and_routes_need_a_token(sched_url: str, caller: Caller) -> None:
    job = _job(sched_url, caller)
    duplicate = httpx.post(f"{sched_url}/jobs", json={"code": job["code"], "job_type": "heartbeat",
                                                      "cron": "* * * * *"}, headers=caller.headers)  # fmt: skip
    assert duplicate.status_code == 409
    garbage = httpx.post(f"{sched_url}/jobs", content=b"{nope",
                         headers={**caller.headers, "content-type": "application/json"})  # fmt: skip
    assert garbage.status_code == 400
    assert httpx.get(f"{sched_url}/jobs").status_code == 401
    assert httpx.get(f"{sched_url}/jobs/{uuid.uuid4()}").status_code == 401
    spoofed = httpx.get(f"{sched_url}/jobs", headers={**caller.headers, "X-Tenant-ID": str(uuid.uuid4())})
    assert spoofed.status_code == 403
