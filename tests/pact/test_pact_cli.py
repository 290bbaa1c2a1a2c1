"""``fleetcheck pact verify``: bad input is one clear line and an exit code, never a traceback; a deployed fleet
(a target file) is verified with the state-change hook the target file names."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import yaml
from typer.testing import CliRunner

from fleetcheck.cli import app
from fleetcheck.pact import ApiStates, StateServer, load_pacts
from tests.pact.conftest import target_file_of

if TYPE_CHECKING:
    from pathlib import Path

    from fleetcheck.targets import Target

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["pact", "verify", *args])
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_a_missing_pact_file_exits_2(tmp_path: Path) -> None:
    code, output = _run("--pacts", str(tmp_path / "missing.json"))
    assert code == 2
    assert f"no pact file or directory at {tmp_path / 'missing.json'}" in output


def test_a_provider_without_pacts_exits_2() -> None:
    code, output = _run("--provider", "audit")  # audit consumes every topic; nothing consumes audit.log.created
    assert code == 2
    providers = ", ".join(sorted({p.provider for p in load_pacts()}))
    assert f"has provider audit (providers with pacts: {providers})" in output


def test_an_unreachable_provider_fails_each_of_its_pacts_by_name(tmp_path: Path) -> None:
    target = tmp_path / "target.yaml"
    dead = "http://127.0.0.1:9"  # the discard port: nothing listens there
    target.write_text(yaml.safe_dump({"services": {"auth": {"base_url": dead}, "master-data": {"base_url": dead}}}))
    code, output = _run("--target", str(target))
    assert code == 1
    assert (
        "fleetcheck -> auth (fleetcheck-auth.json): not verified: auth at http://127.0.0.1:9 is unreachable" in output
    )
    assert f"pacts: 0 verified, {len(load_pacts())} failed" in output  # a provider not in the target fails too


@pytest.mark.servers
def test_a_target_file_fleet_is_verified_with_its_own_state_change_url(pact_fleet: Target, tmp_path: Path) -> None:
    """The running fleet as a deployment would describe it: base URLs, a tenant token, Kafka, and a state-change
    hook of its own (here a StateServer the test runs; fleetcheck must call it rather than its built-in one)."""
    hook = StateServer(ApiStates(pact_fleet))
    with hook:
        pact = {"state_change_url": hook.url}
        target = target_file_of(pact_fleet, tmp_path / "target.yaml", pact=pact)
        code, output = _run("--target", str(target), "--provider", "master-data")
        assert hook.calls, "the target file's state-change URL was never called"
    assert code == 0, output
    assert "api-gateway -> master-data (api-gateway-master-data.json): verified" in output
    assert "audit -> master-data (audit-master-data.json): verified" in output
    assert f"pacts: {len(load_pacts(providers=['master-data']))} verified, 0 failed" in output
