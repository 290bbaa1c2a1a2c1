"""Mutant: rules-engine evaluates and stores, but never publishes rules.evaluation.completed
-> FLOWS-RULES-STEER-WORKFLOW (no process ever leaves pending_rules)."""

from __future__ import annotations

from typing import Any

from reference_services.kernel.outbox import cloud_event
from reference_services.rules_engine import service

_real = service.add_event


def _add_event(session: Any, **kwargs: Any) -> dict[str, Any]:
    if kwargs.get("topic") == "rules.evaluation.completed":
        return cloud_event(**kwargs)  # built but never staged in the outbox: it never reaches Kafka
    return _real(session, **kwargs)


service.add_event = _add_event

if __name__ == "__main__":
    from tests.mutants.serve import serve

    serve("rules-engine")
