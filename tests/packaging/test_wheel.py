"""The built wheel installs beside PyPI packages whose names the design card's folders share.

``contracts/`` and ``fixtures/`` are installed as ``fleetcheck.contracts`` and ``fleetcheck.fixtures`` (setup.py), so a
user's test environment can hold PyPI's ``fixtures`` (testing-cabal) and fleetcheck at once. Built and installed for
real: ``pip wheel`` of this checkout, a fresh virtualenv, PyPI's ``fixtures`` beside it.
"""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
#: what importing fleetcheck.contracts.fleet needs besides the wheel (YAML, pydantic models, health schemas, JSONPath)
_IMPORT_DEPS = ["pydantic>=2.8", "pyyaml>=6", "jsonschema>=4.22", "jsonpath-ng>=1.6"]


def _run(*command: str | Path, cwd: Path | None = None) -> str:
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True, cwd=cwd, timeout=600, check=False)
    assert done.returncode == 0, f"{' '.join(map(str, command))} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", out, REPO)
    (built,) = out.glob("fleetcheck-*.whl")
    return built


def test_the_wheel_installs_the_folders_under_the_fleetcheck_namespace(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "fleetcheck/contracts/fleet.yaml" in names
    assert "fleetcheck/contracts/schemas/health/ready.json" in names
    assert "fleetcheck/contracts/pacts/api-gateway-master-data.json" in names  # fleetcheck pact verify's default
    assert "fleetcheck/fixtures/launcher.py" in names
    tops = {name.split("/")[0] for name in names if not name.startswith("fleetcheck-")}
    assert tops == {"fleetcheck", "reference_services"}, tops


def test_fleetcheck_and_pypi_fixtures_import_side_by_side(wheel: Path, tmp_path: Path) -> None:
    env = tmp_path / "venv"
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    _run(python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "fixtures", *_IMPORT_DEPS)
    _run(python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps", wheel)
    script = (
        "import fixtures, fleetcheck.contracts.fleet as fleet\n"
        "assert hasattr(fixtures, 'Fixture'), fixtures.__file__\n"  # testing-cabal's fixtures, not ours
        "print(fixtures.__file__); print(len(fleet.load_fleet().services))\n"
    )
    printed = _run(python, "-c", script, cwd=tmp_path).splitlines()
    assert printed[0].startswith(str(env)), printed
    assert printed[1] == "13"
