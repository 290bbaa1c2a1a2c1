"""The HTML report (:func:`fleetcheck.report.to_html`): one self-contained page, rendered with Jinja2.

Every string from a target (bodies, messages, names) reaches the page through Jinja2's autoescaping, and the page's
Content-Security-Policy forbids scripts and every fetch, so a response excerpt holding markup shows as text and can
neither run nor load anything. The template lives here rather than in a ``.html`` file beside this module because
the package data globs (pyproject.toml) would not ship such a file.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from jinja2 import Environment, StrictUndefined

from fleetcheck.contracts.findings import CheckResult, Finding, Outcome
from fleetcheck.report import cell

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from fleetcheck.runner import VerificationReport

#: Evidence longer than this (lines or characters) is folded into a <details>, so one huge body does not bury the
#: findings after it; tracebacks are always folded (they are for fleetcheck's developers, not the service's owner).
_FOLD_LINES, _FOLD_CHARS = 12, 1500
#: Up to this many names are written out as they are; more are counted first.
_NAMES_SHOWN = 8


@dataclass(frozen=True, slots=True)
class _Cell:
    text: str
    tone: str  # a CSS class: failed, passed, not-run or empty
    href: str = ""


@dataclass(frozen=True, slots=True)
class _Evidence:
    key: str
    value: str
    folded: bool
    first_line: str


@dataclass(frozen=True, slots=True)
class _FailedCheck:
    result: CheckResult
    #: "expected" and "fix" said once above the findings when every finding of the check says the same
    shared: dict[str, str]
    findings: tuple[tuple[Finding, tuple[_Evidence, ...]], ...]


@dataclass(frozen=True, slots=True)
class _NotRunGroup:
    number: int
    reason: str
    count: int
    who: tuple[tuple[str, str], ...]  # (checks, services): these checks were not run on these services
    services: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Service:
    name: str
    anchor: str
    summary: _Cell
    failed: tuple[_FailedCheck, ...]
    passed: tuple[CheckResult, ...]
    reasons: tuple[int, ...]  # numbers of the not-run groups that name this service


def render_html(report: VerificationReport) -> str:
    """The page for ``report``; see :func:`fleetcheck.report.to_html`."""
    anchors = _anchors(report.services)
    groups = _not_run_groups(report)
    return _TEMPLATE.render(
        report=report,
        started=_started(report.started_at),
        duration=_duration(report.duration_s),
        counts=_counts(report),
        areas=report.areas,
        rows=[(s, anchors[s], _row(report, s, anchors[s])) for s in report.services],
        totals=[_cell(report.results_for(area=a)) for a in report.areas],
        services=[_service(report, s, anchors[s], groups) for s in report.services],
        groups=groups,
    )


def _counts(report: VerificationReport) -> dict[str, int]:
    """Results by outcome, baselined failures apart from the failures that fail the run."""
    counts = {o.value: report.count(o) for o in Outcome}
    counts["baselined"] = sum(1 for r in report.results if r.baselined)
    counts["failed"] -= counts["baselined"]
    return counts


def _row(report: VerificationReport, service: str, anchor: str) -> list[_Cell]:
    return [_cell(report.results_for(service=service, area=area), anchor) for area in report.areas]


def _cell(results: Sequence[CheckResult], href: str = "") -> _Cell:
    outcomes = {Outcome.PASSED if r.baselined else r.outcome for r in results}  # a baselined failure fails nothing
    tone = next((o.value for o in (Outcome.FAILED, Outcome.PASSED, Outcome.NOT_RUN) if o in outcomes), "empty")
    return _Cell(cell(results, marks=False), tone.replace("_", "-"), href)


def _anchors(services: Iterable[str]) -> dict[str, str]:
    """A fragment id per service, readable (``service-master-data``) and unique whatever the names hold."""
    anchors: dict[str, str] = {}
    for name in services:
        anchor = "service-" + (re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "x")
        while anchor in anchors.values():
            anchor += "-"
        anchors[name] = anchor
    return anchors


def _service(report: VerificationReport, name: str, anchor: str, groups: Sequence[_NotRunGroup]) -> _Service:
    results = report.results_for(service=name)
    return _Service(
        name=name,
        anchor=anchor,
        summary=_cell(results),
        failed=tuple(_failed_check(r) for r in results if r.outcome is Outcome.FAILED),
        passed=tuple(r for r in results if r.outcome is Outcome.PASSED),
        reasons=tuple(g.number for g in groups if name in g.services),
    )


def _failed_check(result: CheckResult) -> _FailedCheck:
    findings = result.findings
    shared: dict[str, str] = {}
    if len(findings) > 1:
        for label, values in (("expected", {f.expected for f in findings}), ("fix", {f.hint for f in findings})):
            if len(values) == 1:
                shared[label] = values.pop()
    return _FailedCheck(result, shared, tuple((f, _evidence(f)) for f in findings))


def _evidence(finding: Finding) -> tuple[_Evidence, ...]:
    items = []
    for key, value in finding.evidence:
        lines = value.splitlines() or [""]
        folded = key == "traceback" or len(lines) > _FOLD_LINES or len(value) > _FOLD_CHARS
        items.append(_Evidence(key, value, folded, lines[0][:120]))
    return tuple(items)


@dataclass(frozen=True, slots=True)
class _Scope:
    """What the run held, to say "every check" or "all 14 events checks" instead of listing them."""

    checks_per_service: dict[str, int]
    checks_per_area: dict[str, frozenset[str]]

    @classmethod
    def of(cls, results: Iterable[CheckResult]) -> _Scope:
        per_service: dict[str, int] = defaultdict(int)
        per_area: dict[str, set[str]] = defaultdict(set)
        for result in results:
            per_service[result.service] += 1
            per_area[result.area].add(result.check_id)
        return cls(dict(per_service), {area: frozenset(ids) for area, ids in sorted(per_area.items())})


def _not_run_groups(report: VerificationReport) -> list[_NotRunGroup]:
    """The reasons for anything not run, each said once with the checks and services it holds for, most first.

    A passed or failed result can carry a reason too (a check partly not run, e.g. one fault mode without a hook).
    """
    by_reason: dict[str, list[CheckResult]] = defaultdict(list)
    for result in report.results:
        if result.reason:
            by_reason[result.reason].append(result)
    ordered = sorted(by_reason.items(), key=lambda item: -len(item[1]))  # stable: equal counts keep the run's order
    scope = _Scope.of(report.results)
    return [
        _NotRunGroup(number, reason, len(results), _who(results, scope), frozenset(r.service for r in results))
        for number, (reason, results) in enumerate(ordered, start=1)
    ]


def _who(results: Iterable[CheckResult], scope: _Scope) -> tuple[tuple[str, str], ...]:
    """(checks, services) lines: services for which the reason holds for the same checks are named together."""
    ids_of: dict[str, set[str]] = defaultdict(set)
    for result in results:
        ids_of[result.service].add(result.check_id)
    services_of: dict[str, list[str]] = defaultdict(list)
    for service, ids in ids_of.items():
        every = len(ids) > 1 and len(ids) == scope.checks_per_service[service]
        services_of["every check" if every else _checks(ids, scope)].append(service)
    return tuple((checks, _names(services, "services")) for checks, services in services_of.items())


def _checks(ids: set[str], scope: _Scope) -> str:
    whole = [area for area, checks in scope.checks_per_area.items() if len(checks) > 1 and checks <= ids]
    covered = set().union(*(scope.checks_per_area[area] for area in whole))
    parts = [f"all {len(scope.checks_per_area[area])} {area} checks" for area in whole]
    rest = sorted(ids - covered)
    if rest:
        parts.append(_names(rest, "checks"))
    return ", ".join(parts)


def _names(names: Sequence[str], noun: str) -> str:
    """The names, with their count in front when there are many (a count alone would hide which ones)."""
    joined = ", ".join(names)
    return joined if len(names) <= _NAMES_SHOWN else f"{len(names)} {noun}: {joined}"


def _started(started_at: str) -> str:
    try:
        return datetime.fromisoformat(started_at).isoformat(sep=" ", timespec="seconds")
    except ValueError:
        return started_at or "—"


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


_CSS = """
:root {
  color-scheme: light;
  --fg: #1f2328; --muted: #5b636e; --line: #d8dee4; --soft: #f6f8fa;
  --failed: #a4221b; --failed-bg: #fcebea; --failed-edge: #e5534b;
  --passed: #1b6d35; --passed-bg: #e8f4ec; --passed-edge: #4ba567;
  --not-run: #57606a; --not-run-bg: #eef1f4; --not-run-edge: #a7b0ba;
}
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body {
  margin: 0; color: var(--fg); background: #fff;
  font: 13px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans Bengali", "Liberation Sans",
    "DejaVu Sans", sans-serif;
}
main { max-width: 1240px; margin: 0 auto; padding: 18px 24px 48px; }
code, pre, .id { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", "DejaVu Sans Mono",
  monospace; font-size: 12px; }
a { color: #0b5cad; }
h1 { font-size: 19px; font-weight: 600; margin: 0; }
h1 .fleet { font-weight: 400; color: var(--muted); }
h2 { font-size: 14px; font-weight: 600; margin: 26px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h2 .count { font-weight: 400; color: var(--muted); }
header { display: flex; justify-content: space-between; align-items: flex-start; gap: 24px;
  padding-bottom: 12px; border-bottom: 1px solid var(--line); }
.meta { margin: 4px 0 0; color: var(--muted); }
.meta b { color: var(--fg); font-weight: 500; }
.stats { display: flex; gap: 6px; margin-top: 10px; }
.stat { padding: 2px 10px; border-radius: 11px; border: 1px solid var(--line); background: var(--soft); }
.stat b { font-weight: 600; }
.stat.failed { background: var(--failed-bg); color: var(--failed); border-color: var(--failed-edge); }
.stat.passed { background: var(--passed-bg); color: var(--passed); border-color: var(--passed-edge); }
.verdict { padding: 6px 14px; border-radius: 6px; font-weight: 600; white-space: nowrap; }
.verdict.failed { background: var(--failed-bg); color: var(--failed); border: 1px solid var(--failed-edge); }
.verdict.passed { background: var(--passed-bg); color: var(--passed); border: 1px solid var(--passed-edge); }
table.scorecard { border-collapse: collapse; width: 100%; table-layout: fixed; }
.scorecard th, .scorecard td { border: 1px solid var(--line); padding: 0; text-align: left; font-weight: 400; }
.scorecard thead th { background: var(--soft); font-weight: 600; padding: 5px 8px; }
.scorecard th[scope=row] { padding: 5px 8px; }
.scorecard thead th:first-child { width: 170px; }
.scorecard tfoot th, .scorecard tfoot td { font-weight: 600; }
.scorecard td span, .scorecard td a { display: block; padding: 5px 8px; color: inherit; text-decoration: none; }
.scorecard td a:hover { text-decoration: underline; }
td.failed { background: var(--failed-bg); color: var(--failed); box-shadow: inset 3px 0 var(--failed-edge); }
td.passed { background: var(--passed-bg); color: var(--passed); box-shadow: inset 3px 0 var(--passed-edge); }
td.not-run { background: var(--not-run-bg); color: var(--not-run); }
td.empty { color: var(--muted); }
section.service { margin-top: 14px; padding: 8px 0 4px 12px; border-left: 3px solid var(--not-run-edge); }
section.service.failed { border-left-color: var(--failed-edge); }
section.service.passed { border-left-color: var(--passed-edge); }
section.service.quiet { margin-top: 2px; padding: 2px 0 2px 12px; }
section.service h3 { font-size: 14px; margin: 0 0 6px; font-weight: 600; }
section.service.quiet h3 { font-size: 13px; margin: 0; }
section.service h3 .summary { font-weight: 400; color: var(--muted); margin-left: 4px; }
.check { margin: 8px 0 12px; border: 1px solid var(--line); border-radius: 6px; break-inside: avoid; }
.check > .title { margin: 0; padding: 6px 10px; background: var(--failed-bg); border-bottom: 1px solid var(--line);
  border-radius: 6px 6px 0 0; }
.check > .title .id { font-weight: 600; color: var(--failed); }
.check > .title .area, .check > .title .judged { color: var(--muted); }
.check > .title .area { margin: 0 2px; }
.check > .title .judged { float: right; }
dl.fields { display: grid; grid-template-columns: 72px 1fr; gap: 3px 10px; margin: 0; padding: 7px 10px; }
dl.fields + dl.fields, ol.findings > li + li { border-top: 1px dashed var(--line); }
dl.fields dt { color: var(--muted); }
dl.fields dd { margin: 0; min-width: 0; }
dl.fields dd.observed { font-weight: 600; }
dl.shared { background: var(--soft); }
ol.findings { list-style: none; margin: 0; padding: 0; }
pre { margin: 0; padding: 3px 8px; background: var(--soft); border-radius: 3px;
  white-space: pre-wrap; overflow-wrap: anywhere; }
dd.evidence { display: flex; flex-wrap: wrap; gap: 4px 12px; }
dd.evidence > div { flex: 1 1 380px; min-width: 0; display: flex; gap: 6px; align-items: baseline; }
dd.evidence > div.wide { flex-basis: 100%; }
dd.evidence .key { color: var(--muted); font-size: 11px; flex: none; }
dd.evidence pre, dd.evidence details { flex: 1; min-width: 0; }
details > summary { cursor: pointer; color: var(--muted); }
details > summary code { color: var(--fg); }
details[open] > summary { margin-bottom: 4px; }
.severity { font-weight: 400; color: #8a5a00; background: #fff4d6; border-radius: 3px; padding: 0 4px;
  margin-left: 2px; }
p.passed-label { margin: 8px 0 0; color: var(--muted); font-size: 12px; }
ul.passed { list-style: none; margin: 2px 0 8px; padding: 0; display: grid;
  grid-template-columns: repeat(auto-fill, minmax(370px, 1fr)); gap: 1px 16px; }
ul.passed li { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
ul.passed li::before { content: "✓"; color: var(--passed-edge); margin-right: 6px; }
ul.passed .judged { color: var(--muted); margin-left: 2px; }
ol.reasons { list-style: none; margin: 0; padding: 0; }
ol.reasons > li { display: grid; grid-template-columns: 34px 1fr 80px; gap: 2px 10px; padding: 6px 0;
  border-bottom: 1px solid var(--line); break-inside: avoid; }
ol.reasons .number { color: var(--muted); text-align: right; }
ol.reasons .reason { margin: 0; }
ol.reasons .who { margin: 2px 0 0; color: var(--muted); }
ol.reasons .who .checks { color: var(--fg); }
ol.reasons .count { text-align: right; color: var(--muted); }
p.empty { color: var(--muted); }
@media print {
  main { max-width: none; padding: 0; }
  a { color: inherit; text-decoration: none; }
  section.service { break-inside: avoid-page; }
}
"""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>fleetcheck {{ report.fleet }}: {{ counts.failed }} failed, {{ counts.passed }} passed, \
{{ counts.not_run }} not run</title>
<style>{{ css | safe }}</style>{# the page's own CSS: escaping would break its quoted font names #}
</head>
<body>
<main>
<header>
  <div>
    <h1>fleetcheck <span class="fleet">{{ report.fleet }}</span></h1>
    <p class="meta"><b>{{ report.target }}</b> · started <b>{{ started }}</b> · took <b>{{ duration }}</b>
      · areas {{ areas | join(", ") }}</p>
    <div class="stats">
      <span class="stat"><b>{{ report.results | length }}</b> checks</span>
      <span class="stat{{ ' failed' if counts.failed }}"><b>{{ counts.failed }}</b> failed</span>
      <span class="stat{{ ' passed' if counts.passed }}"><b>{{ counts.passed }}</b> passed</span>
      <span class="stat"><b>{{ counts.not_run }}</b> not run</span>
      {% if counts.baselined %}<span class="stat"><b>{{ counts.baselined }}</b> baselined</span>{% endif %}
    </div>
  </div>
  {% if report.failed %}
  <div class="verdict failed">{{ counts.failed }} failed</div>
  {% else %}
  <div class="verdict passed">no check failed</div>
  {% endif %}
</header>

<h2 id="scorecard">Scorecard</h2>
<table class="scorecard">
  <thead><tr><th>service</th>{% for area in areas %}<th>{{ area }}</th>{% endfor %}</tr></thead>
  <tbody>
  {% for service, anchor, cells in rows %}
    <tr><th scope="row"><a href="#{{ anchor }}">{{ service }}</a></th>
    {%- for c in cells %}<td class="{{ c.tone }}">{{ cell_link(c) }}</td>{% endfor %}</tr>
  {% endfor %}
  </tbody>
  <tfoot><tr><th scope="row">total</th>
  {%- for c in totals %}<td class="{{ c.tone }}"><span>{{ c.text }}</span></td>{% endfor %}</tr></tfoot>
</table>

<h2 id="services">Services <span class="count">· findings of failed checks, then what passed</span></h2>
{% for s in services %}
<section class="service {{ s.summary.tone }}{{ ' quiet' if not (s.failed or s.passed) }}" id="{{ s.anchor }}">
  <h3>{{ s.name }} <span class="summary">{{ s.summary.text }}
    {%- if s.reasons %} · not-run reason{{ 's' if s.reasons | length != 1 }}
    {% for n in s.reasons %}<a href="#not-run-{{ n }}">{{ n }}</a>{{ ", " if not loop.last }}{% endfor %}
    {%- endif %}</span></h3>
  {% for check in s.failed %}
  <article class="check">
    <p class="title"><span class="id">{{ check.result.check_id }}</span>
      <span class="area">{{ check.result.area }}</span> {{ check.result.claim }}
      <span class="judged">{{ check.findings | length }} finding{{ 's' if check.findings | length != 1 }}
      {%- if check.result.judged %} · judged {{ check.result.judged }} {{ check.result.judged_what }}{% endif %}</span>
    </p>
    {% if check.shared %}
    <dl class="fields shared">
      {% for label, text in check.shared.items() %}<dt>{{ label }}</dt><dd>{{ text }}</dd>{% endfor %}
    </dl>
    {% endif %}
    <ol class="findings">
    {% for finding, evidence in check.findings %}
      <li><dl class="fields">
        <dt>observed</dt><dd class="observed">{{ finding.observed }}
          {%- if finding.severity.value != "error" %} <span class="severity">{{ finding.severity.value }}</span>
          {%- endif %}
          {%- if finding.baselined %} <span class="severity">baselined: {{ finding.baselined }}</span>{% endif %}</dd>
        {% if "expected" not in check.shared %}<dt>expected</dt><dd>{{ finding.expected }}</dd>{% endif %}
        {% if "fix" not in check.shared %}<dt>fix</dt><dd>{{ finding.hint }}</dd>{% endif %}
        {% if evidence %}
        <dt>evidence</dt><dd class="evidence">
        {% for e in evidence %}
          <div class="{{ 'wide' if e.folded or e.value | length > 90 }}"><span class="key">{{ e.key }}</span>
          {%- if e.folded %}<details><summary><code>{{ e.first_line }}</code> · {{ e.value.splitlines() | length }}
            lines</summary><pre>{{ e.value }}</pre></details>
          {%- else %}<pre>{{ e.value }}</pre>{% endif %}</div>
        {% endfor %}
        </dd>
        {% endif %}
      </dl></li>
    {% endfor %}
    </ol>
  </article>
  {% endfor %}
  {% if s.passed %}
  <p class="passed-label">passed</p>
  <ul class="passed">
    {% for r in s.passed %}
    <li title="{{ r.claim }}"><span class="id">{{ r.check_id }}</span>
      {%- if r.judged %} <span class="judged">judged {{ r.judged }} {{ r.judged_what }}</span>{% endif %}</li>
    {% endfor %}
  </ul>
  {% endif %}
</section>
{% endfor %}

<h2 id="not-run">Not run <span class="count">· {{ groups | length }} reason{{ 's' if groups | length != 1 }},
  each said once</span></h2>
{% if groups %}
<ol class="reasons">
  {% for g in groups %}
  <li id="not-run-{{ g.number }}"><span class="number">{{ g.number }}</span>
    <div><p class="reason">{{ g.reason }}</p>
      {% for checks, services in g.who %}
      <p class="who"><span class="checks">{{ checks }}</span> on {{ services }}</p>
      {% endfor %}
    </div>
    <span class="count">{{ g.count }} check{{ 's' if g.count != 1 }}</span></li>
  {% endfor %}
</ol>
{% else %}
<p class="empty">Every selected check ran.</p>
{% endif %}
{% if report.baseline_fixed %}
<h2 id="fixed">Fixed since the baseline <span class="count">· remove them from the baseline file</span></h2>
<ul class="fixed">{% for entry in report.baseline_fixed %}<li>{{ entry }}</li>{% endfor %}</ul>
{% endif %}
</main>
</body>
</html>
"""

_MACROS = """
{% macro cell_link(c) -%}
{% if c.href %}<a href="#{{ c.href }}">{{ c.text }}</a>{% else %}<span>{{ c.text }}</span>{% endif %}
{%- endmacro %}
"""

_ENV = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_TEMPLATE = _ENV.from_string(_MACROS + _PAGE, globals={"css": _CSS})
