"""Timing and the table every benchmark prints: min/median/max over runs, beside a baseline measured in the same run.

Measuring the baseline in the same run (rather than reading numbers saved on another day) keeps the comparison
honest on a shared, noisy machine: both sides see the same load.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = ["Row", "print_table", "timed"]


@dataclass
class Row:
    """One measured item (seconds per run) and, optionally, its baseline (seconds per run)."""

    name: str
    runs: list[float] = field(default_factory=list)
    baseline_name: str = ""
    baseline: list[float] = field(default_factory=list)
    unit: str = "s"

    def cells(self) -> list[str]:
        cells = [self.name, str(len(self.runs)), *(_fmt(v, self.unit) for v in _stats(self.runs))]
        if self.baseline:
            ratio = statistics.median(self.runs) / statistics.median(self.baseline)
            cells += [self.baseline_name, _fmt(statistics.median(self.baseline), self.unit), f"{ratio:.2f}x"]
        else:
            cells += ["", "", ""]
        return cells


def timed(action: Callable[[], object]) -> float:
    """Seconds ``action`` took (wall clock, perf_counter)."""
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def print_table(title: str, rows: Sequence[Row], console: Console | None = None) -> None:
    table = Table(title=title)
    for column in ("measured", "runs", "min", "median", "max", "baseline (same run)", "baseline median", "ratio"):
        table.add_column(column, justify="left" if column in {"measured", "baseline (same run)"} else "right")
    for row in rows:
        table.add_row(*row.cells())
    (console or Console(width=max(Console().width, 140))).print(table)  # never squeezed into a pipe's 80 columns


def _stats(values: list[float]) -> tuple[float, float, float]:
    return min(values), statistics.median(values), max(values)


def _fmt(value: float, unit: str) -> str:
    return f"{value:.3f} {unit}" if unit == "s" else f"{value:,.1f} {unit}"
