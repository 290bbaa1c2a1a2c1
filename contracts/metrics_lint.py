"""A promtool-equivalent lint of the Prometheus text exposition format.

Mirrors the rules (and the wording) of ``promtool check metrics`` (client_golang's ``promlint``, as shipped with
Prometheus 2.42): help text, ``_total`` on counters only, base units, no abbreviated units, snake_case metric and
label names, no type in the name, no ``:``, histogram/summary reserved suffixes and labels. Two rules promtool does
not have are added and marked ``promtool=False``: a histogram's ``+Inf`` bucket equals its ``_count``, and buckets
are cumulative.

The lint reads the text itself rather than through ``prometheus_client``'s parser, because that parser renames
counter families (it strips and re-adds ``_total``) and so hides exactly what promtool judges: the name as printed.

Example:
    >>> [p.line() for p in lint_exposition("# TYPE jobs counter\\njobs 1\\n")]
    ['jobs counter metrics should have "_total" suffix', 'jobs no help text']
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field

__all__ = ["ExpositionSyntaxError", "LintProblem", "lint_exposition", "read_families"]

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_SAMPLE = re.compile(rf"^({_NAME})\s*(?:\{{(.*)\}})?\s+(\S+)(?:\s+(-?\d+))?\s*$")
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)')
_CAMEL = re.compile(r"[a-z][A-Z]")

# client_golang promlint: units and their base unit (a name part equal to a key, optionally after a prefix).
_UNITS = {
    "amperes": "amperes", "bytes": "bytes", "celsius": "celsius", "grams": "grams", "joules": "joules",
    "kelvin": "kelvin", "meters": "meters", "metres": "metres", "seconds": "seconds", "volts": "volts",
    "minutes": "seconds", "hours": "seconds", "days": "seconds", "weeks": "seconds",
    "kelvins": "kelvin", "fahrenheit": "celsius", "rankine": "celsius",
    "inches": "meters", "yards": "meters", "miles": "meters",
    "bits": "bytes", "calories": "joules", "pounds": "grams", "ounces": "grams",
}  # fmt: skip
_UNIT_PREFIXES = (
    "pico",
    "nano",
    "micro",
    "milli",
    "centi",
    "deci",
    "deca",
    "hecto",
    "kilo",
    "kibi",
    "mega",
    "mibi",
    "giga",
    "gibi",
    "tera",
    "tebi",
    "peta",
    "pebi",
)
_UNIT_ABBREVIATIONS = ("s", "ms", "us", "ns", "sec", "b", "kb", "mb", "gb", "tb", "pb", "m", "h", "d")
_TYPES_IN_NAME = ("counter", "gauge", "summary", "histogram", "gauge_histogram")


class ExpositionSyntaxError(ValueError):
    """The text is not in the exposition format; the message names the line, like promtool does."""


@dataclass(slots=True)
class _Family:
    name: str
    type: str = "untyped"
    help: str | None = None
    samples: list[tuple[str, dict[str, str], float]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class LintProblem:
    """One lint problem of one family. ``text`` is promtool's wording; ``promtool`` says whether promtool has it."""

    family: str
    rule: str
    text: str
    promtool: bool = True

    def line(self) -> str:
        """The problem as ``promtool check metrics`` prints it."""
        return f"{self.family} {self.text}"


def read_families(text: str) -> dict[str, _Family]:
    """Group a text exposition into families by their printed names, as the Go text parser does.

    Raises:
        ExpositionSyntaxError: a line that is neither a comment nor a sample, or a repeated HELP/TYPE line.
    """
    families: dict[str, _Family] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if line.startswith("#"):
            _read_comment(line, number, families)
        else:
            _read_sample(line, number, families)
    return families


def _read_comment(line: str, number: int, families: dict[str, _Family]) -> None:
    parts = line[1:].strip().split(None, 2)
    if len(parts) < 2 or parts[0] not in ("HELP", "TYPE"):
        return  # an ordinary comment
    family = families.setdefault(parts[1], _Family(parts[1]))
    value = parts[2] if len(parts) > 2 else ""
    if parts[0] == "HELP":
        if family.help is not None:
            raise ExpositionSyntaxError(f"line {number}: second HELP line for metric name {parts[1]!r}")
        family.help = value
    else:
        if family.type != "untyped" or family.samples:
            raise ExpositionSyntaxError(f"line {number}: second TYPE line (or TYPE after samples) for {parts[1]!r}")
        family.type = value.strip().lower()


def _read_sample(line: str, number: int, families: dict[str, _Family]) -> None:
    match = _SAMPLE.match(line)
    if match is None:
        raise ExpositionSyntaxError(f"line {number}: not a sample line: {line[:80]!r}")
    name, label_text, value_text = match.group(1), match.group(2) or "", match.group(3)
    labels = _parse_labels(label_text, number)
    try:
        value = float(value_text)
    except ValueError:
        raise ExpositionSyntaxError(f"line {number}: value {value_text!r} is not a number") from None
    families.setdefault(_family_of(name, families), _Family(name)).samples.append((name, labels, value))


def _parse_labels(text: str, number: int) -> dict[str, str]:
    labels: dict[str, str] = {}
    position = 0
    while position < len(text.rstrip()):
        match = _LABEL.match(text, position)
        if match is None:
            raise ExpositionSyntaxError(f"line {number}: cannot read labels at {text[position : position + 40]!r}")
        labels[match.group(1)] = match.group(2)
        position = match.end()
    return labels


def _family_of(sample_name: str, families: dict[str, _Family]) -> str:
    for suffix, types in (
        ("_bucket", ("histogram",)),
        ("_sum", ("histogram", "summary")),
        ("_count", ("histogram", "summary")),
    ):
        base = sample_name.removesuffix(suffix)
        if base != sample_name and base in families and families[base].type in types:
            return base
    return sample_name


def lint_exposition(text: str) -> list[LintProblem]:
    """Every lint problem of a text exposition, sorted by family then text, each (family, text) once.

    Raises:
        ExpositionSyntaxError: the text cannot be read (METRICS-PARSE reports why).
    """
    problems: set[LintProblem] = set()
    for family in read_families(text).values():
        if not family.samples:
            continue  # the Go text parser drops families without samples, so promtool never judges them
        for rule in _RULES:
            problems.update(rule(family))
    return sorted(problems, key=lambda p: (p.family, p.text))


def _help(f: _Family) -> list[LintProblem]:
    return [] if f.help is not None else [LintProblem(f.name, "help", "no help text")]


def _units(f: _Family) -> list[LintProblem]:
    for part in f.name.split("_"):
        for prefix in ("", *_UNIT_PREFIXES):
            if part.startswith(prefix) and (base := _UNITS.get(part[len(prefix) :])) is not None:
                if part == base:
                    break  # already a base unit
                return [LintProblem(f.name, "base-units", f'use base unit "{base}" instead of "{part}"')]
    return []


def _counter(f: _Family) -> list[LintProblem]:
    total = f.name.endswith("_total")
    if f.type == "counter" and not total:
        return [LintProblem(f.name, "counter-total", 'counter metrics should have "_total" suffix')]
    if f.type not in ("counter", "untyped") and total:
        return [LintProblem(f.name, "counter-total", 'non-counter metrics should not have "_total" suffix')]
    return []


def _reserved(f: _Family) -> list[LintProblem]:
    if f.type == "untyped":
        return []
    histogram, summary = f.type == "histogram", f.type == "summary"
    found = []
    if not histogram and f.name.endswith("_bucket"):
        found.append('non-histogram metrics should not have "_bucket" suffix')
    if not (histogram or summary) and f.name.endswith("_count"):
        found.append('non-histogram and non-summary metrics should not have "_count" suffix')
    if not (histogram or summary) and f.name.endswith("_sum"):
        found.append('non-histogram and non-summary metrics should not have "_sum" suffix')
    label_names = {name for _, labels, _ in f.samples for name in labels}
    if not histogram and "le" in label_names:
        found.append('non-histogram metrics should not have "le" label')
    if not summary and "quantile" in label_names:
        found.append('non-summary metrics should not have "quantile" label')
    return [LintProblem(f.name, "reserved", text) for text in found]


def _type_in_name(f: _Family) -> list[LintProblem]:
    name = f.name.lower()
    return [
        LintProblem(f.name, "type-in-name", f"metric name should not include type '{t}'")
        for t in _TYPES_IN_NAME
        if f"_{t}_" in name or name.endswith(f"_{t}")
    ]


def _naming(f: _Family) -> list[LintProblem]:
    found = []
    if ":" in f.name:
        found.append(LintProblem(f.name, "reserved-chars", "metric names should not contain ':'"))
    if _CAMEL.search(f.name):
        found.append(
            LintProblem(f.name, "snake-case", "metric names should be written in 'snake_case' not 'camelCase'")
        )
    if any(_CAMEL.search(label) for _, labels, _ in f.samples for label in labels):
        found.append(LintProblem(f.name, "snake-case", "label names should be written in 'snake_case' not 'camelCase'"))
    name = f.name.lower()
    if any(f"_{a}_" in name or name.endswith(f"_{a}") for a in _UNIT_ABBREVIATIONS):
        found.append(LintProblem(f.name, "unit-abbreviations", "metric names should not contain abbreviated units"))
    return found


@dataclass(slots=True)
class _HistogramSeries:
    buckets: list[tuple[float, float]] = field(default_factory=list)
    count: float | None = None


def _histogram_buckets(f: _Family) -> list[LintProblem]:
    """Not in promtool 2.42: ``+Inf`` equals ``_count`` and buckets never decrease, per label set."""
    if f.type != "histogram":
        return []
    series: dict[tuple[tuple[str, str], ...], _HistogramSeries] = {}
    for name, labels, value in f.samples:
        entry = series.setdefault(tuple(sorted((k, v) for k, v in labels.items() if k != "le")), _HistogramSeries())
        if name.endswith("_bucket") and "le" in labels:
            entry.buckets.append((float(labels["le"]), value))
        elif name.endswith("_count"):
            entry.count = value
    found: set[str] = set()
    for entry in series.values():
        buckets = sorted(entry.buckets)
        inf = [v for le, v in buckets if math.isinf(le)]
        if not inf:
            found.add('histogram has no "+Inf" bucket')
        elif entry.count is not None and inf[0] != entry.count:
            found.add(f'histogram "+Inf" bucket ({inf[0]:g}) differs from "_count" ({entry.count:g})')
        if any(later < earlier for (_, earlier), (_, later) in itertools.pairwise(buckets)):
            found.add("histogram buckets are not cumulative (a bucket is smaller than the one below it)")
    return [LintProblem(f.name, "histogram-buckets", text, promtool=False) for text in found]


_RULES = (_help, _units, _counter, _reserved, _type_in_name, _naming, _histogram_buckets)
