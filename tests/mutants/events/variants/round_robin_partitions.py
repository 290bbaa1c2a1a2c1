"""Mutant: master-data's outbox relay spreads events over partitions in turn instead of by key, so the events of one
customer land in different partitions and no consumer can rely on their order -> EVENTS-ORDER-PER-KEY."""

from __future__ import annotations

import itertools
from typing import Any

from confluent_kafka import Producer

from reference_services.kernel import app
from reference_services.kernel.outbox import OutboxRelay


class RoundRobinProducer(Producer):  # type: ignore[misc]
    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self._turn = itertools.count()

    def produce(self, topic: str, *args: Any, **kwargs: Any) -> None:
        partitions = len(self.list_topics(topic, timeout=5).topics[topic].partitions)
        super().produce(topic, *args, partition=next(self._turn) % partitions, **kwargs)


class RoundRobinRelay(OutboxRelay):
    def _make_producer(self) -> Any:
        return RoundRobinProducer(self.producer_config())


app.OutboxRelay = RoundRobinRelay  # type: ignore[misc]

if __name__ == "__main__":
    from tests.mutants.serve import serve

    serve("master-data")
