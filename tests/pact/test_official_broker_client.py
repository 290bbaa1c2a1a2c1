"""The official Pact Broker client (``pact-broker`` from the npm package ``@pact-foundation/pact-cli``) against the
stand-in broker: where the two disagree, the stand-in is wrong. It publishes, creates the environment, records
deployments and releases and answers can-i-deploy; fleetcheck's own ``can-i-deploy`` must give the same answers.

The client is installed by this test with npm (into ``~/.cache/fleetcheck``; about 25 MB, a few seconds), as the
issue asks; without npm on PATH the test is skipped with that reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from fleetcheck.cli import app
from fleetcheck.pact import PACT_DIR, load_pacts
from fleetcheck.pact_broker import Broker, Selection, verify_from_broker
from tests.pact.broker import StandInBroker
from tests.pact.conftest import PROVIDER_VERSIONS, incompatible_pact

if TYPE_CHECKING:
    from fleetcheck.targets import Target

pytestmark = pytest.mark.servers

PACT_CLI = "@pact-foundation/pact-cli@18.1.2"
CACHE = Path.home() / ".cache" / "fleetcheck" / "pact-cli-18.1.2"


@pytest.fixture(scope="module")
def pact_broker_cli() -> Path:
    binary = CACHE / "node_modules" / ".bin" / "pact-broker"
    if binary.exists():
        return binary
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not on PATH: the official pact-broker client (npm @pact-foundation/pact-cli) cannot be had")
    CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.run([npm, "install", "--no-audit", "--no-fund", "--prefix", str(CACHE), PACT_CLI],
                   check=True, capture_output=True, timeout=300)  # fmt: skip
    assert binary.exists(), f"npm installed {PACT_CLI} without bin/pact-broker"
    return binary


def _official(cli: Path, broker: StandInBroker, *args: str) -> tuple[int, str]:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(Path.home()), "PACT_DO_NOT_TRACK": "true"}
    done = subprocess.run([str(cli), *args, "--broker-base-url", broker.url], capture_output=True, text=True,
                          timeout=60, env=env, check=False)  # fmt: skip
    return done.returncode, done.stdout + done.stderr


def _both_say_no(cli: Path, broker: StandInBroker, pacticipant: str, version: str, environment: str) -> str:
    """can-i-deploy from the official client and from fleetcheck's both answer no; fleetcheck's reason."""
    code, output = _official(cli, broker, "can-i-deploy", "--pacticipant", pacticipant, "--version", version,
                             "--to-environment", environment)  # fmt: skip
    assert code == 1, output
    assert "Computer says no" in output, output
    ours = Broker(broker.url).can_i_deploy(pacticipant, version, environment)
    assert not ours.deployable
    return ours.reason


def test_the_official_client_and_fleetcheck_agree_on_the_stand_in(
    pact_fleet: Target, pact_broker_cli: Path, tmp_path: Path
) -> None:
    with StandInBroker() as broker:
        client = Broker(broker.url)
        code, output = _official(pact_broker_cli, broker, "publish", str(PACT_DIR), "--consumer-app-version", "c1",
                                 "--branch", "main")  # fmt: skip
        assert code == 0, output
        assert "Warning" not in output, output  # the client parsed every answer of the stand-in
        assert len(broker.state.publications) == len(load_pacts())  # one per pact file
        code, output = _official(pact_broker_cli, broker, "create-environment", "--name", "production")
        assert code == 0, output
        # the FFI's broker source verifies what the official client published (api-gateway c1 is audit's provider)
        for provider, version in PROVIDER_VERSIONS:
            verification = verify_from_broker(pact_fleet, provider, client, provider_version=version,
                                              provider_branch="main", selection=Selection(), publish=True)  # fmt: skip
            assert verification.verified, verification.summary()
        for name in ("api-gateway", "audit", "fleetcheck", "notification"):
            code, output = _official(pact_broker_cli, broker, "record-deployment", "--pacticipant", name,
                                     "--version", "c1", "--environment", "production")  # fmt: skip
            assert code == 0, output
        code, output = _official(pact_broker_cli, broker, "can-i-deploy", "--pacticipant", "master-data",
                                 "--version", "p1", "--to-environment", "production")  # fmt: skip
        assert code == 0, output
        assert "Computer says yes" in output, output
        assert client.can_i_deploy("master-data", "p1", "production").deployable
        code, output = _official(pact_broker_cli, broker, "record-deployment", "--pacticipant", "master-data",
                                 "--version", "p1", "--environment", "production")  # fmt: skip
        assert code == 0, output

        # api-gateway c2 (a feature branch) relies on a field master-data p1 does not have
        changed = incompatible_pact(tmp_path)
        code, output = _official(pact_broker_cli, broker, "publish", str(changed), "--consumer-app-version", "c2",
                                 "--branch", "feat-vat")  # fmt: skip
        assert code == 0, output
        selection = Selection(main_branch=False, deployed_or_released=False, branches=("feat-vat",))
        verify_from_broker(pact_fleet, "master-data", client, provider_version="p1", provider_branch="main",
                           selection=selection, publish=True)  # fmt: skip
        reason = _both_say_no(pact_broker_cli, broker, "api-gateway", "c2", "production")
        assert "a customer query for a customer of the caller's tenant" in reason
        code, output = _official(pact_broker_cli, broker, "can-i-deploy", "--pacticipant", "api-gateway",
                                 "--version", "c1", "--to-environment", "production")  # fmt: skip
        assert code == 0, output
        assert client.can_i_deploy("api-gateway", "c1", "production").deployable
        assert broker.unknown == [], broker.unknown


def test_released_versions_stay_supported_side_by_side_and_are_verified_and_gated(
    pact_fleet: Target, pact_broker_cli: Path, tmp_path: Path
) -> None:
    """record-release (the official client's and fleetcheck's) keeps every released version supported, unlike a
    deployment, which replaces the one before: a provider verifies the pacts of all of them (deployedOrReleased),
    and can-i-deploy to that environment needs each one verified, in both clients' answers."""
    with StandInBroker() as broker:
        client = Broker(broker.url)
        code, output = _official(pact_broker_cli, broker, "publish", str(PACT_DIR / "api-gateway-master-data.json"),
                                 "--consumer-app-version", "c1", "--branch", "main")  # fmt: skip
        assert code == 0, output
        code, output = _official(pact_broker_cli, broker, "publish", str(incompatible_pact(tmp_path)),
                                 "--consumer-app-version", "c2", "--branch", "feat-vat")  # fmt: skip
        assert code == 0, output
        code, output = _official(pact_broker_cli, broker, "create-environment", "--name", "mobile")
        assert code == 0, output
        code, output = _official(pact_broker_cli, broker, "record-release", "--pacticipant", "api-gateway",
                                 "--version", "c1", "--environment", "mobile")  # fmt: skip
        assert code == 0, output
        recorded = CliRunner().invoke(app, ["pact", "record-release", "--broker", broker.url, "--pacticipant",
                                            "api-gateway", "--version", "c2", "--environment", "mobile"])  # fmt: skip
        assert recorded.exit_code == 0, recorded.output
        assert "recorded release of api-gateway c2 to mobile" in recorded.output
        # both stay released: c2's release did not end c1's (a deployment would have)
        assert broker.state.releases == [("api-gateway", "c1", "mobile"), ("api-gateway", "c2", "mobile")]

        # without pending pacts: c2's content was never verified, so a pending one would fail without failing the run
        released = Selection(main_branch=False, deployed_or_released=True, include_pending=False)
        verification = verify_from_broker(pact_fleet, "master-data", client, provider_version="p1",
                                          provider_branch="main", selection=released, publish=True)  # fmt: skip
        # c1's pact verifies; c2's relies on vatNumber, which master-data p1 does not have
        assert not verification.verified, verification.summary()
        assert "a customer query for a customer of the caller's tenant" in verification.summary()
        reason = _both_say_no(pact_broker_cli, broker, "master-data", "p1", "mobile")
        assert "api-gateway (c2)" in reason, reason
        assert "api-gateway (c1)" not in reason, reason  # c1's verification passed
        assert broker.unknown == [], broker.unknown
