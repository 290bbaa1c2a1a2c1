"""The contract suite runs on the fleetcheck pytest plugin.

Installed (``pip install -e .``), the plugin comes from the ``pytest11`` entry point and ``--target`` works. From a
bare checkout it is registered here instead; then give the target file with ``FLEETCHECK_TARGET`` (command-line
options of a plugin registered this late are not parsed).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable

    from fleetcheck.targets import Target


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin("fleetcheck"):
        config.pluginmanager.register(importlib.import_module("fleetcheck.pytest_plugin"), "fleetcheck")


@pytest.fixture(scope="session", autouse=True)
def _stop_the_fleet_after_the_folder(
    fleet_target: Target, close_with_group: Callable[[str, Callable[[], None]], None]
) -> None:
    """The reference fleet (shared with tests/conformance) stops once their last test ran, not at session end."""
    close = getattr(fleet_target, "close", None)
    if close is not None:
        close_with_group(__file__, close)
