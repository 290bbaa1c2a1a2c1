"""One contract test per area x service: fail with the rendered findings, show the not-run reasons."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from fleetcheck.contracts.findings import Outcome
from fleetcheck.report import cell, render_findings

if TYPE_CHECKING:
    from fleetcheck.contracts.findings import CheckResult
    from fleetcheck.runner import VerificationReport

__all__ = ["assert_area", "assert_results"]


def assert_area(report: VerificationReport, service: str, area: str) -> None:
    """Fail when any check of ``area`` failed on ``service``; skip when none could run; print not-run reasons."""
    if area not in report.areas:
        pytest.skip(f"the catalogue has no {area} checks yet")
    results = report.results_for(service=service, area=area)
    if not results:
        pytest.skip(f"no {area} check applies to {service}")
    assert_results(results, f"{service} {area}")


def assert_results(results: list[CheckResult], label: str) -> None:
    """Fail with the findings when any result failed; skip when none could run; print the not-run reasons."""
    failed = [r for r in results if r.outcome is Outcome.FAILED]
    partial = [r for r in results if r.outcome is Outcome.NOT_RUN or r.reason]
    if failed:
        pytest.fail(f"{label}: {cell(results)}\n{render_findings(failed + partial)}", pytrace=False)
    if partial:
        print(render_findings(partial))  # shown with -rA / on failure of a neighbour: what this run could not judge
    if all(r.outcome is Outcome.NOT_RUN for r in results):
        pytest.skip(f"{label}: every check was not run: {results[0].reason}")
