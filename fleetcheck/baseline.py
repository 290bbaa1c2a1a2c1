"""Baselines: a team adopts fleetcheck on a fleet with known debt, as ruff's and mypy's baselines let it adopt a
linter on an old codebase.

A baseline file lists known findings, each with the reason it is accepted for now. ``fleetcheck verify --baseline
FILE`` marks the findings it lists as baselined: they are still reported, but do not fail the run; a new finding
does. A baselined finding that no longer occurs is reported as fixed (remove it from the file).
``--write-baseline FILE`` writes the current findings (``--baseline-reason`` fills every reason; otherwise each
entry must be given one before the file is used).

A finding is recognised by its check, service and what was observed, with the parts that change from run to run
(ids, numbers, durations, ports) taken out, so the same violation matches the next run.

Example::

    findings:
      - check: METRICS-LINT
        service: catalog
        observed: "GET /api/metrics family nodejs_active_handles_total: non-counter metrics should not have ..."
        reason: prom-client's default family; renamed upstream in prom-client 16 (JIRA-1234)
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fleetcheck.contracts.findings import CheckResult, Finding, Outcome
from fleetcheck.contracts.fleet import describe_validation_error
from fleetcheck.contracts.yamlfile import read_yaml_mapping

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from fleetcheck.runner import VerificationReport

__all__ = ["Baseline", "BaselineEntry", "BaselineError", "apply_baseline", "fingerprint", "write_baseline"]

_VOLATILE = (
    (re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}"), "<uuid>"),
    (re.compile(r"\b[0-9a-f]{12,}\b"), "<hex>"),
    (re.compile(r"\d+(?:\.\d+)?"), "<n>"),
)


class BaselineError(ValueError):
    """A baseline file that cannot be used; the message names the file, the entry and what to do."""


def fingerprint(text: str) -> str:
    """``text`` with what changes between runs (uuids, hex ids, numbers) replaced, and whitespace folded."""
    for pattern, placeholder in _VOLATILE:
        text = pattern.sub(placeholder, text)
    return " ".join(text.split())


class BaselineEntry(BaseModel):
    """One known finding and why it is accepted."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    check: str
    service: str
    observed: str
    reason: str = Field(min_length=1)

    def matches(self, finding: Finding) -> bool:
        return (
            finding.check_id == self.check
            and finding.service == self.service
            and fingerprint(finding.observed) == fingerprint(self.observed)
        )


class _BaselineFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    findings: tuple[BaselineEntry, ...] = ()


@dataclass(frozen=True, slots=True)
class Baseline:
    """The known findings of a baseline file."""

    path: Path
    entries: tuple[BaselineEntry, ...]

    @classmethod
    def load(cls, path: Path) -> Baseline:
        """Read and validate a baseline file.

        Raises:
            BaselineError: missing file, not YAML, or an entry without a check, service, observed text or reason.
        """
        raw = read_yaml_mapping(path, BaselineError, missing=f"no such baseline file (write one with --write-baseline "
                                f"{path})", keys="findings", empty_is_mapping=True)  # fmt: skip
        try:
            model = _BaselineFile.model_validate(raw)
        except ValidationError as exc:
            detail = describe_validation_error(exc, raw, _BaselineFile)
            hint = "every entry needs check, service, observed and a reason saying why the finding is accepted"
            raise BaselineError(f"{path}: invalid baseline file\n{detail}\n  {hint}") from None
        return cls(path, model.findings)


@dataclass(frozen=True, slots=True)
class BaselineOutcome:
    """What a baseline did to a run: how many findings it covered, and which of its entries no longer occur."""

    baselined: int
    fixed: tuple[BaselineEntry, ...]


def apply_baseline(report: VerificationReport, baseline: Baseline) -> tuple[VerificationReport, BaselineOutcome]:
    """The report with the baseline's findings marked (``Finding.baselined`` holds the reason), and the outcome.

    A failed result whose every finding is baselined no longer fails the run (``report.failed``); its outcome stays
    "failed", so reports still show what was found.
    """
    used: set[int] = set()
    results = []
    count = 0
    for result in report.results:
        findings = []
        for finding in result.findings:
            hit = next((i for i, e in enumerate(baseline.entries) if e.matches(finding)), None)
            if hit is not None:
                used.add(hit)
                count += 1
                finding = dataclasses.replace(finding, baselined=baseline.entries[hit].reason)
            findings.append(finding)
        results.append(dataclasses.replace(result, findings=tuple(findings)))
    fixed = tuple(e for i, e in enumerate(baseline.entries) if i not in used)
    marked = dataclasses.replace(report, results=tuple(results), baseline_fixed=tuple(_fixed_lines(fixed)))
    return marked, BaselineOutcome(count, fixed)


def _fixed_lines(entries: Iterable[BaselineEntry]) -> list[str]:
    return [f"{e.check} [{e.service}]: {e.observed}" for e in entries]


def write_baseline(path: Path, results: Iterable[CheckResult], reason: str = "") -> int:
    """Write every current finding to ``path`` as a baseline; returns how many. Without ``reason`` each entry's
    reason is left empty, and the file must be given one per entry before ``--baseline`` accepts it."""
    entries: list[dict[str, Any]] = [
        {"check": f.check_id, "service": f.service, "observed": f.observed, "reason": reason}
        for r in results
        if r.outcome is Outcome.FAILED
        for f in r.findings
    ]
    header = (
        "# fleetcheck baseline: known findings that do not fail `fleetcheck verify --baseline` (new findings do).\n"
        "# Give each entry the reason it is accepted for now; a baselined finding that stops occurring is reported\n"
        "# as fixed, so remove it then. Written by `fleetcheck verify --write-baseline`.\n"
    )
    body = yaml.safe_dump({"findings": entries}, allow_unicode=True, sort_keys=False, width=120)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + body, encoding="utf-8")
    return len(entries)
