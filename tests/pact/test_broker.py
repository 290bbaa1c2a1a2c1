"""The broker workflow against the stand-in broker (``tests/pact/broker.py``, NOT a Pact Broker): consumers publish,
the providers verify from the broker through the Pact FFI's broker source (selectors, pending, WIP) and publish
results, deployments are recorded, and can-i-deploy answers yes for a compatible version and no, naming the failing
interaction, for an incompatible one."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest
from typer.testing import CliRunner

from fleetcheck.cli import app
from fleetcheck.pact import load_pacts
from fleetcheck.pact_broker import Broker, Selection, verify_from_broker
from tests.pact.broker import StandInBroker
from tests.pact.conftest import PROVIDER_VERSIONS, incompatible_pact, target_file_of

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from fleetcheck.targets import Target

pytestmark = pytest.mark.servers


@pytest.fixture
def broker() -> Iterator[StandInBroker]:
    with StandInBroker() as stand_in:
        yield stand_in


def test_publish_verify_from_the_broker_and_can_i_deploy(
    pact_fleet: Target, broker: StandInBroker, tmp_path: Path
) -> None:
    client = Broker(broker.url)
    client.publish(load_pacts(), version="c1", branch="main")
    assert len(broker.state.publications) == len(load_pacts())  # one per pact file
    for provider, version in PROVIDER_VERSIONS:
        verification = verify_from_broker(
            pact_fleet,
            provider,
            client,
            provider_version=version,
            provider_branch="main",
            selection=Selection(),
            publish=True,
        )
        assert verification.verified, verification.summary() + "\n" + verification.output[-3000:]
    assert broker.unknown == []
    assert len(broker.state.verifications) == len(load_pacts(providers=[p for p, _v in PROVIDER_VERSIONS]))
    assert all(v.success for v in broker.state.verifications)

    httpx.post(broker.url + "/environments", json={"name": "production"}, timeout=5).raise_for_status()
    for name, version in [
        ("api-gateway", "c1"),
        ("audit", "c1"),
        ("fleetcheck", "c1"),
        ("notification", "c1"),
        ("auth", "p1"),
    ]:
        client.record_deployment(name, version, "production")
    answer = client.can_i_deploy("master-data", "p1", "production")
    assert answer.deployable, answer.reason
    client.record_deployment("master-data", "p1", "production")  # it may, so it is deployed

    # a consumer change on a feature branch that master-data p1 does not satisfy
    (changed,) = load_pacts(incompatible_pact(tmp_path))
    client.publish([changed], version="c2", branch="feat-vat")
    verification = verify_from_broker(
        pact_fleet,
        "master-data",
        client,
        provider_version="p1",
        provider_branch="main",
        selection=Selection(main_branch=False, deployed_or_released=False, branches=("feat-vat",)),
        publish=True,
    )
    assert "vatNumber" in verification.output, verification.output
    # never verified on the provider's main branch, the changed pact is pending: it fails without failing the build
    assert verification.verified, verification.summary()
    assert "Pending Failures" in verification.output
    failed = [v for v in broker.state.verifications if not v.success]
    assert len(failed) == 1, broker.state.verifications
    answer = client.can_i_deploy("api-gateway", "c2", "production")
    assert not answer.deployable
    assert "api-gateway (c2) and master-data (p1) failed" in answer.reason
    assert "a customer query for a customer of the caller's tenant" in answer.reason, answer.reason
    assert client.can_i_deploy("api-gateway", "c1", "production").deployable


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["pact", *args])
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_the_broker_workflow_as_a_pipeline_runs_it(pact_fleet: Target, broker: StandInBroker, tmp_path: Path) -> None:
    """The README's pipeline, step by step through the CLI: publish, verify from the broker, record, can-i-deploy."""
    url = ["--broker", broker.url]
    code, output = _cli("publish", *url, "--consumer-app-version", "c1", "--branch", "main")
    assert code == 0, output
    assert "Pact published for api-gateway version c1 and provider master-data." in output
    target = target_file_of(pact_fleet, tmp_path / "target.yaml")
    code, output = _cli("verify", *url, "--target", str(target), "--provider", "auth", "--provider", "master-data",
                        "--provider-version", "p1", "--provider-branch", "main", "--publish")  # fmt: skip
    assert code == 0, output
    assert "pacts: 2 verified, 0 failed" in output
    assert {v.version for v in broker.state.verifications} == {"p1"}
    httpx.post(broker.url + "/environments", json={"name": "production"}, timeout=5).raise_for_status()
    code, output = _cli("can-i-deploy", *url, "--pacticipant", "api-gateway", "--version", "c1",
                        "--to-environment", "production")  # fmt: skip
    assert (code, "can-i-deploy api-gateway c1: yes") == (0, output.splitlines()[0]), output
    for name, version in [("auth", "p1"), ("master-data", "p1")]:
        code, output = _cli("record-deployment", *url, "--pacticipant", name, "--version", version,
                            "--environment", "production")  # fmt: skip
        assert code == 0, output
    code, output = _cli("can-i-deploy", *url, "--pacticipant", "api-gateway", "--version", "c9",
                        "--to-environment", "production")  # fmt: skip
    assert code == 0, output  # c9 published nothing: no pact, nothing to break
    code, output = _cli("can-i-deploy", *url, "--pacticipant", "notification", "--version", "c1",
                        "--to-environment", "staging")  # fmt: skip
    assert code == 3
    assert "Environment with name 'staging' does not exist" in output
    code, output = _cli("record-deployment", *url, "--pacticipant", "auth", "--version", "p1",
                        "--environment", "staging")  # fmt: skip
    assert code == 3
    assert "the Pact Broker has no environment 'staging' (known: production)" in output


def test_an_unreachable_broker_is_one_clear_line() -> None:
    code, output = _cli("can-i-deploy", "--broker", "http://127.0.0.1:9", "--pacticipant", "a", "--version", "1")
    assert code == 3
    assert "the Pact Broker at http://127.0.0.1:9 is unreachable" in output
    code, output = _cli("publish", "--consumer-app-version", "c1")
    assert code == 2
    assert "name the Pact Broker with --broker URL" in output
