"""Mutant: rules-engine publishes ``rules.evaluation.completed`` without its ``context`` (the approval task and
process the evaluation was made for) -> workflow's message pact fails on ``$.data.context``: workflow finds the task
to move by ``context.task_id``, so without it no process would ever leave ``pending_rules``."""

from __future__ import annotations

from typing import Any

from reference_services.rules_engine import service

_real = service.add_event


def _add_event(session: Any, **kwargs: Any) -> dict[str, Any]:
    if kwargs.get("topic") == "rules.evaluation.completed":
        kwargs["data"] = {key: value for key, value in kwargs["data"].items() if key != "context"}
    return _real(session, **kwargs)


service.add_event = _add_event

if __name__ == "__main__":
    from tests.mutants.serve import serve

    serve("rules-engine")
