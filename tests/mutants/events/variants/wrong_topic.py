"""Mutant: master-data announces a created customer on the "updated" topic -> EVENTS-ONE-PER-ACTION."""

from __future__ import annotations

from reference_services.master_data.schema import EntitySpec

_SWAP = {"created": "updated"}


def _topic(self: EntitySpec, action: str) -> str:
    return f"master-data.{self.entity_type}.{_SWAP.get(action, action)}"


EntitySpec.topic = _topic  # type: ignore[method-assign]

if __name__ == "__main__":
    from tests.mutants.serve import serve

    serve("master-data")
