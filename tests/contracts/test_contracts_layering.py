"""contracts/ stays pure: it imports nothing from the other layers and nothing that does I/O (ARCHITECTURE.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"
FORBIDDEN = {
    "fixtures",
    "fleetcheck",
    "probes",
    "load",
    "reference_services",
    "subprocess",
    "socket",
    "httpx",
    "requests",
    "urllib",
    "confluent_kafka",
    "psycopg",
    "asyncpg",
    "sqlalchemy",
}


@pytest.mark.parametrize("module", sorted(CONTRACTS.rglob("*.py")), ids=lambda p: p.name)
def test_contracts_module_imports_only_pure_libraries(module: Path) -> None:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    roots = {
        alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }
    roots |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert not roots & FORBIDDEN, f"{module.name} imports {sorted(roots & FORBIDDEN)}"
