"""Shared by every mutant folder: one embedded PostgreSQL + Kafka per session, and the mutation score.

A mutant test calls ``mutation_score.record(area, mutant, killed)``; the score per area is printed at the end of the
run, so a mutant that survives is visible even in a long log.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

    from fixtures.infra import Infrastructure


@dataclass
class MutationScore:
    killed: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    survived: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def record(self, area: str, mutant: str, *, killed: bool) -> None:
        (self.killed if killed else self.survived)[area].append(mutant)

    def lines(self) -> list[str]:
        lines = []
        for area in sorted(set(self.killed) | set(self.survived)):
            killed, survived = self.killed[area], self.survived[area]
            total = len(killed) + len(survived)
            lines.append(f"mutation score [{area}]: {len(killed)}/{total} mutants killed")
            lines.extend(f"  survived: {name}" for name in survived)
        return lines


_score_key = pytest.StashKey[MutationScore]()


@pytest.fixture(scope="session")
def mutation_score(request: pytest.FixtureRequest) -> MutationScore:
    return request.config.stash.setdefault(_score_key, MutationScore())


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    score = config.stash.get(_score_key, None)
    if score is not None:
        terminalreporter.section("mutation score")
        for line in score.lines():
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def mutant_infrastructure() -> Iterator[Infrastructure]:
    """Embedded PostgreSQL and Kafka shared by the mutants of the session (each mutant gets fresh databases)."""
    from tests.mutants.infrastructure import fresh_infrastructure

    with fresh_infrastructure() as infrastructure:
        yield infrastructure
