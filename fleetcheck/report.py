"""Reports rendered from a :class:`~fleetcheck.runner.VerificationReport`: scorecard, findings text, JUnit XML, JSON,
HTML.

Every function here is pure over the results: no I/O besides :func:`write_reports`, which only writes files.

Example:
    >>> print(render_text(report))  # doctest: +SKIP
"""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from fleetcheck.contracts.findings import CheckResult, Finding, Outcome, Severity
from fleetcheck.runner import PhaseTime, VerificationReport

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

__all__ = [
    "cell",
    "render_findings",
    "render_fixed",
    "render_text",
    "report_from_json",
    "scorecard",
    "summary_line",
    "to_html",
    "to_json",
    "to_junit_xml",
    "write_reports",
]


def cell(results: Iterable[CheckResult], *, marks: bool = True) -> str:
    """One scorecard cell: ``✅ 12 passed``, ``❌ 3 failed · 9 passed``, ``not run (4)``; ``· N not run`` when mixed.

    Failed and passed are both named: a bare ``6 of 10`` read as six passed to users. ``marks=False`` leaves out
    the ✅/❌, for the HTML report, which colours the cell instead.
    """
    results = list(results)
    if not results:
        return "—"
    baselined = sum(1 for r in results if r.baselined)
    failed = sum(1 for r in results if r.outcome is Outcome.FAILED) - baselined
    passed = sum(1 for r in results if r.outcome is Outcome.PASSED)
    not_run = len(results) - failed - passed - baselined
    if failed + passed + baselined == 0:
        return f"not run ({not_run})"
    text = f"{failed} failed · {passed} passed" if failed else f"{passed} passed"
    if marks:
        text = ("❌ " if failed else "✅ ") + text
    if baselined:
        text += f" · {baselined} baselined"
    return f"{text} · {not_run} not run" if not_run else text


def summary_line(report: VerificationReport) -> str:
    total = len(report.results)
    baselined = sum(1 for r in report.results if r.baselined)
    failed = report.count(Outcome.FAILED) - baselined
    known = f" ({baselined} more baselined)" if baselined else ""
    return (
        f"{total} checks: {report.count(Outcome.PASSED)} passed, {failed} failed{known}, "
        f"{report.count(Outcome.NOT_RUN)} not run, in {report.duration_s:.1f} s"
    )


def scorecard(report: VerificationReport) -> Table:
    """Services x areas, like the seed's table, with a footer of totals per area."""
    table = Table(title=f"fleetcheck: {report.fleet} ({report.target})", show_footer=True)
    table.add_column("service", footer="total")
    for area in report.areas:
        table.add_column(area, footer=cell(report.results_for(area=area)))
    for service in report.services:
        table.add_row(service, *(cell(report.results_for(service=service, area=a)) for a in report.areas))
    table.caption = summary_line(report)
    return table


def render_findings(results: Iterable[CheckResult]) -> str:
    """Each failure's findings as text (service, check id, observed, expected, fix, evidence), then not-run reasons."""
    lines: list[str] = []
    results = list(results)
    for result in results:
        if result.outcome is Outcome.FAILED:
            mark = "≈" if result.baselined else "✗"
            lines.append(f"{mark} {result.check_id} [{result.service}] {result.claim}".rstrip())
            lines.extend(_finding_lines(f) for f in result.findings)
        elif result.findings:  # passed with informational findings (warnings): said, but not a failure
            lines.append(f"i {result.check_id} [{result.service}] passed, with a note")
            lines.extend(_finding_lines(f) for f in result.findings)
    skipped = [r for r in results if r.outcome is Outcome.NOT_RUN or r.reason]
    if skipped:
        lines.append("not run:")
        lines.extend(_not_run_lines(skipped))
    return "\n".join(lines)


def _not_run_lines(results: list[CheckResult]) -> list[str]:
    """One line per reason: a reason shared by several checks or services is said once, naming them.

    Reasons are compared with the service's name taken out, so "no burst write for auth" and "... for audit" are
    two lines, while "no schema baseline" shared by every service is one.
    """
    grouped: dict[tuple[str, str], list[CheckResult]] = defaultdict(list)
    for result in results:
        grouped[(result.check_id, result.reason)].append(result)
    by_service: dict[tuple[str, str], list[str]] = defaultdict(list)
    lines = []
    for (check_id, reason), group in grouped.items():
        services = [r.service for r in group]
        if len(services) > 1:
            lines.append(f"  {check_id} ({_services(services)}): {reason}")
        else:
            by_service[(services[0], reason)].append(check_id)
    for (service, reason), checks in by_service.items():
        who = f"{checks[0]} [{service}]" if len(checks) == 1 else f"{service} ({len(checks)} checks)"
        lines.append(f"  {who}: {reason}")
    return lines


def _services(names: list[str]) -> str:
    return ", ".join(names) if len(names) <= 3 else f"{len(names)} services"


def render_fixed(report: VerificationReport) -> str:
    """The baseline's entries that no longer occur, to remove from the file."""
    if not report.baseline_fixed:
        return ""
    lines = [f"fixed since the baseline ({len(report.baseline_fixed)}; remove them from the baseline file):"]
    return "\n".join([*lines, *(f"  ✓ {entry}" for entry in report.baseline_fixed)])


def _finding_lines(finding: Finding) -> str:
    mark = "" if finding.severity is Severity.ERROR else f" ({finding.severity.value})"
    if finding.baselined:
        mark += f" (baselined: {finding.baselined})"
    text = [
        f"  {finding.service}{mark}: {finding.observed}",
        f"    expected: {finding.expected}",
        f"    fix: {finding.hint}",
    ]
    text.extend(f"    {key}: {_one_line(value)}" for key, value in finding.evidence if key != "traceback")
    return "\n".join(text)


def _one_line(value: str, limit: int = 300) -> str:
    flat = " ".join(value.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def profile_table(report: VerificationReport) -> Table:
    """The phase table of ``verify --profile``: wall and CPU seconds per phase, and each phase's share of the run."""
    table = Table(title="where the run went", title_justify="left")
    table.add_column("phase")
    for column in ("wall s", "share", "CPU s (fleetcheck)"):
        table.add_column(column, justify="right")
    serial = [p for p in report.phases if not p.concurrent]
    total = sum(p.wall_s for p in serial) or 1.0
    for phase in serial:
        table.add_row(phase.phase, f"{phase.wall_s:.1f}", f"{phase.wall_s / total:.0%}", f"{phase.cpu_s:.1f}")
    table.add_row("total", f"{total:.1f}", "100%", f"{sum(p.cpu_s for p in serial):.1f}", style="bold")
    for phase in report.phases:
        if phase.concurrent:  # its time is inside the others': not a share of the total
            table.add_row(f"{phase.phase} (beside the others)", f"{phase.wall_s:.1f}", "", f"{phase.cpu_s:.1f}")
    return table


def render_text(report: VerificationReport, *, width: int = 120) -> str:
    """The scorecard and the findings as plain text (no colour), as the CLI prints them."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False)
    console.print(scorecard(report))
    findings = render_findings(report.results)
    for text in (findings, render_fixed(report)):
        if text:
            console.print(text, markup=False, highlight=False, soft_wrap=True)
    return buffer.getvalue()


def to_junit_xml(report: VerificationReport) -> str:
    """JUnit XML: a testsuite per area, a testcase per check x service (``CHECK-ID[service]``)."""
    root = ET.Element("testsuites", name=f"fleetcheck {report.fleet}", time=f"{report.duration_s:.3f}")
    by_area: dict[str, list[CheckResult]] = defaultdict(list)
    for result in report.results:
        by_area[result.area].append(result)
    for area, results in by_area.items():
        suite = ET.SubElement(
            root,
            "testsuite",
            name=area,
            tests=str(len(results)),
            failures=str(sum(r.outcome is Outcome.FAILED for r in results)),
            skipped=str(sum(r.outcome is Outcome.NOT_RUN for r in results)),
            errors="0",
            time=f"{sum(r.duration_s for r in results):.3f}",
        )
        for result in results:
            _testcase(suite, result)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def _testcase(suite: ET.Element, result: CheckResult) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        classname=result.area,
        name=f"{result.check_id}[{result.service}]",
        time=f"{result.duration_s:.3f}",
    )
    if result.baselined:
        reasons = "; ".join(dict.fromkeys(f.baselined for f in result.findings))
        ET.SubElement(case, "skipped", message=f"baselined: {reasons}")
    elif result.outcome is Outcome.FAILED:
        first = result.findings[0].observed if result.findings else "failed"
        failure = ET.SubElement(case, "failure", message=f"{result.service}: {first}", type=result.check_id)
        failure.text = "\n".join(_finding_lines(f) for f in result.findings)
    elif result.outcome is Outcome.NOT_RUN:
        ET.SubElement(case, "skipped", message=result.reason)


def to_json(report: VerificationReport) -> str:
    """Every result with its findings, as JSON; :func:`report_from_json` reads it back."""
    data = {
        "target": report.target,
        "fleet": report.fleet,
        "areas": list(report.areas),
        "services": list(report.services),
        "started_at": report.started_at,
        "duration_s": report.duration_s,
        "summary": {o.value: report.count(o) for o in Outcome}
        | {"baselined": sum(r.baselined for r in report.results)},
        "results": [_result_json(r) for r in report.results],
        "baseline_fixed": list(report.baseline_fixed),
        "phases": [
            {"phase": p.phase, "wall_s": p.wall_s, "cpu_s": p.cpu_s, "concurrent": p.concurrent} for p in report.phases
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


def _result_json(result: CheckResult) -> dict[str, Any]:
    return {
        "check_id": result.check_id,
        "area": result.area,
        "service": result.service,
        "outcome": result.outcome.value,
        "claim": result.claim,
        "reason": result.reason,
        "duration_s": result.duration_s,
        "judged": result.judged,
        "judged_what": result.judged_what,
        "findings": [
            {
                "check_id": f.check_id,
                "service": f.service,
                "severity": f.severity.value,
                "expected": f.expected,
                "observed": f.observed,
                "hint": f.hint,
                "evidence": [list(pair) for pair in f.evidence],
                "baselined": f.baselined,
            }
            for f in result.findings
        ],
    }


def report_from_json(text: str) -> VerificationReport:
    """The inverse of :func:`to_json`."""
    data = json.loads(text)
    results = tuple(
        CheckResult(
            check_id=r["check_id"],
            area=r["area"],
            service=r["service"],
            outcome=Outcome(r["outcome"]),
            findings=tuple(
                Finding(
                    check_id=f["check_id"],
                    service=f["service"],
                    expected=f["expected"],
                    observed=f["observed"],
                    hint=f["hint"],
                    severity=Severity(f["severity"]),
                    evidence=tuple((k, v) for k, v in f["evidence"]),
                    baselined=f.get("baselined", ""),
                )
                for f in r["findings"]
            ),
            reason=r["reason"],
            duration_s=r["duration_s"],
            claim=r["claim"],
            judged=r.get("judged", 0),
            judged_what=r.get("judged_what", ""),
        )
        for r in data["results"]
    )
    return VerificationReport(
        target=data["target"],
        fleet=data["fleet"],
        areas=tuple(data["areas"]),
        services=tuple(data["services"]),
        results=results,
        started_at=data["started_at"],
        duration_s=data["duration_s"],
        baseline_fixed=tuple(data.get("baseline_fixed", ())),
        phases=tuple(
            PhaseTime(p["phase"], p["wall_s"], p["cpu_s"], bool(p.get("concurrent"))) for p in data.get("phases", ())
        ),
    )


def to_html(report: VerificationReport) -> str:
    """The report as one self-contained HTML page, to open offline, print or attach to a review.

    It holds the header and counts, the scorecard, each service's findings (observed, expected, fix, evidence) and
    passed checks, and the reasons for anything not run, each said once. Inline CSS only, no script, nothing
    fetched; every string from the target is escaped. A saved JSON report gives the same page:
    ``to_html(report_from_json(text))``.
    """
    from fleetcheck._html import render_html  # imported here: _html builds on this module's cells

    return render_html(report)


def write_reports(
    report: VerificationReport,
    *,
    junit_xml: Path | None = None,
    json_path: Path | None = None,
    html_path: Path | None = None,
) -> list[Path]:
    """Write the JUnit XML, JSON and HTML reports where asked; returns the files written."""
    written: list[Path] = []
    for path, render in ((junit_xml, to_junit_xml), (json_path, to_json), (html_path, to_html)):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render(report), encoding="utf-8")
            written.append(path)
    return written
