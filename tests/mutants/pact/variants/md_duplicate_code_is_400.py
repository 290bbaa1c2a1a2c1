"""Mutant: master-data answers a duplicate business key with 400 instead of 409 (the body still problem+json) ->
import-export's pact fails on the status of "a customer row whose code the tenant has"."""

from __future__ import annotations

from typing import Any

from reference_services.master_data import routes

_real = routes.problem


def _problem(status: int, detail: str, **options: Any) -> Any:
    return _real(400 if status == 409 else status, detail, **options)


routes.problem = _problem  # type: ignore[assignment]

if __name__ == "__main__":
    from tests.mutants.serve import serve

    serve("master-data")
