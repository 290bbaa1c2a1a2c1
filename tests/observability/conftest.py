"""tests/observability shares the session's reference fleet (xdist group ``reference-fleet``, root conftest.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable

    from fleetcheck.targets import Target


@pytest.fixture(scope="session")
def observed_fleet(fleet_target: Target, close_with_group: Callable[[str, Callable[[], None]], None]) -> Target:
    """The shared reference fleet; stopped once the group's last test ran."""
    close = getattr(fleet_target, "close", None)
    if close is not None:
        close_with_group(__file__, close)
    return fleet_target
