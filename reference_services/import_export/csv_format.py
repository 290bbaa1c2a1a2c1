"""The CSV shape of each entity: its columns (master-data's fields), reading an upload and writing an export.

Text is UTF-8 (a leading BOM, as spreadsheets write it, is accepted) and passes through unchanged, Bengali included.
An empty cell means "not given". Row numbers count the header as row 1, as a spreadsheet shows them.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

__all__ = ["ENTITIES", "MAX_ROWS", "CsvEntity", "CsvInvalid", "CsvRow", "read_rows", "write_rows"]

MAX_ROWS = 5_000


class CsvInvalid(ValueError):
    """The file as a whole cannot be imported (not UTF-8, no header, unknown columns): nothing is imported."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class CsvEntity:
    entity_type: str  # singular: metric label, job column
    collection: str  # master-data's path and this service's path segment
    columns: tuple[str, ...]
    required: tuple[str, ...]


ENTITIES = {
    e.collection: e
    for e in (
        CsvEntity("customer", "customers", ("code", "name", "name_bn", "email", "phone", "tin", "nid", "address"),
                  ("code", "name")),
        CsvEntity("vendor", "vendors", ("code", "name", "tin", "bin", "email", "phone", "address"), ("code", "name")),
        CsvEntity("product", "products", ("sku", "name", "category", "unit_of_measure", "vat_rate", "hs_code"),
                  ("sku", "name")),
    )
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class CsvRow:
    number: int
    values: dict[str, str]
    problem: str | None = None  # a row that cannot be sent at all (more cells than the header has columns)


def read_rows(entity: CsvEntity, body: bytes) -> list[CsvRow]:
    """The data rows; empty cells are left out of ``values``."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvInvalid("body", "expected a UTF-8 CSV file; the body is not valid UTF-8") from None
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as error:
        raise CsvInvalid("body", f"the body is not valid CSV: {error}") from None
    if not records or not any(cell.strip() for cell in records[0]):
        raise CsvInvalid("header", f"expected a header row naming columns of {', '.join(entity.columns)}")
    header = [cell.strip() for cell in records[0]]
    _check_header(entity, header)
    if len(records) - 1 > MAX_ROWS:
        raise CsvInvalid("body", f"at most {MAX_ROWS} data rows per import; got {len(records) - 1}")
    rows = []
    for number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue  # blank lines (a trailing newline) are not rows
        values = {name: cell for name, cell in zip(header, record, strict=False) if cell.strip()}
        problem = None
        if len(record) > len(header):
            problem = f"the row has {len(record)} cells; the header has {len(header)} columns"
        rows.append(CsvRow(number, values, problem))
    return rows


def _check_header(entity: CsvEntity, header: list[str]) -> None:
    unknown = [name for name in header if name not in entity.columns]
    if unknown:
        raise CsvInvalid(
            "header",
            f"unknown column(s) {', '.join(unknown)}; a {entity.entity_type} CSV has {', '.join(entity.columns)}",
        )
    missing = [name for name in entity.required if name not in header]
    if missing:
        raise CsvInvalid("header", f"missing required column(s) {', '.join(missing)}")
    if len(set(header)) != len(header):
        raise CsvInvalid("header", "each column may appear once in the header")


def write_rows(entity: CsvEntity, rows: list[dict[str, Any]]) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(entity.columns)
    for row in rows:
        writer.writerow(["" if row.get(name) is None else str(row[name]) for name in entity.columns])
    return out.getvalue()
