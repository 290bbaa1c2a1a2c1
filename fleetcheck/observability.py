"""The observer of area ``observability``: ask a real Prometheus what it scrapes, and what each dashboard panel and
alert rule selects.

The dashboards are Grafana JSON files (``dashboards/`` ships a fleet overview, a RED board per service and an events
board); the rules are Prometheus rule files (``alerts/``), each with its ``promtool test rules`` file beside it
(``<name>.test.yml``). Every query is parsed with ``promql-parser`` (the Prometheus grammar, in Rust), so each of its
series selectors can be asked for on its own (``/api/v1/series``): that says which selector of a query returns nothing,
and whether nobody exports its metric, its label, or the label's value.

Which service a query speaks for: a dashboard with a ``service`` template variable is expanded once per service; a
query or rule without one is judged for each service that exports one of the metrics it selects (with that service's
label added to its selectors), and for every service when nobody exports any of them (it can show nothing anywhere).

The reference fleet gets a Prometheus of its own (Debian's ``prometheus``, on a free loopback port, scraping every
service each second, with the rule files loaded); a target file names its own (``prometheus.url``), whose scrape
configuration is the user's.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import promql_parser
import yaml

from fleetcheck.contracts.observability import (
    ObservabilityFiles,
    ObservabilityObservation,
    PanelQuery,
    RuleFile,
    RuleQuery,
    ScrapeTarget,
    Selected,
)
from fleetcheck.observe import exchange, observe_client

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence

    import httpx

    from fleetcheck.targets import Target

__all__ = [
    "DEFAULT_ALERTS",
    "DEFAULT_DASHBOARDS",
    "Dashboard",
    "ObservabilityFileError",
    "PrometheusInUse",
    "check_files",
    "files_of",
    "load_dashboards",
    "load_rules",
    "observe_observability",
    "prometheus_for",
]

_REPO = Path(__file__).resolve().parent.parent
DEFAULT_DASHBOARDS = _REPO / "dashboards"
DEFAULT_ALERTS = (_REPO / "alerts" / "http.yml", _REPO / "alerts" / "fleet.yml")
PROMTOOL = "/usr/bin/promtool"
#: Grafana's built-in interval variables, as a dashboard sees them over its default time range
_BUILT_IN = {"__rate_interval": "1m", "__interval": "15s", "__range": "5m", "__range_s": "300", "interval": "15s"}
_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)")
#: functions of a range vector that are no value with fewer than two samples in the range
_TWO_SAMPLES = frozenset({"rate", "irate", "increase", "delta", "idelta", "deriv", "predict_linear"})
_OPS = {"MatchOp.Equal": "=", "MatchOp.NotEqual": "!=", "MatchOp.Re": "=~", "MatchOp.NotRe": "!~"}


class ObservabilityFileError(ValueError):
    """A dashboard or rule file that cannot be read; the message names the file and what was expected."""


@dataclass(frozen=True, slots=True)
class Dashboard:
    """A Grafana dashboard as far as its queries go: its title, its template variables (name -> the value used when
    the variable is not ``service``) and every panel query (panel title, PromQL)."""

    file: str
    title: str
    variables: dict[str, str]
    queries: tuple[tuple[str, str], ...]

    @property
    def per_service(self) -> bool:
        return "service" in self.variables


@dataclass(frozen=True, slots=True)
class _Rule:
    file: str
    name: str
    expr: str


def load_dashboards(directory: Path) -> list[Dashboard]:
    """Every ``*.json`` Grafana dashboard in ``directory`` (panels in rows included).

    Raises:
        ObservabilityFileError: no such directory, no dashboard in it, or a file that is not a dashboard's JSON.
    """
    if not directory.is_dir():
        raise ObservabilityFileError(
            f"{directory}: expected a directory of Grafana dashboard JSON files; it does not exist or is not a "
            "directory. Pass an existing folder to --dashboards."
        )
    dashboards = []
    for path in sorted(directory.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ObservabilityFileError(f"{path}: expected a Grafana dashboard (JSON); {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("panels"), list):
            raise ObservabilityFileError(f"{path}: expected a Grafana dashboard, a JSON object with a panels list")
        variables = {
            str(v.get("name")): str((v.get("current") or {}).get("value") or v.get("query") or ".*")
            for v in (data.get("templating") or {}).get("list", [])
            if isinstance(v, dict) and v.get("name")
        }
        queries = tuple(_panel_queries(data["panels"]))
        dashboards.append(Dashboard(path.name, str(data.get("title") or path.stem), variables, queries))
    if not dashboards:
        raise ObservabilityFileError(f"{directory}: expected Grafana dashboard JSON files (*.json); found none")
    return dashboards


def _panel_queries(panels: Iterable[Any]) -> Iterable[tuple[str, str]]:
    for panel in panels:
        if not isinstance(panel, dict):
            continue
        yield from _panel_queries(panel.get("panels") or ())  # a row's panels
        for target in panel.get("targets") or ():
            if isinstance(target, dict) and target.get("expr") and not target.get("hide"):
                yield str(panel.get("title") or "(untitled)"), str(target["expr"])


def load_rules(files: Sequence[Path]) -> list[_Rule]:
    """Every alert and recording rule of the rule files (``groups[].rules[]``).

    Raises:
        ObservabilityFileError: a missing file, or one that is not a Prometheus rule file.
    """
    rules = []
    for path in files:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ObservabilityFileError(f"{path}: no such rule file (pass existing files to --alerts)") from None
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise ObservabilityFileError(f"{path}: expected a Prometheus rule file (YAML); {exc}") from None
        groups = data.get("groups") if isinstance(data, dict) else None
        if not isinstance(groups, list):
            raise ObservabilityFileError(f"{path}: expected a Prometheus rule file, a mapping with a groups list")
        for group in groups:
            for rule in (group or {}).get("rules") or ():
                name = rule.get("alert") or rule.get("record") or "(unnamed)"
                rules.append(_Rule(path.name, str(name), str(rule.get("expr", ""))))
    return rules


def expand(expr: str, variables: dict[str, str]) -> str:
    """The query as Grafana sends it: ``$var``, ``${var}``, ``[[var]]`` and the built-in intervals substituted."""

    def value(found: re.Match[str]) -> str:
        name = next(g for g in found.groups() if g)
        return variables.get(name, _BUILT_IN.get(name, found.group(0)))

    return _VARIABLE.sub(value, expr)


def selectors(expr: str) -> list[tuple[str | None, list[tuple[str, str, str]]]]:
    """The series selectors of a PromQL expression: (metric name, [(label, operator, value), ...]).

    Raises:
        ValueError: the expression is not PromQL (the parser's message).
    """
    found: list[tuple[str | None, list[tuple[str, str, str]]]] = []

    def visit(node: Any) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            matchers = [(m.name, _OPS.get(str(m.op), "="), m.value) for m in node.matchers.matchers]
            found.append((node.name, [m for m in matchers if m[0] != "__name__"]))

    promql_parser.walk(promql_parser.parse(expr), visit)
    return found


def _selector_text(name: str | None, matchers: Iterable[tuple[str, str, str]]) -> str:
    inside = ", ".join(f'{label}{op}"{_escaped(value)}"' for label, op, value in matchers)
    return f"{name or ''}{{{inside}}}"


def _escaped(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


class _Prometheus:
    """The HTTP API calls this observer makes (``/api/v1/...``). prometheus-api-client covers instant queries but
    neither ``/api/v1/series`` nor the targets' health, which is most of what is asked here; httpx and the JSON
    envelope are simpler than mixing both."""

    def __init__(self, url: str, client: httpx.Client) -> None:
        self.url, self.client = url.rstrip("/"), client
        self._names: set[str] | None = None
        self._unlabelled: dict[tuple[str, str], bool] = {}

    def _get(self, path: str, **params: Any) -> Any:
        import httpx

        answer = exchange(self.client, "GET", str(httpx.URL(f"{self.url}{path}", params=params)))
        try:
            body = json.loads(answer.body)
        except ValueError:
            raise PrometheusUnusable(f"{self.url}{path} answered {answer.status}, not Prometheus's JSON") from None
        if body.get("status") != "success":
            raise QueryFailed(str(body.get("error") or body))
        return body["data"]

    def targets(self) -> list[dict[str, Any]]:
        return list(self._get("/api/v1/targets", state="active").get("activeTargets", []))

    def names(self) -> set[str]:
        if self._names is None:
            self._names = set(self._get("/api/v1/label/__name__/values"))
        return self._names

    def series(self, selector: str) -> list[dict[str, str]]:
        return list(self._get("/api/v1/series", **{"match[]": selector}))

    def unlabelled(self, selector: str, label: str) -> bool:
        """The selector has series and none carries ``label`` (asked once per selector and label)."""
        key = (selector, label)
        if key not in self._unlabelled:
            try:
                rows = self.series(selector)
            except QueryFailed:
                rows = []
            self._unlabelled[key] = bool(rows) and not any(label in row for row in rows)
        return self._unlabelled[key]

    def samples(self, expr: str) -> int:
        data = self._get("/api/v1/query", query=expr)
        result = data.get("result")
        return len(result) if isinstance(result, list) else int(result is not None)


class PrometheusUnusable(RuntimeError):
    """The URL does not answer as Prometheus does."""


class QueryFailed(RuntimeError):
    """Prometheus refused a query (its error message)."""


def _selected(
    prometheus: _Prometheus, name: str | None, matchers: list[tuple[str, str, str]], label: str = "service"
) -> Selected:
    """What one selector selects, and when nothing, what is missing: the metric, a label, or a label's value."""
    text = _selector_text(name, matchers)
    try:
        found = len(prometheus.series(text))
    except QueryFailed as exc:
        return Selected(text, 0, f"Prometheus refused it: {exc}")
    if found or name is None:
        return Selected(text, found, "" if found else "no series matches")
    if name not in prometheus.names():
        return Selected(text, 0, f"no metric named {name} is scraped")
    scoped = [m for m in matchers if m[0] == label and m[1] == "="]
    labels: set[str] = set()
    for row in prometheus.series(_selector_text(name, scoped)):
        labels |= set(row)
    absent = [label for label, op, value in matchers if label not in labels and op in ("=", "=~") and value]
    if absent:
        return Selected(text, 0, f"{name} has no label {', '.join(absent)}")
    literal = [m for m in matchers if m[1] == "="]
    if len(literal) < len(matchers) and prometheus.series(_selector_text(name, literal)):
        return Selected(text, 0, "its pattern matchers match no value yet", empty_ok=True)
    return Selected(text, 0, f"no series of {name} has {', '.join(f'{a}{o}{v!r}' for a, o, v in matchers)}")


def _scoped(
    prometheus: _Prometheus, found: list[tuple[str | None, list[tuple[str, str, str]]]], service: str, label: str
) -> list[Any]:
    """The selectors with ``label="service"`` added where they have no matcher on that label, except a selector
    whose series exist and none of them carries the label: it watches something that is no service of the fleet
    (``up{job="fleetcheck-prober"}``, the prober's own scrape), so it is judged as written."""
    return [
        (n, m if any(x[0] == label for x in m) or prometheus.unlabelled(_selector_text(n, m), label) else
         [*m, (label, "=", service)])
        for n, m in found
    ]  # fmt: skip


def _speaks_for(
    found: list[tuple[str | None, list[tuple[str, str, str]]]],
    exported: dict[str, set[str]],
    declared: dict[str, set[str]],
    label: str,
) -> list[str]:
    """The observed services (``exported``'s keys) a query without a service variable is judged for: those its
    selectors pin by name; else those whose series hold one of its metrics. A query whose metrics neither a series
    nor the fleet file knows speaks for every observed service (it can show nothing anywhere: a misspelt name); one
    whose metrics only the fleet file declares, with no series yet (a labelled counter nothing has counted, or its
    services not observed), is judged for none."""
    named = {n for n, _m in found if n}
    pinned = {v for _n, m in found for lbl, op, v in m if lbl == label and op == "="}
    if pinned:
        return sorted(s for s in exported if s in pinned)
    owners = sorted(s for s, names in exported.items() if names & named)
    if owners or any(names & named for names in declared.values()):
        return owners
    return sorted(exported)


def _declared(target: Target) -> dict[str, set[str]]:
    """Per fleet service, the series names its declared families give (a histogram's ``_bucket``, ``_count``,
    ``_sum``)."""
    fleet = target.fleet
    declared: dict[str, set[str]] = {}
    for spec in fleet.services:
        names: set[str] = set()
        for family in fleet.required_metrics(spec):
            names.add(family.name)
            if family.type in ("histogram", "summary"):
                names |= {f"{family.name}_bucket", f"{family.name}_count", f"{family.name}_sum"}
        declared[spec.name] = names
    return declared


def files_of(target: object) -> ObservabilityFiles:
    """The dashboards and rule files to judge: the target file's ``observability``; on the reference fleet the ones
    this project ships (``dashboards/``, ``alerts/fleet.yml``)."""
    given = getattr(target, "observability", None)
    if isinstance(given, ObservabilityFiles):
        return given
    if getattr(target, "_infra", None) is not None:
        return ObservabilityFiles(DEFAULT_DASHBOARDS, DEFAULT_ALERTS)
    return ObservabilityFiles()


def check_files(files: ObservabilityFiles) -> None:
    """Read every dashboard and rule file once, so a broken one is the user's error before anything starts.

    Raises:
        ObservabilityFileError: a dashboard or rule file that cannot be read.
    """
    if files.dashboards is not None:
        load_dashboards(files.dashboards)
    load_rules(files.alerts)


@dataclass(frozen=True, slots=True)
class PrometheusInUse:
    """The Prometheus the area asks: the target's own (``prometheus.url``), or one fleetcheck started (``ours``),
    whose scrapes of the fleet are awaited before it is asked."""

    url: str
    ours: bool


@contextmanager
def prometheus_for(
    target: Target, files: ObservabilityFiles, say: Callable[[str], None] = lambda _m: None
) -> Iterator[PrometheusInUse]:
    """The target's Prometheus, or (reference fleet) one started here on a free loopback port, scraping every service
    each second with ``files``' rule files loaded, until the block ends. The runner opens it a phase early, so that
    its first scrapes are taken while that phase runs.

    Raises:
        PrometheusUnusable: the target names no Prometheus and none can be started.
    """
    given = getattr(target, "prometheus_url", None)
    if given:
        yield PrometheusInUse(str(given), ours=False)
        return
    if getattr(target, "_infra", None) is None:
        raise PrometheusUnusable("the target file declares no Prometheus that scrapes the fleet (prometheus.url)")
    from fleetcheck.fixtures.prometheus import EmbeddedPrometheus
    from fleetcheck.probe_exporter import prometheus_config

    if not EmbeddedPrometheus.available():
        raise PrometheusUnusable("Debian's prometheus package is not installed (apt-get install prometheus)")
    with tempfile.TemporaryDirectory(prefix="fleetcheck-prometheus-") as work:
        rule_files = [str(p.resolve()) for p in files.alerts]
        config = prometheus_config(target, None, scrape_interval="1s", rule_files=rule_files)
        say("starting Prometheus to scrape the fleet")
        prometheus = EmbeddedPrometheus.start(Path(work), {}, config=config)
        try:
            yield PrometheusInUse(prometheus.url, ours=True)
        finally:
            prometheus.close()


def observe_observability(
    target: Target,
    services: Sequence[str],
    files: ObservabilityFiles,
    say: Callable[[str], None] = lambda _m: None,
    prometheus: PrometheusInUse | None = None,
) -> ObservabilityObservation:
    """Observe what a Prometheus holds for ``services``: ``prometheus`` (from :func:`prometheus_for`), or one of
    :func:`prometheus_for` for the time of this call.

    Raises:
        ObservabilityFileError: a dashboard or rule file that cannot be read.
        PrometheusUnusable: the target names no Prometheus and none can be started.
    """
    boards = load_dashboards(files.dashboards) if files.dashboards else []
    alerts, service_label = files.alerts, files.service_label
    rules = load_rules(alerts)

    def ask(asked: PrometheusInUse) -> ObservabilityObservation:
        if asked.ours:
            _wait_scraped(asked.url, len(target.endpoints))
        return _observe(asked.url, target, services, boards, rules, alerts, say, service_label)

    if prometheus is not None:
        return ask(prometheus)
    with prometheus_for(target, files, say) as started:
        return ask(started)


def _wait_scraped(url: str, expected: int, *, deadline_s: float = 30.0, scrapes: int = 3) -> None:
    """Until each of the ``expected`` fleet targets has been scraped ``scrapes`` times (``count_over_time(up[1m])``),
    or the deadline: a ``rate()`` over the data needs two samples in its window, and a loaded machine scrapes late."""
    deadline = time.monotonic() + deadline_s
    query = f'count(count_over_time(up{{job=~"fleet(-[0-9]+)?"}}[1m]) >= {scrapes})'
    with observe_client(5.0) as client:
        prometheus = _Prometheus(url, client)
        while time.monotonic() < deadline:
            try:
                result = prometheus._get("/api/v1/query", query=query).get("result") or []
            except QueryFailed:
                result = []
            if result and float(result[0]["value"][1]) >= expected:
                return
            time.sleep(0.5)


def _observe(
    url: str,
    target: Target,
    services: Sequence[str],
    boards: list[Dashboard],
    rules: list[_Rule],
    alerts: Sequence[Path],
    say: Callable[[str], None],
    label: str,
) -> ObservabilityObservation:
    with observe_client(10.0) as client:
        prometheus = _Prometheus(url, client)
        targets = tuple(_scrape_targets(prometheus, target, label))
        exported, declared = _exported(prometheus, services, label), _declared(target)
        say(f"asking Prometheus about {sum(len(b.queries) for b in boards)} panel queries and {len(rules)} rules")
        panels = tuple(_panels(prometheus, boards, services, (exported, declared), label))
        rule_queries = tuple(_rules(prometheus, rules, (exported, declared), label))
    return ObservabilityObservation(
        url,
        targets,
        panels,
        tuple(_rule_file(p) for p in alerts),
        rule_queries,
        dashboards_reason="" if boards else "no dashboards were given (--dashboards DIR, target file observability)",
        alerts_reason="" if alerts else "no alert rule files were given (--alerts FILE, target file observability)",
    )


def _scrape_targets(prometheus: _Prometheus, target: Target, label: str) -> list[ScrapeTarget]:
    """Prometheus's active targets, each with the service it scrapes: its ``label`` if that names a service, else
    the service whose base URL has the target's host and port."""
    by_address = {_address(e.base_url): name for name, e in target.endpoints.items()}
    found = []
    for row in prometheus.targets():
        scrape_url = str(row.get("scrapeUrl", ""))
        named = row.get("labels", {}).get(label)
        service = named if named in target.endpoints else by_address.get(_address(scrape_url))
        health, error = str(row.get("health")), str(row.get("lastError") or "")
        found.append(ScrapeTarget(service, scrape_url, health, error, _seconds(row.get("scrapeInterval"))))
    return found


def _seconds(duration: object) -> float:
    """A Prometheus duration (``15s``, ``1m30s``) in seconds; 0 when absent or not one (an older Prometheus)."""
    try:
        return float(promql_parser.parse_duration(str(duration)).total_seconds()) if duration else 0.0
    except ValueError:
        return 0.0


def rate_windows(expr: str) -> list[float]:
    """The ranges (seconds) of the expression's rate-like functions: those that need two samples in their range.

    Raises:
        ValueError: the expression is not PromQL.
    """
    found: list[float] = []

    def visit(node: Any) -> None:
        if isinstance(node, promql_parser.Call) and node.func.name in _TWO_SAMPLES:
            found.extend(a.range.total_seconds() for a in node.args if isinstance(a, promql_parser.MatrixSelector))

    promql_parser.walk(promql_parser.parse(expr), visit)
    return found


def _address(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"


def _exported(prometheus: _Prometheus, services: Sequence[str], label: str) -> dict[str, set[str]]:
    """Metric names each service's series carry (its ``label``)."""
    exported: dict[str, set[str]] = {}
    for service in services:
        rows = prometheus.series(_selector_text(None, [(label, "=", service)]))
        exported[service] = {r["__name__"] for r in rows if "__name__" in r}
    return exported


def _panels(
    prometheus: _Prometheus,
    boards: list[Dashboard],
    services: Sequence[str],
    owners: tuple[dict[str, set[str]], dict[str, set[str]]],
    label: str,
) -> Iterable[PanelQuery]:
    for board in boards:
        for panel, raw in board.queries:
            fixed = {k: v for k, v in board.variables.items() if k != "service"}
            if board.per_service:
                for service in services:
                    yield _panel(prometheus, board, panel, expand(raw, {**fixed, "service": service}), service, label)
                continue
            expr = expand(raw, fixed)
            try:
                speaks = _speaks_for(selectors(expr), *owners, label)
            except ValueError as exc:
                yield from (PanelQuery(board.title, panel, s, expr, 0, (), f"not PromQL: {exc}") for s in services)
                continue
            for service in speaks:
                yield _panel(prometheus, board, panel, expr, service, label)


def _panel(prometheus: _Prometheus, board: Dashboard, panel: str, expr: str, service: str, label: str) -> PanelQuery:
    try:
        found = _scoped(prometheus, selectors(expr), service, label)
        samples = prometheus.samples(expr)
    except (ValueError, QueryFailed) as exc:
        return PanelQuery(board.title, panel, service, expr, 0, (), f"the query failed: {exc}")
    chosen = tuple(_selected(prometheus, n, m, label) for n, m in found)
    return PanelQuery(board.title, panel, service, expr, samples, chosen)


def _rules(
    prometheus: _Prometheus, rules: list[_Rule], owners: tuple[dict[str, set[str]], dict[str, set[str]]], label: str
) -> Iterable[RuleQuery]:
    exported = owners[0]
    for rule in rules:
        try:
            found, windows = selectors(rule.expr), tuple(rate_windows(rule.expr))
        except ValueError as exc:
            yield from (RuleQuery(rule.file, rule.name, s, rule.expr, (), f"not PromQL: {exc}") for s in exported)
            continue
        for service in _speaks_for(found, *owners, label):
            chosen = tuple(_selected(prometheus, n, m, label) for n, m in _scoped(prometheus, found, service, label))
            yield RuleQuery(rule.file, rule.name, service, rule.expr, chosen, windows=windows)


def _rule_file(path: Path) -> RuleFile:
    """``promtool check rules`` on the file, and ``promtool test rules`` on ``<name>.test.yml`` beside it."""
    promtool = shutil.which("promtool") or PROMTOOL
    checked = _run([promtool, "check", "rules", path.name], path.parent)
    tests = path.with_name(f"{path.stem}.test{path.suffix}")
    if not tests.is_file():
        return RuleFile(path.name, checked.returncode == 0, checked.stdout + checked.stderr)
    tested = _run([promtool, "test", "rules", tests.name], path.parent)
    output = checked.stdout + checked.stderr + (tested.stdout + tested.stderr if tested.returncode else "")
    return RuleFile(path.name, checked.returncode == 0, output, tests.name, tested.returncode == 0)


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=cwd, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return subprocess.CompletedProcess(command, 1, "", f"{command[0]} could not run: {exc}")
