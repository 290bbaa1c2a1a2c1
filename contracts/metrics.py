"""METRICS-* checks: the exposition parses, lints clean, has the declared families, and its counters tell the truth.

Expositions are parsed with ``prometheus_client``'s own parsers (classic text and OpenMetrics); the lint lives in
``fleetcheck.contracts.metrics_lint``. A body that does not parse is one METRICS-PARSE finding; every other check then
says it could not parse the body instead of crashing.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_text

from fleetcheck.contracts.findings import Finding, Judged
from fleetcheck.contracts.metrics_lint import ExpositionSyntaxError, lint_exposition, read_families
from fleetcheck.contracts.registry import CHECKS, CheckContext, NotApplicable

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from prometheus_client.metrics_core import Metric
    from prometheus_client.samples import Sample

    from fleetcheck.contracts.fleet import MetricFamilySpec
    from fleetcheck.contracts.observations import (
        HttpExchange,
        MetricsSnapshot,
        OperationObservation,
        TrafficObservation,
    )

__all__ = ["PII_PATTERNS", "Exposition", "ExpositionError", "parse_exposition"]

AREA = "metrics"
_TEXT_VERSIONS = ("0.0.4", "1.0.0")
OPENMETRICS_MEDIA = "application/openmetrics-text"
#: personal data a label value must not hold, by the name a fleet file's ``pii`` uses for it
PII_PATTERNS: dict[str, tuple[str, re.Pattern[str]]] = {
    "email": ("an email address", re.compile(r"[^@\s/]+@[^@\s/]+\.[A-Za-z]{2,}")),
    "bd-mobile": ("a Bangladeshi mobile number", re.compile(r"(?<!\d)(?:\+?880|0)1[3-9]\d{8}(?!\d)")),
    "bd-tin-nid": (
        "a TIN or NID (10, 12, 13 or 17 digits)",
        re.compile(r"(?<!\d)(?:\d{17}|\d{13}|\d{12}|\d{10})(?!\d)"),
    ),
}
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class ExpositionError(ValueError):
    """A body that is not a valid exposition; the message says which parser refused it and why."""


@dataclass(frozen=True, slots=True)
class Exposition:
    """A parsed exposition, families keyed by the name the text format prints (``http_requests_total``)."""

    families: dict[str, Metric]

    def samples(self, family: str, sample: str | None = None) -> list[Sample]:
        """The samples of ``family`` (by printed name), only those named ``sample`` when given."""
        metric = self.families.get(family)
        if metric is None:
            return []
        return [s for s in metric.samples if sample is None or s.name == sample]

    def total(self, family: str, labels: dict[str, str] | None = None, *, exclude_routes: Iterable[str] = ()) -> float:
        """The sum of a counter's ``_total`` samples whose labels include ``labels``, minus excluded routes."""
        wanted, excluded = labels or {}, set(exclude_routes)
        return sum(
            s.value
            for s in self.samples(family, family)
            if all(s.labels.get(k) == v for k, v in wanted.items()) and s.labels.get("route") not in excluded
        )


def _printed_name(metric: Metric) -> str:
    # prometheus_client strips _total from counter families; the text format (and the fleet file) print it
    return f"{metric.name}_total" if metric.type == "counter" else metric.name


def parse_exposition(body: bytes, *, openmetrics: bool = False) -> Exposition:
    """Parse a scrape body with ``prometheus_client``'s text (or OpenMetrics) parser.

    Raises:
        ExpositionError: the body is not UTF-8 or the parser refused it.
    """
    parser = parse_openmetrics if openmetrics else parse_text
    try:
        families = list(parser(body.decode("utf-8")))
    except UnicodeDecodeError as exc:
        raise ExpositionError(f"the body is not UTF-8 ({exc})") from None
    except Exception as exc:  # the parsers raise ValueError, KeyError, IndexError... on malformed input
        kind = "OpenMetrics" if openmetrics else "text format"
        raise ExpositionError(f"the {kind} parser refused it: {type(exc).__name__}: {exc}") from None
    return Exposition({_printed_name(m): m for m in families})


def _finding(
    ctx: CheckContext, check_id: str, *, observed: str, expected: str, hint: str, exchange: HttpExchange | None = None
) -> Finding:
    evidence: tuple[tuple[str, str], ...] = ()
    if exchange is not None:
        evidence = (
            (
                "request",
                f"{exchange.request_line()} ({exchange.url})" + (f", {exchange.moment}" if exchange.moment else ""),
            ),
            ("response", exchange.error or f"{exchange.status} {exchange.body[:300].decode('utf-8', 'replace')}"),
        )
    return Finding(check_id, ctx.service.name, expected=expected, observed=observed, hint=hint, evidence=evidence)


def speaks_openmetrics(exchange: HttpExchange) -> bool:
    """Whether the answer says it is OpenMetrics (its Content-Type), so it is parsed as such."""
    return (exchange.header("content-type") or "").split(";")[0].strip().lower() == OPENMETRICS_MEDIA


def _parsed(ctx: CheckContext, check_id: str, exchange: HttpExchange) -> tuple[Exposition | None, Finding | None]:
    """The parsed scrape (with the parser its Content-Type names), or a finding saying this check cannot judge it."""
    try:
        if exchange.error or exchange.status != 200:
            raise ExpositionError(exchange.error or f"it answered {exchange.status}")
        return parse_exposition(exchange.body, openmetrics=speaks_openmetrics(exchange)), None
    except ExpositionError as exc:
        return None, _finding(
            ctx,
            check_id,
            observed=f"{exchange.request_line()} could not parse the exposition: {exc}",
            expected="a parseable exposition to judge",
            exchange=exchange,
            hint="Fix what METRICS-PARSE reports first; this check cannot judge an unreadable scrape.",
        )


def _content_type_problem(value: str | None, media: str, versions: tuple[str, ...]) -> str | None:
    parts = [p.strip() for p in (value or "").split(";")]
    params = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
    if parts[0].lower() != media:
        return f"media type {parts[0] or '(none)'}"
    if params.get("version") not in versions:
        return f"version {params.get('version', '(none)')}"
    if params.get("charset", "").lower() != "utf-8":
        return f"charset {params.get('charset', '(none)')}"
    return None


@CHECKS.register(
    "METRICS-CONTENT-TYPE",
    area=AREA,
    needs="metrics",
    claim="/metrics answers text/plain 0.0.4 or 1.0.0 by default and OpenMetrics 1.0.0 when asked (where the fleet "
    "file says it speaks OpenMetrics), in UTF-8",
)
def check_content_type(ctx: CheckContext, snapshot: MetricsSnapshot) -> Iterator[Finding | Judged]:
    cases: list[tuple[HttpExchange, str, tuple[str, ...]]] = [(snapshot.text, "text/plain", _TEXT_VERSIONS)]
    if ctx.service.openmetrics:
        cases.append((snapshot.openmetrics, OPENMETRICS_MEDIA, ("1.0.0",)))
    for exchange, media, versions in cases:
        if exchange.error:
            continue  # METRICS-PARSE reports a scrape that got no answer
        yield Judged(1, "scrapes")
        seen = exchange.header("content-type")
        problem = _content_type_problem(seen, media, versions)
        if problem:
            asked = dict(exchange.request_headers).get("Accept", "(default)")
            yield _finding(
                ctx,
                "METRICS-CONTENT-TYPE",
                observed=f"{exchange.request_line()} (Accept: {asked}) answered Content-Type {seen or '(none)'}: "
                f"wrong {problem}",
                expected=f"{media}; version={' or '.join(versions)}; charset=utf-8",
                exchange=exchange,
                hint="Let the client library negotiate the format from the Accept header (prometheus_client's "
                "choose_encoder); declare openmetrics: false in the fleet file if the service never speaks it.",
            )


@CHECKS.register(
    "METRICS-PARSE",
    area=AREA,
    needs="metrics",
    claim="both scrapes parse, each with the parser its Content-Type names (text format or OpenMetrics)",
)
def check_parse(ctx: CheckContext, snapshot: MetricsSnapshot) -> Iterator[Finding | Judged]:
    for exchange, asked in ((snapshot.text, "text format"), (snapshot.openmetrics, "OpenMetrics")):
        if exchange.error or exchange.status != 200:
            answer = f"got no answer ({exchange.error})" if exchange.error else f"answered {exchange.status}"
            yield _finding(
                ctx,
                "METRICS-PARSE",
                observed=f"{exchange.request_line()} ({asked}) {answer}",
                expected="200 with an exposition",
                exchange=exchange,
                hint=f"Serve the metrics path ({ctx.service.metrics_path}) on the main port without credentials, "
                "or declare the right metrics_path in the fleet file.",
            )
            continue
        openmetrics = speaks_openmetrics(exchange)  # the parser the answer's Content-Type names, not the one asked
        kind = "OpenMetrics" if openmetrics else "text format"
        try:
            parsed = parse_exposition(exchange.body, openmetrics=openmetrics)
            yield Judged(1 if parsed.families else 0, "scrapes with samples")
        except ExpositionError as exc:
            yield _finding(
                ctx,
                "METRICS-PARSE",
                observed=f"{exchange.request_line()} ({kind}): {exc}",
                expected=f"a body the {kind} parser accepts (its Content-Type says {kind})",
                exchange=exchange,
                hint="Render the scrape with the client library (generate_latest/choose_encoder), never by hand.",
            )


_LINT_HINTS: dict[str, tuple[str, str]] = {
    "help": ("a # HELP line for every family", "Pass a documentation string when creating the metric."),
    "base-units": (
        "names in base units (seconds, bytes, meters, grams, joules, celsius)",
        "Rename the family and convert the value (observe seconds, not milliseconds).",
    ),
    "counter-total": ('"_total" on counters and only on counters', "Rename the family or fix its type."),
    "reserved": (
        "_bucket/_sum/_count and le/quantile only on histograms and summaries",
        "Rename the family or label; those names are reserved by the exposition format.",
    ),
    "type-in-name": ("no metric type in the name", "Drop the type word from the name; TYPE already says it."),
    "reserved-chars": ("no ':' in metric names", "Colons are reserved for recording rules; use '_'."),
    "snake-case": ("snake_case metric and label names", "Rename to snake_case (http_requests_total, status_code)."),
    "unit-abbreviations": ("units spelled out (seconds, not s or ms)", "Spell the unit out in the name."),
    "histogram-buckets": (
        'cumulative buckets whose "+Inf" bucket equals "_count"',
        "Use prometheus_client's Histogram instead of writing buckets by hand.",
    ),
}


#: families client libraries register by default, which a team cannot rename: their lint findings say how to waive
_LIBRARY_PREFIXES = ("nodejs_", "go_", "jvm_", "python_", "process_", "promhttp_", "dotnet_", "ruby_", "http_server_")


def _waiver_hint(hint: str, family: str, rule: str) -> str:
    if not family.startswith(_LIBRARY_PREFIXES):
        return hint
    waiver = f"lint_waivers: [{{family: {family}, rule: {rule}, reason: ...}}]"
    return f"{hint} If it is a client library's default family you cannot rename, waive the rule ({waiver})."


@CHECKS.register(
    "METRICS-LINT",
    area=AREA,
    needs="metrics",
    claim="the exposition passes a promtool-equivalent lint (HELP, _total, base units, snake_case, histograms), "
    "except for families the fleet file waives with a reason",
)
def check_lint(ctx: CheckContext, snapshot: MetricsSnapshot) -> Iterator[Finding | Judged]:
    exchange = snapshot.text
    if exchange.error or exchange.status != 200:
        raise NotApplicable(f"{exchange.request_line()} gave no exposition to lint (METRICS-PARSE reports why)")
    try:
        text = exchange.body.decode("utf-8")
        families = read_families(text)
        problems = lint_exposition(text)
    except (ExpositionSyntaxError, UnicodeDecodeError) as exc:
        yield _finding(
            ctx,
            "METRICS-LINT",
            observed=f"{exchange.request_line()} could not parse the exposition: {exc}",
            expected="a parseable exposition to lint",
            exchange=exchange,
            hint="Fix what METRICS-PARSE reports first.",
        )
        return
    yield Judged(sum(1 for f in families.values() if f.samples), "families")
    for problem in problems:
        if ctx.fleet.waiver(ctx.service, problem.family, problem.rule) is not None:
            continue
        expected, hint = _LINT_HINTS[problem.rule]
        yield _finding(
            ctx,
            "METRICS-LINT",
            observed=f"{exchange.request_line()} family {problem.family}: {problem.text}",
            expected=expected,
            hint=_waiver_hint(hint, problem.family, problem.rule),
        )


def _exposition(ctx: CheckContext, check_id: str, exchange: HttpExchange) -> Exposition | Finding:
    """The parsed scrape or the finding that says it could not be judged; not run when the scrape got no answer."""
    if exchange.error or exchange.status != 200:
        raise NotApplicable(f"{exchange.request_line()} gave no exposition (METRICS-PARSE reports why)")
    exposition, failure = _parsed(ctx, check_id, exchange)
    return exposition if exposition is not None else failure  # type: ignore[return-value]


@CHECKS.register(
    "METRICS-PROCESS",
    area=AREA,
    needs="metrics",
    claim="the process_* families the fleet file requires are exposed",
)
def check_process(ctx: CheckContext, snapshot: MetricsSnapshot) -> Iterator[Finding | Judged]:
    exposition = _exposition(ctx, "METRICS-PROCESS", snapshot.text)
    if isinstance(exposition, Finding):
        yield exposition
        return
    declared = [m.name for m in ctx.fleet.required_metrics(ctx.service) if m.name.startswith("process_")]
    if not declared:
        raise NotApplicable(f"the fleet file requires no process_* family of {ctx.service.name}")
    yield Judged(len(declared), "process families")
    missing = [name for name in declared if name not in exposition.families]
    if missing:
        yield _finding(
            ctx,
            "METRICS-PROCESS",
            observed=f"{snapshot.text.request_line()} lacks {', '.join(missing)}",
            expected=f"the process families {', '.join(declared)}",
            hint="Register the client library's process collector on the service's registry.",
        )


def _labels_of(metric: Metric, spec: MetricFamilySpec) -> set[frozenset[str]]:
    implied = {"le"} if spec.type == "histogram" else {"quantile"} if spec.type == "summary" else set()
    return {frozenset(set(s.labels) - implied) for s in metric.samples}


@CHECKS.register(
    "METRICS-REQUIRED",
    area=AREA,
    needs="metrics",
    claim="every family the fleet file requires of the service is exposed with its type and exactly its labels",
)
def check_required(ctx: CheckContext, snapshot: MetricsSnapshot) -> Iterator[Finding | Judged]:
    exposition = _exposition(ctx, "METRICS-REQUIRED", snapshot.text)
    if isinstance(exposition, Finding):
        yield exposition
        return
    required = ctx.fleet.required_metrics(ctx.service)
    if not required:
        raise NotApplicable(f"the fleet file requires no metric family of {ctx.service.name}")
    yield Judged(len(required), "required families")
    request = snapshot.text.request_line()
    for spec in required:
        metric = exposition.families.get(spec.name)
        wanted = f"{spec.name} ({spec.type}{', labels ' + ', '.join(spec.labels) if spec.labels else ', no labels'})"
        if metric is None:
            observed = f"{request} has no family {spec.name}"
        elif metric.type != spec.type:
            observed = f"{request} exposes {spec.name} as a {metric.type}"
        elif bad := _labels_of(metric, spec) - {frozenset(spec.labels)}:
            shown = " and ".join("{" + ", ".join(sorted(b)) + "}" for b in sorted(bad, key=sorted))
            observed = f"{request} exposes {spec.name} with labels {shown}"
        else:
            continue
        yield _finding(
            ctx,
            "METRICS-REQUIRED",
            observed=observed,
            expected=wanted,
            hint="Declare the family at startup with exactly the fleet file's name, type and labels.",
        )


def _owner(name: str, specs: Iterable[MetricFamilySpec]) -> MetricFamilySpec | None:
    """The declared family a parsed family belongs to; the text format prints ``<family>_created`` apart."""
    by_name = {spec.name: spec for spec in specs}
    base = name.removesuffix("_created")
    return by_name.get(name) or (by_name.get(f"{base}_total") or by_name.get(base) if base != name else None)


def _series_count(metric: Metric) -> int:
    return len({frozenset((k, v) for k, v in s.labels.items() if k not in ("le", "quantile")) for s in metric.samples})


@CHECKS.register(
    "METRICS-SERIES-BUDGET",
    area=AREA,
    needs="metrics",
    claim="no family has more series than its budget (the family's own or the default)",
)
def check_series_budget(ctx: CheckContext, snapshot: MetricsSnapshot) -> Iterator[Finding | Judged]:
    exposition = _exposition(ctx, "METRICS-SERIES-BUDGET", snapshot.text)
    if isinstance(exposition, Finding):
        yield exposition
        return
    yield Judged(len(exposition.families), "families")
    specs = ctx.fleet.required_metrics(ctx.service)
    for name, metric in exposition.families.items():
        owner = _owner(name, specs)
        budget = owner.series_budget if owner and owner.series_budget else ctx.settings.series_budget
        if (count := _series_count(metric)) > budget:
            yield _finding(
                ctx,
                "METRICS-SERIES-BUDGET",
                observed=f"{snapshot.text.request_line()} family {name} has {count} series",
                expected=f"at most {budget} series",
                hint="Bound the label values (templates, enums, no ids); unbounded labels exhaust Prometheus memory.",
            )


def _redact(value: str) -> str:
    return value[:3] + "…" if len(value) > 3 else "…"


def _pii_kind(value: str, uuid_allowed: bool, kinds: tuple[str, ...]) -> str | None:
    if "uuid" in kinds and not uuid_allowed and _UUID.search(value):
        return "a uuid (an id of a person, tenant or record)"
    # Digits inside a uuid are not a phone number or a TIN: about 1 uuid in 280 has a last group of 12 decimal
    # digits, which read as a 12-digit NID and failed a CI run on audit's tenant_id label.
    rest = _UUID.sub(" ", value)
    for name in kinds:
        if name in PII_PATTERNS and PII_PATTERNS[name][1].search(rest):
            return PII_PATTERNS[name][0]
    return None


@CHECKS.register(
    "METRICS-NO-PII",
    area=AREA,
    needs="metrics",
    claim="no label value holds personal data of the kinds the fleet file names (email, uuid outside families "
    "declared with a tenant label; Bangladeshi mobile numbers, TIN/NID for the reference fleet)",
)
def check_no_pii(ctx: CheckContext, snapshot: MetricsSnapshot) -> Iterator[Finding | Judged]:
    exposition = _exposition(ctx, "METRICS-NO-PII", snapshot.text)
    if isinstance(exposition, Finding):
        yield exposition
        return
    specs = ctx.fleet.required_metrics(ctx.service)
    reported: set[tuple[str, str, str]] = set()
    labelled = 0
    for name, metric in exposition.families.items():
        owner = _owner(name, specs)
        for sample in metric.samples:
            labelled += bool(sample.labels)
            for label, value in sample.labels.items():
                kind = _pii_kind(value, bool(owner and owner.tenant_label), ctx.fleet.pii)
                if kind and (name, label, kind) not in reported:
                    reported.add((name, label, kind))
                    yield _finding(
                        ctx,
                        "METRICS-NO-PII",
                        observed=f"{snapshot.text.request_line()} family {name} label {label} holds {kind} "
                        f"({_redact(value)})",
                        expected="label values without personal data or ids",
                        hint="Label with bounded categories (route templates, outcomes); put ids in logs "
                        "or traces, never in metrics.",
                    )
    if not labelled:
        raise NotApplicable(f"{snapshot.text.request_line()} has no labelled sample to judge")
    yield Judged(labelled, "labelled samples")


# --- counters move with traffic ----------------------------------------------------------------------------------


def _answered(sent: Iterable[HttpExchange]) -> list[HttpExchange]:
    # a request that got no response never reached the service's middleware, so it cannot be counted
    return [e for e in sent if not e.error and e.status]


def _request_counter(ctx: CheckContext) -> str:
    family = ctx.fleet.http_metrics_of(ctx.service).requests
    if family is None:
        raise NotApplicable("the fleet file declares no HTTP request counter (http_metrics.requests)")
    return family


def _by_status(ctx: CheckContext, exposition: Exposition, excluded: tuple[str, ...]) -> dict[str, float]:
    family, conventions = _request_counter(ctx), ctx.fleet.http_metrics_of(ctx.service)
    counts: dict[str, float] = {}
    for sample in exposition.samples(family, family):
        if sample.labels.get(conventions.route_label) not in excluded:
            code = sample.labels.get(conventions.status_label, "?")
            counts[code] = counts.get(code, 0.0) + sample.value
    return counts


def _both(
    ctx: CheckContext, check_id: str, before: HttpExchange, after: HttpExchange
) -> tuple[Exposition, Exposition] | list[Finding]:
    first, second = _exposition(ctx, check_id, before), _exposition(ctx, check_id, after)
    if isinstance(first, Finding) or isinstance(second, Finding):
        return [f for f in (first, second) if isinstance(f, Finding)]
    return first, second


@CHECKS.register(
    "METRICS-COUNTERS-MOVE",
    area=AREA,
    needs="traffic",
    claim="the HTTP request counter moves by exactly the requests sent, per status code (scrapes excluded)",
)
def check_counters_move(ctx: CheckContext, traffic: TrafficObservation) -> Iterator[Finding | Judged]:
    family = _request_counter(ctx)
    parsed = _both(ctx, "METRICS-COUNTERS-MOVE", traffic.before, traffic.after)
    if isinstance(parsed, list):
        yield from parsed
        return
    before, after = parsed
    if family not in before.families and family not in after.families:
        raise NotApplicable(f"{traffic.after.request_line()} has no {family} family (METRICS-REQUIRED judges that)")
    answered = _answered(traffic.sent)
    if not answered:
        raise NotApplicable("no request of the known traffic got an answer to count")
    yield Judged(len(answered), "requests sent")
    excluded = (ctx.service.metrics_path, traffic.after.path)
    was, now = _by_status(ctx, before, excluded), _by_status(ctx, after, excluded)
    expected = Counter(str(e.status) for e in answered)
    moved = {code: now.get(code, 0.0) - was.get(code, 0.0) for code in set(now) | set(was) | set(expected)}
    wrong = sorted(c for c in moved if abs(moved[c] - expected[c]) > 1e-9)
    if wrong:
        label = ctx.fleet.http_metrics_of(ctx.service).status_label
        shown = ", ".join(f"{label} {c}: moved {moved[c]:g}, sent {expected[c]}" for c in wrong)
        yield _finding(
            ctx,
            "METRICS-COUNTERS-MOVE",
            observed=f"{traffic.after.request_line()}: {family} moved by {sum(moved.values()):g} after "
            f"{sum(expected.values())} answered requests ({shown})",
            expected=f"a move of exactly {sum(expected.values())} (one per request, by status code), "
            f"{ctx.service.metrics_path} excluded",
            hint="Count every request once, in middleware, after the response status is known.",
        )


def _ids(paths: Iterable[str], templates: Iterable[str]) -> set[str]:
    patterns = [re.compile("^" + re.escape(t).replace(re.escape("{id}"), "([^/]+)") + "$") for t in templates]
    found = set()
    for path in paths:
        match = next((m for p in patterns if (m := p.match(path.split("?")[0]))), None)
        found.add(match.group(1) if match else path.rstrip("/").rsplit("/", 1)[-1])
    return found


def _routes(exposition: Exposition, label: str) -> set[str]:
    return {s.labels[label] for m in exposition.families.values() for s in m.samples if label in s.labels}


@CHECKS.register(
    "METRICS-ROUTE-TEMPLATES",
    area=AREA,
    needs="traffic",
    claim="route labels are templates: no id from a request path appears, and cardinality does not grow with ids",
)
def check_route_templates(ctx: CheckContext, traffic: TrafficObservation) -> Iterator[Finding | Judged]:
    if not traffic.id_paths:
        raise NotApplicable(f"the fleet file declares no id route of {ctx.service.name} (id_routes) to request")
    _request_counter(ctx)
    parsed = _both(ctx, "METRICS-ROUTE-TEMPLATES", traffic.before, traffic.after)
    if isinstance(parsed, list):
        yield from parsed
        return
    before, after = parsed
    label = ctx.fleet.http_metrics_of(ctx.service).route_label
    yield Judged(len(traffic.id_paths), "requests with ids")
    routes = [ctx.service.route(r) for r in ctx.service.id_routes]
    ids = _ids(traffic.id_paths, routes)
    routes_after = _routes(after, label)
    raw = sorted(r for r in routes_after if any(i in r.split("/") for i in ids))
    # New values from the id requests only: the health requests and the before-scrape may add their own route
    # value the first time they are counted (with `--area metrics` alone nothing requested /health before).
    others = {e.path for e in traffic.sent if e.path not in traffic.id_paths} | {traffic.before.path}
    grew = len(routes_after - _routes(before, label) - others)
    hint = "Label with the matched route template (/customers/{customer_id}), never request.url.path."
    if raw:
        yield _finding(
            ctx,
            "METRICS-ROUTE-TEMPLATES",
            observed=f"{label} labels hold raw paths: {', '.join(raw[:3])}" + (" …" if len(raw) > 3 else ""),
            expected="route templates such as /customers/{customer_id}",
            hint=hint,
        )
    elif ids and grew > len(routes):
        yield _finding(
            ctx,
            "METRICS-ROUTE-TEMPLATES",
            observed=f"{len(traffic.id_paths)} requests with distinct ids added {grew} {label} label values",
            expected="at most one new route value per template",
            hint=hint,
        )


@CHECKS.register(
    "METRICS-MISSING-ID-NOT-FOUND",
    area=AREA,
    needs="traffic",
    claim="with a tenant's token, an id route requested for an id that does not exist answers 404 (the traffic the "
    "route counters are judged on reaches the handler, and its error path is not a 500)",
)
def check_missing_id_404(ctx: CheckContext, traffic: TrafficObservation) -> Iterator[Finding | Judged]:
    if not traffic.id_paths:
        raise NotApplicable(f"the fleet file declares no id route of {ctx.service.name} (id_routes) to request")
    if not traffic.authorized:
        raise NotApplicable("the id routes were requested without a tenant token (the target gives none)")
    by_path = {e.path: e for e in traffic.sent}
    answered = [by_path[p] for p in traffic.id_paths if p in by_path and not by_path[p].error]
    if not answered:
        raise NotApplicable("no id request got an answer (METRICS-COUNTERS-MOVE reports the transport errors)")
    yield Judged(len(answered), "id requests with a tenant token")
    for read in answered:
        if read.status != 404:
            yield _finding(
                ctx,
                "METRICS-MISSING-ID-NOT-FOUND",
                observed=f"{read.request_line()} answered {read.status} for an id that does not exist, with a valid "
                "tenant token",
                expected="404 (SPEC.md: a resource that is not the caller's, or does not exist, is a 404)",
                hint="Look the id up in the caller's tenant and answer 404 when there is no row; never let a missing "
                "row reach code that assumes one (a 500), nor answer 403 for it (an existence oracle).",
                exchange=read,
            )


#: how much longer than the client saw the service may say it took: timer granularity and rounding, not real time
_DURATION_SLACK_S = 0.05


@CHECKS.register(
    "METRICS-DURATION-PLAUSIBLE",
    area=AREA,
    needs="traffic",
    claim="the request duration histogram times every request of the known traffic once, and no longer than the "
    "client waited for its answer",
)
def check_duration_plausible(ctx: CheckContext, traffic: TrafficObservation) -> Iterator[Finding | Judged]:
    conventions = ctx.fleet.http_metrics_of(ctx.service)
    family = conventions.duration
    if family is None:
        raise NotApplicable("the fleet file declares no request duration histogram (http_metrics.duration)")
    parsed = _both(ctx, "METRICS-DURATION-PLAUSIBLE", traffic.before, traffic.after)
    if isinstance(parsed, list):
        yield from parsed
        return
    before, after = parsed
    if family not in after.families:
        raise NotApplicable(
            f"{traffic.after.request_line()} has no {family} family; declare http_metrics.duration (or null)"
        )
    answered = _answered(traffic.sent)
    if not answered:
        raise NotApplicable("no request of the known traffic got an answer to time")
    yield Judged(len(answered), "timed requests")
    excluded = {ctx.service.metrics_path, traffic.after.path}

    def moved(sample: str) -> float:
        def total(exposition: Exposition) -> float:
            return sum(s.value for s in exposition.samples(family, family + sample)
                       if s.labels.get(conventions.route_label) not in excluded)  # fmt: skip

        return total(after) - total(before)

    count, seconds = moved("_count"), moved("_sum")
    waited = sum(e.elapsed_s for e in answered)
    bound = waited + _DURATION_SLACK_S * len(answered)
    line = f"{traffic.after.request_line()}: {family}"
    if abs(count - len(answered)) > 1e-9:
        yield _finding(
            ctx,
            "METRICS-DURATION-PLAUSIBLE",
            observed=f"{line}_count moved by {count:g} after {len(answered)} answered requests",
            expected=f"a move of exactly {len(answered)}: every request timed once ({ctx.service.metrics_path} "
            "excluded)",
            hint="Observe the duration once per request, in the same middleware that counts it.",
        )
    elif not 0.0 <= seconds <= bound:
        yield _finding(
            ctx,
            "METRICS-DURATION-PLAUSIBLE",
            observed=f"{line}_sum moved by {seconds:.3f} s for {len(answered)} requests the client waited "
            f"{waited:.3f} s for in all",
            expected=f"between 0 and {bound:.3f} s: the service cannot take longer than its caller waited",
            hint="Observe time.perf_counter() - started (a monotonic clock, the end minus the start) in seconds; "
            "not a clock reading, a sum of both ends, nor milliseconds in a _seconds family.",
        )


@CHECKS.register(
    "METRICS-BUSINESS-MOVES",
    area=AREA,
    needs="operation",
    claim="each declared business operation moves its counters by exactly the declared delta",
)
def check_business_moves(ctx: CheckContext, op: OperationObservation) -> Iterator[Finding | Judged]:
    spec = next((o for o in ctx.service.operations if o.name == op.operation), None)
    if spec is None:
        known = ", ".join(o.name for o in ctx.service.operations) or "none"
        raise NotApplicable(f"operation {op.operation!r} is not declared for {ctx.service.name} (declared: {known})")
    if op.refused:
        # the operation did not happen as declared, so its counters say nothing: not a finding of this check
        raise NotApplicable(f"operation {spec.name} did not happen as declared: {'; '.join(op.refused)}")
    parsed = _both(ctx, "METRICS-BUSINESS-MOVES", op.before, op.after)
    if isinstance(parsed, list):
        yield from parsed
        return
    before, after = parsed
    yield Judged(len(spec.moves), "counter moves")
    for move in spec.moves:
        delta = after.total(move.family, move.labels) - before.total(move.family, move.labels)
        if abs(delta - move.delta) > 1e-9:
            selector = "{" + ", ".join(f'{k}="{v}"' for k, v in move.labels.items()) + "}" if move.labels else ""
            yield _finding(
                ctx,
                "METRICS-BUSINESS-MOVES",
                observed=f"{move.family}{selector} moved by {delta:g} during {spec.name}",
                expected=f"a move of exactly {move.delta:g}",
                hint="Increment the counter once where the operation completes, with the declared labels.",
            )
