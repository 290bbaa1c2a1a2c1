"""Shared by every mutant folder: one embedded PostgreSQL + Kafka per session, and the mutation score.

A mutant test calls ``mutation_score.record(area, mutant, killed)``; the root conftest.py prints the score per area at
the end of the run (also under xdist), so a mutant that survives is visible even in a long log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

    from fleetcheck.fixtures.infra import Infrastructure


@dataclass(frozen=True)
class MutationScore:
    """Records one mutant's verdict on its test's report; the root conftest.py adds them up and prints the score."""

    node: pytest.Item

    def record(self, area: str, mutant: str, *, killed: bool) -> None:
        self.node.user_properties.append(("mutation", (area, mutant, killed)))


@pytest.fixture
def mutation_score(request: pytest.FixtureRequest) -> MutationScore:
    return MutationScore(request.node)


@pytest.fixture(scope="session")
def mutant_infrastructure() -> Iterator[Infrastructure]:
    """Embedded PostgreSQL and Kafka shared by the mutants of the session (each mutant gets fresh databases)."""
    from tests.mutants.infrastructure import fresh_infrastructure

    with fresh_infrastructure() as infrastructure:
        yield infrastructure
