"""Each event mutant gets a broker and databases of its own (about a second to start).

Their checks count audit records and read consumer positions; on a broker that earlier mutant fleets used, the
fixed consumer group ``audit`` (committed offsets, members of stopped processes still in the group until their
session times out) delays audit past the observers' deadlines, and the verdict would then be "not run".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.mutants.infrastructure import fresh_infrastructure

if TYPE_CHECKING:
    from collections.abc import Iterator

    from fleetcheck.fixtures.infra import Infrastructure


@pytest.fixture
def mutant_infrastructure() -> Iterator[Infrastructure]:
    with fresh_infrastructure() as infrastructure:
        yield infrastructure
