"""Mutant: the kernel's consumer takes an event whose write failed again for ever, never giving up on it: one event
whose every write fails (a poison event) stops its partition, and nothing behind it is recorded ->
EVENTS-CONSUMER-GIVES-UP. An event that fails once is still retried and recorded (EVENTS-CONSUMER-RETRY passes): the
automatic mutation run's surviving ``failures + 1`` to ``failures - 1``."""

from __future__ import annotations

from typing import Any

from reference_services.kernel.consumer import IdempotentConsumer


def _retry_or_give_up(self: IdempotentConsumer, message: Any) -> str:
    return "retried"


IdempotentConsumer._retry_or_give_up = _retry_or_give_up  # type: ignore[method-assign]

if __name__ == "__main__":
    from tests.mutants.serve import serve

    serve("audit")
