"""Seed one row into every table of a migrated schema, generically, from its catalog; and re-read it later.

Values come from the column types (and the first literal of a CHECK (... IN (...)) on the column); foreign keys point
at the row seeded in the referenced table, so tables are seeded parents first. Columns with a server default keep it.
Every insert runs in its own savepoint as the owner with the tenancy setting (``app.tenant_id``) set to the seed
tenant, so a forced RLS policy admits it and one table that cannot be seeded does not stop the others.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from psycopg import sql

if TYPE_CHECKING:
    import psycopg

    from fleetcheck.contracts.catalog import CatalogSnapshot, Column

__all__ = ["SeededRow", "read_back", "seed_tables"]

_NUMBERS = ("integer", "bigint", "smallint", "numeric", "double precision", "real")
_TEXTS = ("text", "character varying", "character", "citext")
_LENGTH = re.compile(r"\((\d+)\)")
_LITERAL = re.compile(r"'((?:[^']|'')*)'")


@dataclass(frozen=True, slots=True)
class SeededRow:
    """A seeded row: its table, its primary key values and the row as ``to_jsonb`` returned it."""

    table: str
    key: dict[str, Any]
    row: dict[str, Any]


def _ident(table: str) -> sql.Composable:
    return sql.Identifier(*table.split(".", 1))


def _text_value(column: Column) -> str:
    size = _LENGTH.search(column.type)
    value = f"fc{uuid.uuid4().hex}"
    return value[: int(size.group(1))] if size else value


def _check_literal(catalog: CatalogSnapshot, column: Column) -> str | None:
    for check in catalog.constraints_of(column.table, "check"):
        if column.name in check.columns and (found := _LITERAL.search(check.definition)):
            return found.group(1).replace("''", "'")
    return None


def _value(catalog: CatalogSnapshot, column: Column, tenant: str, parents: dict[str, Any]) -> tuple[bool, Any]:
    """``(known, value)`` for one column; ``known`` is False when no value can be made for its type."""
    enum = next((e for e in catalog.enums if e.name == column.type), None)
    literal = _check_literal(catalog, column)
    kind = column.type.split("(")[0]
    if column.name in parents:
        return True, parents[column.name]
    in_check = any(column.name in c.columns for c in catalog.constraints_of(column.table, "check"))
    if in_check and not column.not_null and literal is None:
        return True, None  # a NULL never makes a CHECK false; a made-up value may (effective_to < effective_from)
    if enum is not None:
        return True, enum.labels[0] if enum.labels else None
    if literal is not None and kind in _TEXTS:
        return True, literal
    if column.type == "uuid":
        return True, tenant if column.name == "tenant_id" else str(uuid.uuid4())
    values: dict[str, Any] = {
        "boolean": True,
        "jsonb": "{}",
        "json": "{}",
        "date": "2025-07-01",
        "timestamp with time zone": "2025-07-01 10:00:00+06",
        "timestamp without time zone": "2025-07-01 10:00:00",
        "interval": "1 hour",
        "bytea": b"\x00",
    }
    if kind in _NUMBERS:
        return True, 1
    if kind in _TEXTS:
        return True, _text_value(column)
    if column.type in values:
        return True, values[column.type]
    if column.type.endswith("[]"):
        return True, "{}"
    return False, None


def _parents(catalog: CatalogSnapshot, table: str, seeded: dict[str, SeededRow]) -> dict[str, Any]:
    """FK column -> the referenced row's key, for single-column foreign keys to tables already seeded."""
    found: dict[str, Any] = {}
    for fk in catalog.constraints_of(table, "foreign key"):
        target = (fk.referenced_table or "").removeprefix("public.")
        parent = seeded.get(target)
        if len(fk.columns) == 1 and parent is not None and len(parent.key) == 1:
            found[fk.columns[0]] = next(iter(parent.key.values()))
        elif len(fk.columns) == 1:
            found[fk.columns[0]] = None  # self-reference or unseeded parent: NULL if the column allows it
    return found


def _order(catalog: CatalogSnapshot) -> list[str]:
    """Tables, parents before children (cycles broken in catalog order)."""
    pending = [t.name for t in catalog.tables]
    needs = {
        t: {(fk.referenced_table or "").removeprefix("public.") for fk in catalog.constraints_of(t, "foreign key")}
        - {t}
        for t in pending
    }
    order: list[str] = []
    while pending:
        ready = [t for t in pending if not (needs[t] & set(pending))] or pending[:1]
        order.extend(ready)
        pending = [t for t in pending if t not in ready]
    return order


def _insert(
    conn: psycopg.Connection[Any], catalog: CatalogSnapshot, table: str, tenant: str, seeded: dict[str, SeededRow]
) -> SeededRow:
    parents = _parents(catalog, table, seeded)
    names: list[str] = []
    values: list[Any] = []
    for column in catalog.columns_of(table).values():
        if column.default is not None and column.name not in parents:
            continue
        known, value = _value(catalog, column, tenant, parents)
        if not known and column.not_null:
            raise ValueError(f"no value can be generated for {table}.{column.name} of type {column.type}")
        if known and value is not None:
            names.append(column.name)
            values.append(sql.SQL("{}::{}").format(sql.Literal(value), sql.SQL(column.type)))
    query = sql.SQL("INSERT INTO {t} DEFAULT VALUES RETURNING to_jsonb({t}.*)").format(t=_ident(table))
    if names:
        query = sql.SQL("INSERT INTO {t} ({cols}) VALUES ({vals}) RETURNING to_jsonb({t}.*)").format(
            t=_ident(table), cols=sql.SQL(", ").join(map(sql.Identifier, names)), vals=sql.SQL(", ").join(values)
        )
    result = conn.execute(query).fetchone()
    row: dict[str, Any] = result[0] if result else {}
    keys = catalog.constraints_of(table, "primary key")
    key = {c: row[c] for c in keys[0].columns} if keys else dict(row)
    return SeededRow(table, key, row)


def seed_tables(
    conn: psycopg.Connection[Any],
    catalog: CatalogSnapshot,
    tenant: str,
    tables: list[str] | None = None,
    *,
    setting: str = "app.tenant_id",
) -> tuple[dict[str, SeededRow], dict[str, str]]:
    """Insert one row per table (``tables`` or all), in one transaction, with the tenancy ``setting`` set to
    ``tenant``; returns ``(rows, errors by table)``."""
    wanted = set(tables) if tables is not None else None
    seeded: dict[str, SeededRow] = {}
    errors: dict[str, str] = {}
    with conn.transaction():
        conn.execute("SELECT set_config(%s, %s, true)", [setting, tenant])
        for table in _order(catalog):
            if wanted is not None and table not in wanted:
                continue
            try:
                with conn.transaction():
                    seeded[table] = _insert(conn, catalog, table, tenant, seeded)
            except Exception as exc:  # one table that cannot be seeded must not stop the others
                errors[table] = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return seeded, errors


def read_back(
    conn: psycopg.Connection[Any], seeded: SeededRow, tenant: str, *, setting: str = "app.tenant_id"
) -> dict[str, Any] | None:
    """The seeded row as it is now (``to_jsonb``), or ``None`` if it is gone; raises if the table is gone."""
    where = sql.SQL(" AND ").join(
        sql.SQL("{}::text = {}").format(sql.Identifier(k), sql.Literal(str(v))) for k, v in seeded.key.items()
    )
    with conn.transaction():
        conn.execute("SELECT set_config(%s, %s, true)", [setting, tenant])
        query = sql.SQL("SELECT to_jsonb({t}.*) FROM {t} WHERE {w}").format(t=_ident(seeded.table), w=where)
        found = conn.execute(query).fetchone()
    return found[0] if found else None
