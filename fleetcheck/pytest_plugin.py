"""The pytest plugin (entry point ``pytest11: fleetcheck``): a target, one verification run, tests per service.

- ``--target FILE`` (or ini ``fleetcheck_target``, or env ``FLEETCHECK_TARGET``) verifies a deployed fleet; without
  it the reference fleet starts on embedded infrastructure, once per session (per xdist worker).
- ``fleet_target`` (session): the :class:`~fleetcheck.targets.Target`.
- ``verification`` (session): :func:`~fleetcheck.runner.verify` over every area, run once and shared.
- A test that takes ``service`` together with ``verification`` or ``fleet_target`` is parametrized over the
  target's services, so ids read ``test_health[auth]``.

Importing this module starts nothing: the target is built when a fixture first asks for it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

    from fleetcheck.runner import VerificationReport
    from fleetcheck.targets import Target

__all__ = [
    "TARGET_VARIABLE",
    "fleet_target",
    "planned_services",
    "pytest_addoption",
    "pytest_configure",
    "pytest_generate_tests",
    "target_file",
    "verification",
]

TARGET_VARIABLE = "FLEETCHECK_TARGET"
_DRIVER_FIXTURES = frozenset({"verification", "fleet_target"})
_planned_key = pytest.StashKey[list[str]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fleetcheck", "fleetcheck contract verification")
    group.addoption(
        "--target",
        dest="fleetcheck_target",
        default=None,
        metavar="FILE",
        help=f"verify the deployed fleet of this target file (env {TARGET_VARIABLE}); default: the reference fleet",
    )
    parser.addini("fleetcheck_target", help="target file for the fleetcheck contract suite", default="")


def pytest_configure(config: pytest.Config) -> None:
    if target_file(config):
        planned_services(config)  # a malformed target file is a usage error now, not a collection error per test


def target_file(config: pytest.Config) -> str | None:
    """The target file from ``--target``, then ``FLEETCHECK_TARGET``, then the ini; ``None`` for the reference fleet."""
    given = config.getoption("fleetcheck_target", default=None)
    if given:
        return str(given)
    if os.environ.get(TARGET_VARIABLE):
        return os.environ[TARGET_VARIABLE]
    ini = config.getini("fleetcheck_target")
    return str(ini) if ini else None


def planned_services(config: pytest.Config) -> list[str]:
    """The services the target will offer, known without starting anything (cached per session)."""
    if _planned_key in config.stash:
        return config.stash[_planned_key]
    path = target_file(config)
    if path:
        from fleetcheck.contracts.fleet import FleetFileError
        from fleetcheck.targets import TargetFile, TargetFileError

        try:
            names = list(TargetFile.load(path).endpoints)
        except (TargetFileError, FleetFileError) as exc:
            raise pytest.UsageError(str(exc)) from None
    else:
        from fleetcheck.contracts.fleet import load_fleet
        from fleetcheck.reference import reference_module

        names = [n for n in load_fleet().start_order() if reference_module(n) is not None]
    config.stash[_planned_key] = names
    return names


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    names = set(metafunc.fixturenames)
    if "service" not in names or not names & _DRIVER_FIXTURES:
        return
    if any("service" in m.args[0] for m in metafunc.definition.iter_markers("parametrize") if m.args):
        return  # the test chose its services itself
    services = planned_services(metafunc.config)
    metafunc.parametrize("service", services, ids=services)


@pytest.fixture(scope="session")
def fleet_target(request: pytest.FixtureRequest) -> Iterator[Target]:
    """The target under test: a target file's fleet, or the reference fleet (started now, stopped at session end)."""
    path = target_file(request.config)
    if path:
        from fleetcheck.targets import TargetFile

        yield TargetFile.load(path)
        return
    from fleetcheck.reference import ReferenceFleet

    with ReferenceFleet() as fleet:
        yield fleet


@pytest.fixture(scope="session")
def verification(fleet_target: Target) -> VerificationReport:
    """Every check of every area on every service of the target, run once per session."""
    from fleetcheck.runner import verify

    return verify(fleet_target)
