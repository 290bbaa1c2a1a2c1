"""Shared by every mutant folder: one embedded PostgreSQL + Kafka per session. (The ``mutation_score`` fixture is the
root conftest.py's, so mutants of other folders, such as the foreign fleet's, are scored too.)"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

    from fleetcheck.fixtures.infra import Infrastructure


@pytest.fixture(scope="session")
def mutant_infrastructure() -> Iterator[Infrastructure]:
    """Embedded PostgreSQL and Kafka shared by the mutants of the session (each mutant gets fresh databases)."""
    from tests.mutants.infrastructure import fresh_infrastructure

    with fresh_infrastructure() as infrastructure:
        yield infrastructure
