"""contracts/ stays pure: it imports nothing from the other layers and nothing that does I/O (ARCHITECTURE.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"
#: contracts/ is installed as ``fleetcheck.contracts``; the rest of ``fleetcheck`` holds drivers and observers.
OWN = "fleetcheck.contracts"
FORBIDDEN = {
    "fleetcheck",
    "fixtures",
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


def _imported(tree: ast.AST) -> set[str]:
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    names |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    return names


@pytest.mark.parametrize("module", sorted(CONTRACTS.rglob("*.py")), ids=lambda p: p.name)
def test_contracts_module_imports_only_pure_libraries(module: Path) -> None:
    imported = _imported(ast.parse(module.read_text(encoding="utf-8")))
    outside = {name for name in imported if name != OWN and not name.startswith(OWN + ".")}
    bad = sorted(name for name in outside if name.split(".")[0] in FORBIDDEN)
    assert not bad, f"{module.name} imports {bad}"


def test_the_layering_test_sees_a_forbidden_import() -> None:
    tree = ast.parse("from fleetcheck.fixtures.kafka import list_topics\nfrom fleetcheck.contracts import fleet\n")
    assert {n for n in _imported(tree) if not n.startswith(OWN)} == {"fleetcheck.fixtures.kafka"}
