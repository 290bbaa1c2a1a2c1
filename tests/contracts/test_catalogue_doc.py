"""docs/checks.md is the catalogue as generated from the registry; a stale page fails here."""

from __future__ import annotations

import os
import re
from pathlib import Path

from fleetcheck.contracts.catalogue import NEEDS, catalogue_markdown, catalogue_table
from fleetcheck.contracts.registry import CHECKS

DOC = Path(__file__).resolve().parents[2] / "docs" / "checks.md"
ID = re.compile(r"^[A-Z]+(-[A-Z]+)+$")


def test_docs_checks_md_is_current() -> None:
    expected = catalogue_markdown()
    if os.environ.get("FLEETCHECK_REGEN_DOCS") == "1":
        DOC.write_text(expected, encoding="utf-8")
    current = DOC.read_text(encoding="utf-8") if DOC.exists() else "(missing)"
    assert current == expected, (
        f"{DOC} is stale; regenerate it: FLEETCHECK_REGEN_DOCS=1 python -m pytest tests/contracts/test_catalogue_doc.py"
    )


def test_catalogue_lists_every_registered_check_once_with_a_claim() -> None:
    rows = catalogue_table()
    assert len(rows) == len(CHECKS) == len({row[0] for row in rows})
    for check_id, area, claim, needs in rows:
        assert ID.match(check_id), check_id
        assert check_id.lower().startswith(area), check_id
        assert claim
        assert needs in NEEDS, f"{check_id} needs {needs!r}, which the catalogue page does not describe"


def test_catalogue_has_the_briefed_health_and_metrics_ids() -> None:
    ids = {row[0] for row in catalogue_table()}
    assert {
        "HEALTH-ENDPOINTS",
        "HEALTH-CONTENT-TYPE",
        "HEALTH-NO-STORE",
        "HEALTH-SHAPE",
        "HEALTH-SERVICE-NAME",
        "HEALTH-TIMESTAMP",
        "HEALTH-READY-LISTS-DEPS",
        "HEALTH-DEPENDENCIES-MATCH",
        "HEALTH-STATS",
        "HEALTH-LATENCY",
        "HEALTH-READY-REFLECTS-DEPS",
        "HEALTH-READY-BOUNDED",
        "HEALTH-LIVE-INDEPENDENT",
        "HEALTH-READY-RECOVERS",
        "METRICS-CONTENT-TYPE",
        "METRICS-PARSE",
        "METRICS-LINT",
        "METRICS-PROCESS",
        "METRICS-REQUIRED",
        "METRICS-SERIES-BUDGET",
        "METRICS-NO-PII",
        "METRICS-COUNTERS-MOVE",
        "METRICS-ROUTE-TEMPLATES",
        "METRICS-BUSINESS-MOVES",
    } <= ids
