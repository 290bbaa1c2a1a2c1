"""The pytest plugin: cheap to import, parametrizes ``service`` over the target's services, caches one run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable

REPO = Path(__file__).resolve().parents[2]

_SUITE = """
from fleetcheck.contracts.findings import Outcome

def test_area(service, verification):
    results = verification.results_for(service=service, area="health")
    assert results
    assert all(r.outcome is not Outcome.NOT_RUN or r.reason for r in results)

def test_same_report(service, verification, fleet_target):
    assert service in fleet_target.endpoints
"""


def test_importing_the_plugin_starts_nothing() -> None:
    code = (
        "import sys, threading, fleetcheck.pytest_plugin;"
        "assert threading.active_count() == 1, threading.enumerate();"
        "assert 'fleetcheck.fixtures.infra' not in sys.modules and 'httpx' not in sys.modules, 'heavy import';"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


@pytest.mark.servers
def test_service_ids_follow_the_target_file(
    write_target: Callable[[str], Path], tmp_path: Path, closed_port: int
) -> None:
    target = write_target(
        f"services:\n  auth: {{base_url: 'http://127.0.0.1:{closed_port}'}}\n"
        f"  organization: {{base_url: 'http://127.0.0.1:{closed_port}'}}\n"
    )
    (tmp_path / "test_suite.py").write_text(_SUITE)
    env = {**os.environ, "PYTHONPATH": str(REPO), "FLEETCHECK_TARGET": str(target)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",  # the plugin comes from the installed pytest11 entry point, as for a user
            "-v",
            "-p",
            "no:cacheprovider",
            "test_suite.py",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for name in ("test_area[auth]", "test_area[organization]", "test_same_report[auth]"):
        assert f"test_suite.py::{name} PASSED" in done.stdout
    assert "master-data]" not in done.stdout


@pytest.mark.servers
def test_malformed_target_file_is_a_usage_error_without_traceback(
    write_target: Callable[[str], Path], tmp_path: Path
) -> None:
    target = write_target("services:\n  auth: {base_url: 'ftp://x'}\n")
    (tmp_path / "test_suite.py").write_text(_SUITE)
    env = {**os.environ, "PYTHONPATH": str(REPO), "FLEETCHECK_TARGET": str(target)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "test_suite.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 4, done.stdout + done.stderr  # pytest's usage-error exit code
    assert "services.auth.base_url" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr
