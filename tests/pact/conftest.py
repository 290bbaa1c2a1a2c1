"""tests/pact shares the session's reference fleet with tests/contract and tests/conformance (one xdist group,
``reference-fleet``, in the root conftest.py); the consumer tests need no fleet and never ask for it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable

    from fleetcheck.targets import Target


@pytest.fixture(scope="session")
def pact_fleet(fleet_target: Target, close_with_group: Callable[[str, Callable[[], None]], None]) -> Target:
    """The shared reference fleet (or ``--target``'s deployed one); stopped once the group's last test ran."""
    close = getattr(fleet_target, "close", None)
    if close is not None:
        close_with_group(__file__, close)
    return fleet_target
