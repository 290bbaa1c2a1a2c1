"""Mutant: master-data stages every event twice (two outbox rows, two event ids) -> EVENTS-ONE-PER-ACTION."""

from __future__ import annotations

from typing import Any

from reference_services.master_data import service

_real = service.add_event


def _twice(*args: Any, **kwargs: Any) -> dict[str, Any]:
    _real(*args, **kwargs)
    return _real(*args, **kwargs)


service.add_event = _twice

if __name__ == "__main__":
    from tests.mutants.serve import serve

    serve("master-data")
