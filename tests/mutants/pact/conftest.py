"""The pact mutants run on a PostgreSQL and Kafka of their own, not on the mutants' shared ones.

Their message pacts are verified by causing real events through Kafka. The shared Kafka is an in-memory Tansu that
earlier mutant folders stop (events' ``relay_drops_on_error``, the health faults): it comes back handing out producer
ids from 1 again, so a producer that outlived the stop can share an id with a new one, whose events the broker then
drops as duplicates (measured: a restarted Tansu gave the next producer PID 1 again). In one fresh-clone CI run the
rules-engine mutant's fleet, started after such folders on the same worker, saw no ``rules.evaluation.completed``
within 15 s; alone, and after the events mutants, it passes. A fresh PostgreSQL and Kafka cost about 5 s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

    from fleetcheck.fixtures.infra import Infrastructure


@pytest.fixture(scope="module")
def mutant_infrastructure() -> Iterator[Infrastructure]:
    from tests.mutants.infrastructure import fresh_infrastructure

    with fresh_infrastructure() as infrastructure:
        yield infrastructure
