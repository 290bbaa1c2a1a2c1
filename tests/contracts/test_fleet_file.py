"""The packaged fleet file: complete, consistent with SPEC.md, and a malformed file fails with a useful message."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from fleetcheck.contracts.fleet import FleetFileError, load_fleet

if TYPE_CHECKING:
    from pathlib import Path

    from fleetcheck.contracts.fleet import Fleet

SERVICES = {
    "auth": 3001,
    "master-data": 3002,
    "workflow": 3011,
    "rules-engine": 3012,
    "api-gateway": 4000,
    "organization": 3016,
    "notification": 3003,
    "configuration": 3004,
    "scheduler": 3005,
    "document-generator": 3006,
    "import-export": 3007,
    "file-storage": 3008,
    "audit": 3009,
}


def test_all_thirteen_services_with_their_ports(fleet: Fleet) -> None:
    assert {s.name: s.port for s in fleet.services} == SERVICES


def test_every_topic_producer_owns_its_prefix_and_lists_it(fleet: Fleet) -> None:
    for topic in fleet.topics:
        producer = fleet.service(topic.producer)
        assert topic.name.startswith(producer.topic_prefix + "."), topic.name
        assert topic.name in producer.produces
        assert topic.partitions == 3
    assert sorted(t for s in fleet.services for t in s.produces) == sorted(t.name for t in fleet.topics)


def test_consumers_follow_spec(fleet: Fleet) -> None:
    for topic in fleet.topics:
        assert ("audit" in topic.consumers) == (topic.producer != "audit"), topic.name
    assert set(fleet.consumed_by("notification")) == {
        "workflow.process.completed",
        "workflow.task.assigned",
        "auth.user.locked",
    }
    assert fleet.consumed_by("rules-engine") == ("workflow.task.created",)
    assert fleet.consumed_by("workflow") == ("rules.evaluation.completed", "rules.evaluation.failed")


def test_start_order_respects_service_dependencies(fleet: Fleet) -> None:
    order = fleet.start_order()
    assert sorted(order) == sorted(SERVICES)
    for service in fleet.services:
        for dep in service.service_dependencies:
            assert order.index(dep) < order.index(service.name), (service.name, dep)


def test_databases_and_rls_exemptions(fleet: Fleet) -> None:
    for service in fleet.services:
        expected = None if service.name == "api-gateway" else f"fleet_{service.name.replace('-', '_')}"
        assert service.database == expected
        for table in service.tables:
            assert table.tenant_scoped == (table.rls_exempt is None), (service.name, table.name)
    exempt = {(s.name, t.name) for s in fleet.services for t in s.tables if t.rls_exempt}
    assert {("organization", "tenants"), ("auth", "permissions"), ("audit", "outbox")} <= exempt


def test_required_metrics_include_events_and_declared_operations(fleet: Fleet) -> None:
    auth = fleet.service("auth")
    names = [m.name for m in fleet.required_metrics(auth)]
    assert "http_requests_total" in names
    assert "events_published_total" in names
    assert "auth_login_attempts_total" in names
    families = {m.name for m in fleet.required_metrics(auth)}
    for service in fleet.services:
        for op in service.operations:
            assert all(move.family in {m.name for m in service.metrics} for move in op.moves), op.name
    declared = {o.name for s in fleet.services for o in s.operations}
    assert {"failed-login", "create-customer", "create-tenant"} <= declared
    assert families


def test_every_service_but_audit_declares_an_operation_that_moves_its_metrics(fleet: Fleet) -> None:
    # audit's counter moves only when it consumes other services' events, asynchronously: no request to audit moves it
    without = sorted(s.name for s in fleet.services if not s.operations)
    assert without == ["audit"]


def test_every_service_declares_id_routes_except_the_gateway(fleet: Fleet) -> None:
    for service in fleet.services:
        assert all("{id}" in r for r in service.id_routes)
        assert bool(service.id_routes) == (service.name != "api-gateway")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fleet.yaml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD_SERVICE = "{name: auth, kind: core, port: 3001, topic_prefix: auth}"


@pytest.mark.parametrize(
    ("body", "fragments"),
    [
        (
            "name: x\nservices:\n  - {name: auth, kind: core, port: abc, topic_prefix: auth}\n",
            ["services[auth].port:", "valid integer", "(saw 'abc')"],
        ),
        (
            "name: x\nservices:\n  - {name: auth, kind: core, port: 1, topic_prefix: a, "
            "depends_on: [{name: db, type: mysql}]}\n",
            [
                "services[auth].depends_on[db].type:",
                "unknown dependency type; allowed: postgres, kafka, redis, elasticsearch, temporal, s3, http, "
                "service, storage, or custom:<kind>",
                "(saw 'mysql')",
            ],
        ),
        (
            f"name: x\nservices:\n  - {GOOD_SERVICE[:-1]}, colour: red}}\n",
            ["services[auth].colour: Extra inputs are not permitted", "allowed keys: name, kind, port"],
        ),
        ("name: x\n", ["services: Field required"]),
        (
            f"name: x\nservices:\n  - {GOOD_SERVICE}\ntopics:\n  - {{name: billing.invoice.created, producer: auth}}\n",
            ["topics[billing.invoice.created] is produced by auth, whose topic_prefix is 'auth'"],
        ),
    ],
    ids=["port-type", "dependency-type", "unknown-key", "missing-services", "foreign-prefix"],
)
def test_malformed_fleet_file_names_file_key_and_allowed_values(
    tmp_path: Path, body: str, fragments: list[str]
) -> None:
    path = _write(tmp_path, body)
    with pytest.raises(FleetFileError) as info:
        load_fleet(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    for fragment in fragments:
        assert fragment in message


def test_missing_and_non_yaml_files_fail_clearly(tmp_path: Path) -> None:
    with pytest.raises(FleetFileError, match="no such fleet file"):
        load_fleet(tmp_path / "nope.yaml")
    with pytest.raises(FleetFileError, match="not valid YAML"):
        load_fleet(_write(tmp_path, "name: [unclosed\n"))


def test_the_kafka_outage_outlasts_the_relay_attempts_the_fleet_file_declares(tmp_path: Path) -> None:
    default = load_fleet(_write(tmp_path, f"name: x\nservices:\n  - {GOOD_SERVICE}\n")).events.delivery
    assert default.outage_s == 2 * (3.0 + 1.0) + 4.0
    slow = "name: x\nevents:\n  delivery: {poll_s: 5, delivery_timeout_s: 30, attempts: 3, margin_s: 0}\n"
    delivery = load_fleet(_write(tmp_path, slow + f"services:\n  - {GOOD_SERVICE}\n")).events.delivery
    assert delivery.outage_s == 3 * (30 + 5)
    assert delivery.describe_outage().startswith("3 x (delivery time-out 30 s + poll 5 s) + 0 s margin")
    with pytest.raises(FleetFileError, match=r"events.delivery.attempts: Input should be greater than or equal to 1"):
        load_fleet(_write(tmp_path, f"name: x\nevents: {{delivery: {{attempts: 0}}}}\nservices:\n  - {GOOD_SERVICE}\n"))
