"""The tenancy load run: many tenants at once, every answer scanned for another tenant's canary.

One simulated user is one tenant of the pool ``fleetcheck load`` created before the run (a JSON file named by
``FLEETCHECK_LOAD_POOL``: per tenant its id, token and canary; the base URL of each service). The mix, by weight:
master-data CRUD and lists, notification writes and reads, GraphQL through the api-gateway, token refreshes, and
occasional deliberate cross-tenant reads of another user's ids. Each answer is judged by the catalogue's
TENANCY-NO-FOREIGN-CANARY check (``fleetcheck.contracts.tenancy``), not by code of its own; a violation is reported
to locust as a failure of request type ``TENANCY`` (its own category in the statistics, apart from errors and
latency), so it reaches the master's totals in distributed mode (``--master``/``--worker``, ``--processes``).

Run through ``fleetcheck load`` (which makes the pool and applies the thresholds); by hand:
``FLEETCHECK_LOAD_POOL=pool.json locust -f load/locustfile.py --headless -u 20 -t 30s``.
"""

from __future__ import annotations

import json
import os
import random
import uuid
from pathlib import Path
from typing import Any

from locust import FastHttpUser, between, events, task

from fleetcheck.contracts.fleet import load_fleet
from fleetcheck.contracts.observations import HttpExchange
from fleetcheck.contracts.registry import CHECKS, CheckContext, run_check
from fleetcheck.contracts.tenancy import Probe, TenancyObservation

POOL: dict[str, Any] = json.loads(Path(os.environ["FLEETCHECK_LOAD_POOL"]).read_text(encoding="utf-8"))
FLEET = load_fleet(POOL.get("fleet"))
CHECK = CHECKS["TENANCY-NO-FOREIGN-CANARY"]
CONTEXT = CheckContext(FLEET.service(POOL.get("judged_service", "master-data")), FLEET)
CANARIES = {t["id"]: (t["canary"],) for t in POOL["tenants"]}
#: ids created by the users of this process, by service: the cross-tenant reads pick from them
KNOWN: dict[str, list[tuple[str, str]]] = {"customers": [], "notifications": []}
_next_tenant = iter(range(10**9))


def _tenant_index(environment: Any) -> int:
    """The next tenant of the pool for a user of this process. In distributed mode started with ``--processes N``,
    worker ``i`` takes every N-th tenant from ``i``, so users of different workers are different tenants (as long
    as the pool has one per user); workers started by hand (``--worker``) share the pool from its start."""
    options = environment.parsed_options
    workers = (getattr(options, "processes", None) or 1) if options is not None else 1
    workers = (os.cpu_count() or 1) if workers < 0 else workers  # --processes -1: one per core
    index = getattr(environment.runner, "worker_index", 0) or 0
    return next(_next_tenant) * workers + index % workers


class IsolationViolation(Exception):
    """Another tenant's canary in an answer: the finding's message."""


def _judge(user: TenantUser, name: str, response: Any) -> None:
    """Run the catalogue's check on one answer; a finding is a ``TENANCY`` failure in locust's statistics."""
    body = response.content or b""
    exchange = HttpExchange(name.split(" ")[0], response.url or "", name, response.status_code or 0,
                            tuple((response.headers or {}).items()), body, 0.0)  # fmt: skip
    probe = Probe("load", name, user.tenant["id"], "", exchange)
    observation = TenancyObservation(CONTEXT.service.name, CANARIES, (probe,))
    result = run_check(CHECK, CONTEXT, observation)
    for finding in result.findings:
        events.request.fire(request_type="TENANCY", name=f"violation: {name}", response_time=0, response_length=0,
                            exception=IsolationViolation(finding.observed), context={})  # fmt: skip


class TenantUser(FastHttpUser):
    """One tenant of the pool: it writes its own rows (with its canary), reads and lists them, and now and then tries
    another tenant's id."""

    wait_time = between(0.05, 0.3)
    host = POOL["services"]["master-data"]

    def on_start(self) -> None:
        tenants = POOL["tenants"]
        self.tenant = tenants[_tenant_index(self.environment) % len(tenants)]
        self.headers = {"Authorization": f"Bearer {self.tenant['token']}"}
        self.mine: dict[str, list[str]] = {"customers": [], "notifications": []}

    def _call(self, method: str, service: str, path: str, name: str, **kwargs: Any) -> Any:
        url = POOL["services"][service] + path
        expected = kwargs.pop("expected", None)
        with self.client.request(method, url, name=name, headers=self.headers, catch_response=True, **kwargs) as answer:
            _judge(self, name, answer)
            if answer.status_code >= 400 and answer.status_code != expected:
                answer.failure(f"{name} answered {answer.status_code}")
            else:
                answer.success()
            return answer

    @task(3)
    def create_customer(self) -> None:
        body = {"code": f"LD-{uuid.uuid4().hex[:10]}", "name": self.tenant["canary"], "address": self.tenant["canary"]}
        answer = self._call("POST", "master-data", "/customers", "POST /customers", json=body)
        if answer.status_code == 201:
            the_id = answer.json()["id"]
            self.mine["customers"].append(the_id)
            KNOWN["customers"].append((self.tenant["id"], the_id))

    @task(6)
    def list_customers(self) -> None:
        size = random.choice((1, 20, 500))
        self._call("GET", "master-data", f"/customers?limit={size}", "GET /customers")

    @task(4)
    def read_customer(self) -> None:
        if self.mine["customers"]:
            the_id = random.choice(self.mine["customers"])
            self._call("GET", "master-data", f"/customers/{the_id}", "GET /customers/{id}")

    @task(2)
    def create_notification(self) -> None:
        body = {"channel": "email", "recipient": f"ld-{uuid.uuid4().hex[:8]}@example.com",
                "subject": self.tenant["canary"], "body": self.tenant["canary"]}  # fmt: skip
        answer = self._call("POST", "notification", "/notifications", "POST /notifications", json=body)
        if answer.status_code == 201:
            self.mine["notifications"].append(answer.json()["id"])

    @task(4)
    def read_notification(self) -> None:
        if self.mine["notifications"]:
            the_id = random.choice(self.mine["notifications"])
            self._call("GET", "notification", f"/notifications/{the_id}", "GET /notifications/{id}")
        self._call("GET", "notification", "/notifications?limit=50", "GET /notifications")

    @task(2)
    def graphql_customers(self) -> None:
        if "api-gateway" not in POOL["services"]:
            return
        query = {"query": "{ customers(limit: 50) { id name } }"}
        self._call("POST", "api-gateway", "/graphql", "POST /graphql customers", json=query)

    @task(1)
    def cross_tenant_read(self) -> None:
        foreign = [i for t, i in KNOWN["customers"] if t != self.tenant["id"]]
        if foreign:
            path = f"/customers/{random.choice(foreign)}"
            self._call("GET", "master-data", path, "GET /customers/{id} (another tenant's)", expected=404)
