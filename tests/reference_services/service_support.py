"""What every reference-service end-to-end test needs: launching services, callers with real tokens, events, metrics.

One module for the twelve service folders (importable from each of them: pytest's default ``prepend`` import mode puts
``tests/reference_services`` on ``sys.path`` when it imports the conftest there). It adds no observer of its own:
events are read with :class:`fleetcheck.events.EventCapture` (``assign()`` from offsets taken before the action, no
group join) and scrapes are parsed with :func:`fleetcheck.contracts.metrics.parse_exposition`.

Example:
    >>> events = TopicCapture(infra.kafka.bootstrap, "auth.user.login")  # doctest: +SKIP
    >>> caller = new_caller(fleet.services["auth"].base_url)  # doctest: +SKIP
    >>> [e.key for e in events.collect()]  # doctest: +SKIP
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx
from confluent_kafka import Consumer, Producer, TopicPartition

from fleetcheck.contracts.metrics import parse_exposition
from fleetcheck.events import EventCapture
from fleetcheck.fixtures.launcher import FleetLauncher, ServiceLaunch

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from pathlib import Path

    from prometheus_client.samples import Sample

    from fleetcheck.contracts.events import CapturedEvent
    from fleetcheck.contracts.metrics import Exposition
    from fleetcheck.fixtures.infra import Infrastructure
    from fleetcheck.fixtures.launcher import RunningFleet

__all__ = [
    "TIMEOUT",
    "Caller",
    "ServiceLaunch",
    "TopicCapture",
    "cloud_event",
    "create_tenant",
    "event_of",
    "launch",
    "new_caller",
    "new_tenant_caller",
    "produce",
    "publish",
    "replay",
    "sample",
    "samples",
    "scrape",
    "skip_history",
    "topics_of",
    "wait_for",
]

TIMEOUT = 30.0  # generous: the machine's cores are shared with other test runs


# ---- services ------------------------------------------------------------------------------------------------------


def topics_of(*producers: str) -> list[str]:
    """The topics the fleet file gives to ``producers`` (what a launch provisions for them); every topic if none."""
    from fleetcheck.contracts.fleet import load_fleet

    return [topic.name for topic in load_fleet().topics if not producers or topic.producer in producers]


def skip_history(bootstrap: str, groups: Iterable[str]) -> None:
    """Commit ``groups`` at the end of every topic there is: their services start as on a Kafka with no history.

    The session's Kafka keeps the events of the folders that ran before; a consumer that starts from ``earliest``
    (every reference service does, with its name as group id) would otherwise act on them while a test counts.
    """
    reader = Consumer({"bootstrap.servers": bootstrap, "group.id": f"history-{uuid.uuid4()}", "log_level": 3})
    try:
        partitions = [TopicPartition(topic, partition)
                      for topic, meta in reader.list_topics(timeout=10).topics.items() if not topic.startswith("__")
                      for partition in meta.partitions]  # fmt: skip
        high = [reader.get_watermark_offsets(p, timeout=10)[1] for p in partitions]
        ends = [TopicPartition(p.topic, p.partition, end) for p, end in zip(partitions, high, strict=True)]
    finally:
        reader.close()
    for group in groups:
        committer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
                              "log_level": 3})  # fmt: skip
        try:
            if ends:
                committer.commit(offsets=ends, asynchronous=False)
        finally:
            committer.close()


def launch(
    infra: Infrastructure, workdir: Path, services: Sequence[ServiceLaunch], *, topics: Iterable[str],
    ready_timeout_s: float = 30.0,
) -> RunningFleet:  # fmt: skip
    """Start ``services`` on the session's PostgreSQL and Kafka, each in databases of its own (dropped at stop), with
    their consumer groups past the events that earlier launches left on the topics."""
    skip_history(infra.kafka.bootstrap, [s.name for s in services])
    launcher = FleetLauncher(workdir, infra.postgres.admin_dsn, infra.kafka.bootstrap,
                             topics=[(t, 3) for t in topics], unique_databases=True,
                             ready_timeout_s=ready_timeout_s)  # fmt: skip
    return launcher.launch(services)


# ---- callers -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Caller:
    """A user registered and logged in through the real auth service."""

    tenant_id: str
    token: str
    user_id: str
    email: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def new_caller(auth_url: str, tenant_id: str | None = None) -> Caller:
    """Register a user in ``tenant_id`` (a new random tenant id by default) and log in: a real RS256 token."""
    tenant = tenant_id or str(uuid.uuid4())
    email, password = f"user-{uuid.uuid4().hex[:8]}@example.com", "s3cret-pass"
    registered = httpx.post(f"{auth_url}/auth/register", json={
        "tenant_id": tenant, "email": email, "password": password, "first_name": "Karim", "last_name": "Uddin",
    }, timeout=TIMEOUT)  # fmt: skip
    assert registered.status_code == 201, registered.text
    login = httpx.post(f"{auth_url}/auth/login", json={"tenant_id": tenant, "email": email, "password": password},
                       timeout=TIMEOUT)  # fmt: skip
    assert login.status_code == 200, login.text
    return Caller(tenant, login.json()["access_token"], str(registered.json()["id"]), email)


def create_tenant(organization_url: str, platform_admin_token: str) -> str:
    """A tenant created through organization as the platform admin; its id."""
    code = f"T-{uuid.uuid4().hex[:8]}"
    response = httpx.post(f"{organization_url}/tenants", json={"name": f"Tenant {code}", "code": code},
                          headers={"Authorization": f"Bearer {platform_admin_token}"}, timeout=TIMEOUT)  # fmt: skip
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def new_tenant_caller(fleet: RunningFleet) -> Caller:
    """A user of a new tenant made through organization, logged in through auth (both launched in ``fleet``)."""
    tenant = create_tenant(fleet.services["organization"].base_url, fleet.platform_admin_token)
    return new_caller(fleet.services["auth"].base_url, tenant)


# ---- events --------------------------------------------------------------------------------------------------------


class TopicCapture:
    """The events on ``topic`` after this moment (fleetcheck's capture; offsets are taken at construction)."""

    def __init__(self, bootstrap: str, topic: str, *, timeout: float = 20.0) -> None:
        self._capture = EventCapture(bootstrap, [topic])
        assert not self._capture.missing, f"topic {topic} does not exist on {bootstrap}; provision it at launch"
        self.timeout = timeout

    def collect(
        self, *, match: Callable[[CapturedEvent], bool] | None = None, key: str | None = None, until: int = 1,
        timeout: float | None = None, settle: float = 1.5,
    ) -> list[CapturedEvent]:  # fmt: skip
        """Matching events until ``until`` arrived (or ``timeout``), then ``settle`` s more to catch duplicates."""

        def wanted(event: CapturedEvent) -> bool:
            return (key is None or event.key == key) and (match is None or match(event))

        try:
            self._capture.read(until=lambda seen: sum(map(wanted, seen)) >= until,
                               deadline_s=self.timeout if timeout is None else timeout, settle_s=settle)  # fmt: skip
        finally:
            self._capture.close()
        return [event for event in self._capture.events if wanted(event)]

    def of(self, key: str, **kwargs: Any) -> list[CapturedEvent]:
        return self.collect(key=key, **kwargs)


def event_of(event: CapturedEvent) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(event.value)
    return decoded


def cloud_event(topic: str, tenant_id: str, data: dict[str, Any], *, subject: str | None = None) -> dict[str, Any]:
    """A CloudEvent as another service of the fleet would publish it."""
    return {"specversion": "1.0", "id": str(uuid.uuid4()), "source": f"/{topic.split('.')[0]}", "type": topic,
            "time": datetime.now(UTC).isoformat(), "subject": subject or str(uuid.uuid4()),
            "datacontenttype": "application/json", "tenantid": tenant_id, "correlationid": str(uuid.uuid4()),
            "data": data}  # fmt: skip


def produce(bootstrap: str, topic: str, value: bytes, *, key: bytes | None = None,
            headers: Sequence[tuple[str, bytes | str]] = ()) -> None:  # fmt: skip
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "log_level": 3})
    failures: list[Any] = []
    producer.produce(topic, value=value, key=key, headers=list(headers),
                     on_delivery=lambda error, _m: failures.append(error) if error else None)  # fmt: skip
    assert producer.flush(15) == 0, f"producing to {topic} did not finish within 15 s"
    assert not failures, f"producing to {topic} failed: {failures}"


def publish(bootstrap: str, topic: str, *, key: str, tenant_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """Publish one CloudEvent as its producer would (structured JSON, key = aggregate id, x-tenant-id header)."""
    event = cloud_event(topic, tenant_id, data, subject=key)
    produce(bootstrap, topic, json.dumps(event).encode(), key=key.encode(), headers=[("x-tenant-id", tenant_id)])
    return event


def replay(bootstrap: str, event: CapturedEvent) -> None:
    """Publish a captured event again, byte for byte (same event id): what a redelivery looks like."""
    produce(bootstrap, event.topic, event.value, key=None if event.key is None else event.key.encode(),
            headers=event.headers)  # fmt: skip


# ---- metrics and waits ---------------------------------------------------------------------------------------------


def scrape(base_url: str) -> Exposition:
    """``/metrics`` of a service, parsed by the suite's exposition parser (families by printed name)."""
    response = httpx.get(f"{base_url}/metrics", timeout=TIMEOUT)
    assert response.status_code == 200, f"GET {base_url}/metrics answered {response.status_code}"
    return parse_exposition(response.content)


def samples(base_url: str, name: str, **labels: str) -> list[Sample]:
    """The samples named ``name`` (``x_total``, ``x_bucket``...) whose labels include ``labels``."""
    return [
        s
        for family in scrape(base_url).families.values()
        for s in family.samples
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    ]


def sample(base_url: str, name: str, **labels: str) -> float:
    """Sum of the samples named ``name`` whose labels include ``labels`` (0 when there is none)."""
    return sum(s.value for s in samples(base_url, name, **labels))


def wait_for(what: str, probe: Callable[[], Any], *, timeout: float = 45.0, interval: float = 0.25) -> Any:
    """Poll ``probe`` until it returns something truthy; fail naming ``what``, the bound and the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s (last probe: {value!r})")
        time.sleep(interval)
