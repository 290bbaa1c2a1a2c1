"""The bazaar fleet works as its README says, its controls break and heal it, and each mutant shows its bug."""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from typing import TYPE_CHECKING, Any

import httpx
import jwt
import psycopg
import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from fleetcheck.fixtures.kafka import list_topics
from tests.support.waiting import wait_for

if TYPE_CHECKING:
    from tests.foreign_fleet.fleet import ForeignFleet

pytestmark = pytest.mark.servers

# Bounds for things that happen asynchronously (outbox relay every 200 ms, trail's consumer group, ioredis reconnects
# every 500 ms): generous, so a loaded machine does not flake; the tests never assert how fast.
_EVENT_WITHIN_S = 30.0
_READY_WITHIN_S = 20.0


# ---- helpers ------------------------------------------------------------------------------------------------------


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _run(command: str) -> None:
    done = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"{command} exited {done.returncode}:\n{done.stdout}{done.stderr}"


def _create_product(fleet: ForeignFleet, sku: str, token: str | None = None) -> httpx.Response:
    return httpx.post(
        fleet.url("catalog", "/api/products"), headers=_auth(token or fleet.tenant.access_token),
        json={"sku": sku, "name": f"Product {sku}", "priceBdt": "125.50"}, timeout=10.0,
    )  # fmt: skip


class _Topic:
    """Reads what a topic receives from now on: offsets are taken at construction, read with assign()."""

    def __init__(self, fleet: ForeignFleet, topic: str):
        self.topic = topic
        self._consumer = Consumer({"bootstrap.servers": fleet.kafka_bootstrap, "group.id": f"test-{uuid.uuid4()}",
                                   "enable.auto.commit": False})  # fmt: skip
        self._partitions = []
        for partition in range(3):
            _, high = self._consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10.0)
            self._partitions.append(TopicPartition(topic, partition, high))
        self._consumer.assign(self._partitions)
        self.messages: list[Any] = []

    def read(self, seconds: float = 1.0) -> list[Any]:
        for message in self._consumer.consume(num_messages=100, timeout=seconds):
            if message.error() is None:
                self.messages.append(message)
        return self.messages

    def events(self, sku: str | None = None) -> list[dict[str, Any]]:
        """The events read so far; with ``sku``, only that product's (other tests' late relays may be there too)."""
        events = [json.loads(message.value()) for message in self.messages]
        return [event for event in events if sku is None or event["data"].get("sku") == sku]

    def close(self) -> None:
        self._consumer.close()


def _trail_entries(fleet: ForeignFleet, subject: str, token: str | None = None) -> list[dict[str, Any]]:
    response = httpx.get(
        fleet.url("trail", "/api/entries"), params={"subject": subject},
        headers=_auth(token or fleet.tenant.access_token), timeout=10.0,
    )  # fmt: skip
    response.raise_for_status()
    entries: list[dict[str, Any]] = response.json()
    return entries


def _sample(fleet: ForeignFleet, service: str, family: str, labels: str = "") -> float | None:
    text = httpx.get(fleet.url(service, "/api/metrics"), timeout=10.0).text
    match = re.search(rf"^{re.escape(family)}{re.escape(labels)} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else None


def _status(fleet: ForeignFleet, service: str, path: str, timeout: float = 10.0) -> int:
    return httpx.get(fleet.url(service, path), timeout=timeout).status_code


def _replay_signed_up_event(fleet: ForeignFleet, subject: str, times: int) -> str:
    """Produce one CloudEvent ``times`` times, as a producer retry or a replay would, then a sentinel event on the
    same key (so the same partition, after them); return the sentinel's subject: once trail has recorded it, it has
    seen every copy."""
    producer = Producer({"bootstrap.servers": fleet.kafka_bootstrap})
    sentinel = str(uuid.uuid4())
    event = _signed_up(fleet, subject)
    for value in [event] * times + [_signed_up(fleet, sentinel)]:
        producer.produce("accounts.user.signed-up", key=subject, value=json.dumps(value),
                         headers={"x-tenant-id": fleet.tenant.tenant_id})  # fmt: skip
    assert producer.flush(10.0) == 0
    return sentinel


def _signed_up(fleet: ForeignFleet, subject: str) -> dict[str, Any]:
    return {
        "specversion": "1.0", "id": str(uuid.uuid4()), "source": "urn:bazaar:accounts",
        "type": "accounts.user.signed-up", "subject": subject, "time": "2026-12-01T10:00:00.000Z",
        "datacontenttype": "application/json", "tenantid": fleet.tenant.tenant_id,
        "data": {"id": subject, "username": "replayed", "displayName": "Replayed"},
    }  # fmt: skip


# ---- the fleet as documented --------------------------------------------------------------------------------------


def test_sign_up_answers_201_and_sign_in_answers_a_token_pair_carrying_the_tenant(bazaar: ForeignFleet) -> None:
    tenant_id, username = str(uuid.uuid4()), f"rahim-{uuid.uuid4().hex[:6]}"
    signed_up = httpx.post(
        bazaar.url("accounts", "/api/auth/sign-up"),
        json={"username": username, "password": "s3cret-pass", "tenant": tenant_id, "displayName": "Rahim"},
        timeout=10.0,
    )
    assert signed_up.status_code == 201
    assert set(signed_up.json()) == {"id", "username"}

    signed_in = httpx.post(
        bazaar.url("accounts", "/api/auth/sign-in"),
        json={"username": username, "password": "s3cret-pass", "tenant": tenant_id}, timeout=10.0,
    )  # fmt: skip

    assert signed_in.status_code == 201
    body = signed_in.json()
    assert set(body) == {"accessToken", "refreshToken", "expiresIn"}
    assert body["expiresIn"] == 300
    claims = jwt.decode(body["accessToken"], bazaar.jwt_secret, algorithms=["HS256"])
    assert (claims["sub"], claims["tid"], claims["exp"] - claims["iat"]) == (signed_up.json()["id"], tenant_id, 300)


def test_a_wrong_password_answers_401_in_nestjs_error_shape(bazaar: ForeignFleet) -> None:
    response = httpx.post(
        bazaar.url("accounts", "/api/auth/sign-in"),
        json={"username": bazaar.tenant.username, "password": "wrong", "tenant": bazaar.tenant.tenant_id}, timeout=10.0,
    )  # fmt: skip

    assert response.status_code == 401
    assert response.json() == {"statusCode": 401, "message": "invalid username or password", "error": "Unauthorized"}


def test_refresh_answers_a_new_pair_and_refuses_the_used_refresh_token(bazaar: ForeignFleet) -> None:
    tenant = bazaar.new_tenant("refresher")
    url = bazaar.url("accounts", "/api/auth/refresh")

    fresh = httpx.post(url, json={"refreshToken": tenant.refresh_token}, timeout=10.0)
    reused = httpx.post(url, json={"refreshToken": tenant.refresh_token}, timeout=10.0)

    assert fresh.status_code == 201
    assert set(fresh.json()) == {"accessToken", "refreshToken", "expiresIn"}
    assert reused.status_code == 401


def test_a_product_write_appears_on_its_topic_as_a_cloudevent_and_as_one_trail_entry(bazaar: ForeignFleet) -> None:
    topic = _Topic(bazaar, "catalog.product.created")
    try:
        sku = f"SKU-{uuid.uuid4().hex[:8]}"
        created = _create_product(bazaar, sku)
        assert created.status_code == 201
        product_id = created.json()["id"]
        wait_for(lambda: topic.read() and topic.events(sku), _EVENT_WITHIN_S, "the catalog.product.created event")
    finally:
        topic.close()

    [message] = [message for message in topic.messages if message.key() == product_id.encode()]
    event = json.loads(message.value())
    assert message.key() == product_id.encode()
    assert dict(message.headers())["x-tenant-id"] == bazaar.tenant.tenant_id.encode()
    assert {key: event[key] for key in ("specversion", "source", "type", "subject", "tenantid")} == {
        "specversion": "1.0", "source": "urn:bazaar:catalog", "type": "catalog.product.created",
        "subject": product_id, "tenantid": bazaar.tenant.tenant_id,
    }  # fmt: skip
    uuid.UUID(event["id"])
    entries = wait_for(lambda: _trail_entries(bazaar, product_id), _EVENT_WITHIN_S, "the trail entry")
    assert [(entry["eventId"], entry["type"]) for entry in entries] == [(event["id"], "catalog.product.created")]


def test_a_refused_write_publishes_no_event(bazaar: ForeignFleet) -> None:
    sku = f"DUP-{uuid.uuid4().hex[:8]}"
    topic = _Topic(bazaar, "catalog.product.created")
    try:
        assert _create_product(bazaar, sku).status_code == 201
        assert _create_product(bazaar, sku).status_code == 409
        wait_for(lambda: topic.read() and topic.events(sku), _EVENT_WITHIN_S, "the first write's event")
        topic.read(seconds=2.0)  # the relay runs every 200 ms: anything else would be here by now
    finally:
        topic.close()

    assert len(topic.events(sku)) == 1


def test_a_redelivered_event_is_recorded_once_by_trail(bazaar: ForeignFleet) -> None:
    subject = str(uuid.uuid4())

    sentinel = _replay_signed_up_event(bazaar, subject, times=2)

    wait_for(lambda: _trail_entries(bazaar, sentinel), _EVENT_WITHIN_S, "the sentinel event's trail entry")
    assert len(_trail_entries(bazaar, subject)) == 1


def test_another_tenant_gets_404_for_a_product_and_a_user(bazaar: ForeignFleet) -> None:
    other = bazaar.new_tenant("intruder")
    product_id = _create_product(bazaar, f"MINE-{uuid.uuid4().hex[:8]}").json()["id"]

    product = httpx.get(bazaar.url("catalog", f"/api/products/{product_id}"), headers=_auth(other.access_token))
    user = httpx.get(bazaar.url("accounts", f"/api/users/{bazaar.tenant.user_id}"), headers=_auth(other.access_token))

    assert (product.status_code, product.json()["error"]) == (404, "Not Found")
    assert (user.status_code, user.json()["error"]) == (404, "Not Found")
    own = httpx.get(bazaar.url("catalog", f"/api/products/{product_id}"), headers=_auth(bazaar.tenant.access_token))
    assert own.status_code == 200


def test_stopping_redis_turns_catalog_readiness_503_and_starting_it_turns_it_back_to_200(bazaar: ForeignFleet) -> None:
    catalog_pid = bazaar.servers.state("catalog").pid
    _run(bazaar.controls["redis"]["stop"])
    try:
        response = wait_for(
            lambda: (answer := httpx.get(bazaar.url("catalog", "/api/health/readiness"), timeout=10.0)).status_code
            == 503 and answer, _READY_WITHIN_S, "catalog readiness 503 with Redis stopped",
        )  # fmt: skip
        assert response.json()["error"]["redis"]["status"] == "down"
        assert _status(bazaar, "catalog", "/api/health/liveness") == 200
    finally:
        _run(bazaar.controls["redis"]["start"])

    wait_for(lambda: _status(bazaar, "catalog", "/api/health/readiness") == 200, _READY_WITHIN_S, "catalog ready")
    assert bazaar.servers.state("catalog").pid == catalog_pid  # recovered without a restart


def test_tenant_routes_refuse_a_missing_token_and_a_refresh_token_with_401(bazaar: ForeignFleet) -> None:
    url = bazaar.url("catalog", "/api/products")

    missing = httpx.get(url, timeout=10.0)
    refresh = httpx.get(url, headers=_auth(bazaar.tenant.refresh_token), timeout=10.0)

    assert (missing.status_code, missing.json()["message"]) == (401, "missing bearer token")
    assert (refresh.status_code, refresh.json()["message"]) == (401, "invalid or expired access token")


def test_there_is_no_health_endpoint_besides_liveness_and_readiness(bazaar: ForeignFleet) -> None:
    response = httpx.get(bazaar.url("accounts", "/api/health"), timeout=10.0)

    assert response.status_code == 404
    assert response.json() == {"message": "Cannot GET /api/health", "error": "Not Found", "statusCode": 404}


def test_stopping_kafka_turns_every_readiness_503_and_after_start_a_write_reaches_trail(bazaar: ForeignFleet) -> None:
    _run(bazaar.controls["kafka"]["stop"])
    try:
        for service in bazaar.services:
            wait_for(lambda s=service: _status(bazaar, s, "/api/health/readiness") == 503, _READY_WITHIN_S,
                     f"{service} readiness 503 with Kafka stopped")  # fmt: skip
    finally:
        _run(bazaar.controls["kafka"]["start"])  # Tansu is in memory: start re-creates the topics, empty

    assert set(list_topics(bazaar.kafka_bootstrap).values()) == {3}  # re-created as declared, not auto-created
    for service in bazaar.services:
        wait_for(
            lambda s=service: _status(bazaar, s, "/api/health/readiness") == 200, _READY_WITHIN_S, f"{service} ready"
        )
    product_id = _create_product(bazaar, f"AFTER-{uuid.uuid4().hex[:8]}").json()["id"]
    wait_for(lambda: _trail_entries(bazaar, product_id), _EVENT_WITHIN_S, "trail entry after the Kafka restart")


@pytest.mark.parametrize("service", ["accounts", "catalog", "trail"])
def test_migrations_revert_to_empty_and_run_again(bazaar: ForeignFleet, service: str) -> None:
    info = bazaar.services[service]
    _run(info.controls["stop"])  # the service's lifecycle hook: nothing may use the schema while it is dropped
    try:
        for _ in range(2):  # two migrations, one step per call
            info.migrate_down.run()
        with psycopg.connect(info.owner_dsn) as conn:
            assert conn.execute("SELECT count(*) FROM public.migrations").fetchone() == (0,)
            assert conn.execute("SELECT to_regnamespace(%s)", [service]).fetchone() == (None,)
        info.migrate_up.run()
        with psycopg.connect(info.owner_dsn) as conn:
            assert conn.execute("SELECT count(*) FROM public.migrations").fetchone() == (2,)
            assert conn.execute("SELECT to_regnamespace(%s) IS NOT NULL", [service]).fetchone() == (True,)
        bazaar.grant_readonly(service)
    finally:
        _run(info.controls["start"])  # returns once readiness answers 200
        if service == "accounts":  # its users went with the schema: the fixture's tenant is signed up again
            bazaar.tenant.sign_up()

    assert _status(bazaar, service, "/api/health/readiness") == 200


# ---- mutants: each starts, and shows its bug ----------------------------------------------------------------------


def test_mutant_catalog_ready_ignores_redis_stays_200_with_redis_stopped(bazaar: ForeignFleet) -> None:
    with bazaar.mutant("catalog", "catalog_ready_ignores_redis.js"):
        _run(bazaar.controls["redis"]["stop"])
        try:
            statuses = [_status(bazaar, "catalog", "/api/health/readiness") for _ in range(5)]
        finally:
            _run(bazaar.controls["redis"]["start"])

    assert statuses == [200] * 5


def test_mutant_liveness_queries_database_turns_liveness_503_with_postgres_stopped(bazaar: ForeignFleet) -> None:
    with bazaar.mutant("accounts", "liveness_queries_database.js"):
        _run(bazaar.controls["postgres"]["stop"])
        try:
            response = wait_for(
                lambda: (answer := httpx.get(bazaar.url("accounts", "/api/health/liveness"), timeout=10.0)).status_code
                == 503 and answer, _READY_WITHIN_S, "the mutant's liveness 503 with PostgreSQL stopped",
            )  # fmt: skip
        finally:
            _run(bazaar.controls["postgres"]["start"])

    assert response.status_code == 503
    assert response.json()["error"]["database"]["status"] == "down"


def test_mutant_raw_path_route_labels_puts_the_product_id_in_the_route_label(bazaar: ForeignFleet) -> None:
    with bazaar.mutant("catalog", "raw_path_route_labels.js"):
        product_id = _create_product(bazaar, f"RAW-{uuid.uuid4().hex[:8]}").json()["id"]
        httpx.get(bazaar.url("catalog", f"/api/products/{product_id}"), headers=_auth(bazaar.tenant.access_token))
        labels = f'{{method="GET",route="/api/products/{product_id}",status_code="200"}}'
        labelled = _sample(bazaar, "catalog", "http_requests_total", labels)

    assert labelled == 1.0


def test_mutant_counter_never_moves_keeps_products_written_still_after_a_create(bazaar: ForeignFleet) -> None:
    with bazaar.mutant("catalog", "counter_never_moves.js"):
        before = _sample(bazaar, "catalog", "catalog_products_written_total", '{operation="create"}')
        assert _create_product(bazaar, f"STILL-{uuid.uuid4().hex[:8]}").status_code == 201
        after = _sample(bazaar, "catalog", "catalog_products_written_total", '{operation="create"}')

    assert before == after  # both None: the family is declared, its samples never appear


def test_mutant_event_bypasses_outbox_publishes_an_event_for_a_refused_write(bazaar: ForeignFleet) -> None:
    sku = f"BYPASS-{uuid.uuid4().hex[:8]}"
    with bazaar.mutant("catalog", "event_bypasses_outbox.js"):
        topic = _Topic(bazaar, "catalog.product.created")
        try:
            assert _create_product(bazaar, sku).status_code == 201
            assert _create_product(bazaar, sku).status_code == 409
            wait_for(lambda: topic.read() and len(topic.events(sku)) >= 2, _EVENT_WITHIN_S, "two events")
        finally:
            topic.close()

    assert len(topic.events(sku)) == 2  # the 201 write's and the 409 write's


def test_mutant_trail_records_redelivery_twice_records_a_replayed_event_twice(bazaar: ForeignFleet) -> None:
    subject = str(uuid.uuid4())
    with bazaar.mutant("trail", "trail_records_redelivery_twice.js"):
        sentinel = _replay_signed_up_event(bazaar, subject, times=2)
        wait_for(lambda: _trail_entries(bazaar, sentinel), _EVENT_WITHIN_S, "the sentinel event's trail entry")
        entries = _trail_entries(bazaar, subject)

    assert len(entries) == 2
    assert len({entry["eventId"] for entry in entries}) == 2  # one CloudEvent, stored under two dedupe keys
