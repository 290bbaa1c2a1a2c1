"""``fleetcheck topics create|check`` on a real broker (embedded Tansu)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from fleetcheck.cli import app

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.servers


@pytest.fixture
def bootstrap(tmp_path: Path) -> Iterator[str]:
    from fleetcheck.fixtures.kafka import TansuKafka

    kafka = TansuKafka.start(tmp_path)
    try:
        yield kafka.bootstrap
    finally:
        kafka.close()


def test_create_is_idempotent_and_check_then_passes(bootstrap: str) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["topics", "create", "--bootstrap", bootstrap])
    assert first.exit_code == 0, first.output
    assert "49 topic(s) created, 0 already present" in first.output
    again = runner.invoke(app, ["topics", "create", "--bootstrap", bootstrap])
    assert "0 topic(s) created, 49 already present" in again.output
    check = runner.invoke(app, ["topics", "check", "--bootstrap", bootstrap])
    assert check.exit_code == 0, check.output


def test_check_reports_missing_extra_mispartitioned_and_badly_named_topics(bootstrap: str) -> None:
    from fleetcheck.fixtures.kafka import provision_topics

    provision_topics(bootstrap, [("auth.user.login", 1), ("Legacy_Orders", 1)])
    result = CliRunner().invoke(app, ["topics", "check", "--bootstrap", bootstrap])
    assert result.exit_code == 1
    assert "missing: auth.user.registered (run `fleetcheck topics create`)" in result.output
    assert "extra: Legacy_Orders is on the broker but not in the fleet file" in result.output
    assert "mis-partitioned: auth.user.login has 1 partition(s), the fleet file declares 3" in result.output
    assert "badly named: Legacy_Orders" in result.output


def test_an_unreachable_broker_is_exit_3_naming_the_address() -> None:
    result = CliRunner().invoke(app, ["topics", "check", "--bootstrap", "127.0.0.1:1", "--timeout", "1"])
    assert result.exit_code == 3
    assert "Kafka at 127.0.0.1:1 did not answer within 1 s" in result.output
