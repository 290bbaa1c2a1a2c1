"""Reading dashboards and rule files: panels in rows, Grafana's variables, PromQL selectors, and clear errors."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from fleetcheck.observability import (
    DEFAULT_ALERTS,
    DEFAULT_DASHBOARDS,
    ObservabilityFileError,
    expand,
    load_dashboards,
    load_rules,
    selectors,
)

if TYPE_CHECKING:
    from pathlib import Path


def test_the_shipped_dashboards_load_with_their_panels_and_the_service_variable() -> None:
    boards = {b.file: b for b in load_dashboards(DEFAULT_DASHBOARDS)}
    assert set(boards) == {"fleet-overview.json", "service-red.json", "events.json"}
    assert boards["service-red.json"].per_service
    assert not boards["fleet-overview.json"].per_service
    assert all(b.queries for b in boards.values())


def test_panels_inside_rows_are_read_and_hidden_queries_skipped(tmp_path: Path) -> None:
    row = {"type": "row", "title": "Row", "panels": [{"title": "Inner", "targets": [{"expr": "up"}]}]}
    hidden = {"title": "Hidden", "targets": [{"expr": "down", "hide": True}]}
    (tmp_path / "d.json").write_text(json.dumps({"title": "D", "panels": [row, hidden]}))
    (board,) = load_dashboards(tmp_path)
    assert board.queries == (("Inner", "up"),)


def test_grafana_variables_and_built_in_intervals_are_expanded() -> None:
    expr = 'rate(x{service="$service", a="${a}", b="[[b]]"}[$__rate_interval])'
    assert expand(expr, {"service": "auth", "a": "1", "b": "2"}) == 'rate(x{service="auth", a="1", b="2"}[1m])'


def test_selectors_are_read_from_every_part_of_a_query() -> None:
    found = selectors('sum(rate(a_total{x="1"}[5m])) / on() group_left count(b{y=~"2|3"}) or absent(c)')
    assert found == [("a_total", [("x", "=", "1")]), ("b", [("y", "=~", "2|3")]), ("c", [])]


def test_a_query_that_is_not_promql_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unclosed left parenthesis"):
        selectors("sum(rate(x[5m])")


def test_the_shipped_rules_load() -> None:
    names = [r.name for r in load_rules(list(DEFAULT_ALERTS))]
    assert "FleetOutboxBacklog" in names
    assert len(names) == 6


@pytest.mark.parametrize(
    ("text", "expected"),
    [("{not json", "expected a Grafana dashboard (JSON)"), ('{"title": "x"}', "a JSON object with a panels list")],
)
def test_a_broken_dashboard_names_the_file_and_what_was_expected(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "broken.json").write_text(text)
    with pytest.raises(ObservabilityFileError) as info:
        load_dashboards(tmp_path)
    assert "broken.json" in str(info.value)
    assert expected in str(info.value)


def test_a_missing_dashboard_folder_or_rule_file_says_what_to_pass(tmp_path: Path) -> None:
    with pytest.raises(ObservabilityFileError, match="Pass an existing folder to --dashboards"):
        load_dashboards(tmp_path / "none")
    with pytest.raises(ObservabilityFileError, match="no such rule file"):
        load_rules([tmp_path / "none.yml"])
    (tmp_path / "r.yml").write_text("- not a rule file\n")
    with pytest.raises(ObservabilityFileError, match="a mapping with a groups list"):
        load_rules([tmp_path / "r.yml"])
