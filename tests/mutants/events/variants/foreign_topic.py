"""Mutant: master-data publishes its deletions on auth's topic -> EVENTS-TOPIC-OWNERSHIP."""

from __future__ import annotations

from reference_services.master_data.schema import EntitySpec

_real = EntitySpec.topic


def _topic(self: EntitySpec, action: str) -> str:
    return "auth.user.locked" if action == "deleted" else _real(self, action)


EntitySpec.topic = _topic  # type: ignore[method-assign]

if __name__ == "__main__":
    from tests.mutants.serve import serve

    serve("master-data")
