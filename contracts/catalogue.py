"""The catalogue: every registered check as a table, and the markdown page generated from it (docs/checks.md).

Importing this module imports every check module, so ``CHECKS`` is complete afterwards.

Example:
    >>> ("HEALTH-READY-REFLECTS-DEPS", "health") in [(row[0], row[1]) for row in catalogue_table()]
    True
"""

from __future__ import annotations

from fleetcheck.contracts import events, flows, health, metrics, migrations, observability, pact, tenancy
from fleetcheck.contracts.registry import CHECKS

__all__ = ["CHECK_MODULES", "NEEDS", "catalogue_markdown", "catalogue_table"]

#: The modules whose import registers checks; a new area adds its module here (and nowhere else).
CHECK_MODULES = (health, metrics, migrations, events, flows, tenancy, pact, observability)

#: Each observation kind a check may need, and the type that carries it.
NEEDS = {
    "health": "HealthSnapshot",
    "fault": "FaultObservation",
    "boot": "BootObservation",
    "metrics": "MetricsSnapshot",
    "traffic": "TrafficObservation",
    "operation": "OperationObservation",
    "migrations": "MigrationObservation",
    "catalog": "CatalogObservation",
    "topics": "TopicsObservation",
    "observability": "ObservabilityObservation",
    "event-scenario": "EventScenario",
    "event-replay": "ReplayObservation",
    "event-write-fault": "WriteFaultObservation",
    "event-bad-input": "BadInputObservation",
    "event-burst": "DeliveryObservation",
    "event-outage": "DeliveryObservation",
    "schema-change": "SchemaChange",
    "flow-login-gateway": "LoginGatewayObservation",
    "flow-audit": "AuditFlowObservation",
    "flow-workflow-notifies": "WorkflowNotifyObservation",
    "flow-rules-steer": "RulesSteerObservation",
    "flow-declared": "DeclaredFlowObservation",
    "tenancy": "TenancyObservation",
    "tenancy-tokens": "TokenObservation",
    "pact": "PactObservation",
}


def catalogue_table() -> list[tuple[str, str, str, str]]:
    """``(id, area, claim, needs)`` for every registered check, by area then registration order."""
    rows = [(c.id, c.area, c.claim, c.needs) for c in CHECKS]
    order = {area: i for i, area in enumerate(CHECKS.areas())}
    return sorted(rows, key=lambda row: order[row[1]])


def catalogue_markdown() -> str:
    """The check catalogue as the markdown page ``docs/checks.md``."""
    lines = [
        "# Check catalogue",
        "",
        "Generated from `fleetcheck.contracts.registry.CHECKS` by "
        "`fleetcheck.contracts.catalogue.catalogue_markdown()`; do not edit.",
        "Regenerate with `FLEETCHECK_REGEN_DOCS=1 python -m pytest tests/contracts/test_catalogue_doc.py`.",
        "",
        f"{len(CHECKS)} checks. `needs` is the observation a driver gathers (`contracts/observations.py`).",
        "",
        "| id | area | claim | needs |",
        "|---|---|---|---|",
    ]
    for check_id, area, claim, needs in catalogue_table():
        cell = claim.replace("|", r"\|")
        lines.append(f"| `{check_id}` | {area} | {cell} | {needs} (`{NEEDS[needs]}`) |")
    return "\n".join(lines) + "\n"
