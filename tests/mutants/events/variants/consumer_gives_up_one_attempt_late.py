"""Mutant: the kernel's consumer counts its attempts with ``<=`` instead of ``<``, so it gives up on a poison event
after one more attempt than the fleet file declares (``events.records.attempts``); the event behind it is still
recorded, so the partition moves on -> EVENTS-CONSUMER-GIVES-UP on the attempt count alone (the automatic mutation
run's surviving ``failures < self.attempts`` to ``<=``)."""

from __future__ import annotations

from typing import Any

from reference_services.kernel.consumer import IdempotentConsumer

_declared = IdempotentConsumer.attempts


def _retry_or_give_up(self: IdempotentConsumer, message: Any) -> str:
    where = (message.topic(), message.partition(), message.offset())
    failures = self._failures[where] = self._failures.get(where, 0) + 1
    return "retried" if failures <= _declared else "failed"


IdempotentConsumer._retry_or_give_up = _retry_or_give_up  # type: ignore[method-assign]

if __name__ == "__main__":
    from tests.mutants.serve import serve

    serve("audit")
