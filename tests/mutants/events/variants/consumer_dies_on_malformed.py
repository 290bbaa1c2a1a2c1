"""Mutant: the kernel's consumer decodes an event catching only invalid JSON and wrong types, not a missing attribute:
a record without ``id`` or ``tenantid`` raises out of the consumer's loop, whose task ends, and audit records nothing
more while /health stays up -> EVENTS-CONSUMER-SKIPS-MALFORMED. Every well-formed event is still recorded (and a
poison event given up) until such a record comes: the automatic mutation run's surviving ``KeyError`` removal."""

from __future__ import annotations

import json
import uuid
from typing import Any

from reference_services.kernel.consumer import IdempotentConsumer


def _decode(self: IdempotentConsumer, message: Any) -> tuple[dict[str, Any], uuid.UUID, uuid.UUID] | None:
    try:
        event = json.loads(message.value())
        return event, uuid.UUID(str(event["id"])), uuid.UUID(str(event["tenantid"]))
    except (ValueError, TypeError):
        return None


IdempotentConsumer.decode = _decode  # type: ignore[method-assign]

if __name__ == "__main__":
    from tests.mutants.serve import serve

    serve("audit")
