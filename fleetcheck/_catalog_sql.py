"""Read a database's schema from ``pg_catalog`` into a :class:`fleetcheck.contracts.catalog.CatalogSnapshot` (read
only).

Every query reads catalogs visible to any role (``pg_class``, ``aclexplode(relacl)``, ...), not
``information_schema`` views that hide objects the current role has no privilege on, so a read-only monitoring role
sees the same catalog as the owner.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fleetcheck.contracts.catalog import (
    CatalogSnapshot,
    Column,
    Constraint,
    EnumType,
    Grant,
    Index,
    Policy,
    RuntimeRole,
    Table,
)

if TYPE_CHECKING:
    import psycopg

__all__ = ["read_catalog", "read_runtime_role"]

_USER_SCHEMA = "n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'"
_NAME = "CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END"
_TABLES = f"c.relkind IN ('r', 'p') AND {_USER_SCHEMA} AND NOT (n.nspname = 'public' AND c.relname = 'alembic_version')"
_FROM_TABLES = f"FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {_TABLES}"
# Objects that belong to an extension are the extension's, not the migrations'.
_NOT_EXTENSION = "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = {oid} AND d.deptype = 'e')"

_QUERIES: dict[str, str] = {
    "schemas": f"SELECT n.nspname FROM pg_namespace n WHERE {_USER_SCHEMA} ORDER BY 1",
    "tables": f"""SELECT {_NAME}, pg_get_userbyid(c.relowner), c.relrowsecurity, c.relforcerowsecurity
        {_FROM_TABLES} ORDER BY 1""",
    "columns": f"""SELECT {_NAME}, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
            pg_get_expr(ad.adbin, ad.adrelid)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        LEFT JOIN pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
        WHERE {_TABLES} ORDER BY 1, a.attnum""",
    "indexes": f"""SELECT {_NAME}, ic.relname,
            ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(1, i.indnkeyatts) k ORDER BY k),
            i.indisunique, i.indisprimary, pg_get_expr(i.indpred, i.indrelid), i.indisvalid,
            pg_get_indexdef(i.indexrelid)
        FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {_TABLES} ORDER BY 1, 2""",
    "constraints": f"""SELECT {_NAME}, con.conname,
            CASE con.contype WHEN 'p' THEN 'primary key' WHEN 'u' THEN 'unique' WHEN 'f' THEN 'foreign key'
                 WHEN 'c' THEN 'check' WHEN 'x' THEN 'exclusion' ELSE con.contype::text END,
            ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(num, ord)
                  JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num ORDER BY k.ord),
            CASE WHEN con.confrelid <> 0 THEN con.confrelid::regclass::text END,
            pg_get_constraintdef(con.oid)
        FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {_TABLES} ORDER BY 1, 2""",
    "enums": f"""SELECT format_type(t.oid, NULL),
            ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder)
        FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE t.typtype = 'e' AND {_USER_SCHEMA} ORDER BY 1""",
    "functions": f"""SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE {_USER_SCHEMA} AND {_NOT_EXTENSION.format(oid="p.oid")} ORDER BY 1""",
    "policies": f"""SELECT {_NAME}, pol.polname,
            CASE pol.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                 WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
            pol.polpermissive,
            ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE pg_get_userbyid(r) END FROM unnest(pol.polroles) r),
            pg_get_expr(pol.polqual, pol.polrelid), pg_get_expr(pol.polwithcheck, pol.polrelid)
        FROM pg_policy pol JOIN pg_class c ON c.oid = pol.polrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {_TABLES} ORDER BY 1, 2""",
    "grants": f"""SELECT {_NAME}, CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(g.grantee) END,
            g.privilege_type
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) g
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') AND {_USER_SCHEMA}
          AND NOT (n.nspname = 'public' AND c.relname = 'alembic_version')
          AND g.grantee <> c.relowner ORDER BY 1, 2, 3""",
    "extensions": "SELECT extname || ' ' || extversion FROM pg_extension ORDER BY 1",
    "sequences": f"""SELECT {_NAME} FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'S' AND {_USER_SCHEMA} ORDER BY 1""",
    "triggers": f"""SELECT {_NAME} || '.' || t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT t.tgisinternal AND {_USER_SCHEMA} ORDER BY 1""",
    "views": f"""SELECT {_NAME} FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('v', 'm') AND {_USER_SCHEMA} AND {_NOT_EXTENSION.format(oid="c.oid")} ORDER BY 1""",
}


def _rows(conn: psycopg.Connection[Any], name: str) -> list[tuple[Any, ...]]:
    return list(conn.execute(_QUERIES[name]).fetchall())


def read_catalog(conn: psycopg.Connection[Any]) -> CatalogSnapshot:
    """The schema of the connected database; only reads, so it works inside a read-only transaction."""
    version = conn.execute("SELECT current_setting('server_version_num')::int").fetchone()
    return CatalogSnapshot(
        server_version=int(version[0]) if version else 0,
        schemas=tuple(r[0] for r in _rows(conn, "schemas")),
        tables=tuple(Table(*r) for r in _rows(conn, "tables")),
        columns=tuple(Column(*r) for r in _rows(conn, "columns")),
        indexes=tuple(Index(r[0], r[1], tuple(r[2]), *r[3:]) for r in _rows(conn, "indexes")),
        constraints=tuple(Constraint(r[0], r[1], r[2], tuple(r[3]), *r[4:]) for r in _rows(conn, "constraints")),
        enums=tuple(EnumType(r[0], tuple(r[1])) for r in _rows(conn, "enums")),
        functions=tuple(r[0] for r in _rows(conn, "functions")),
        policies=tuple(Policy(r[0], r[1], r[2], r[3], tuple(r[4]), r[5], r[6]) for r in _rows(conn, "policies")),
        grants=tuple(Grant(*r) for r in _rows(conn, "grants")),
        extensions=tuple(r[0] for r in _rows(conn, "extensions")),
        sequences=tuple(r[0] for r in _rows(conn, "sequences")),
        triggers=tuple(r[0] for r in _rows(conn, "triggers")),
        views=tuple(r[0] for r in _rows(conn, "views")),
    )


def read_runtime_role(conn: psycopg.Connection[Any], role: str | None = None) -> RuntimeRole | None:
    """The attributes of ``role`` (default: the connected role) and the tables it owns or could act as owner of."""
    row = conn.execute(
        "SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = coalesce(%s, current_user)", [role]
    ).fetchone()
    if row is None:
        return None
    owns = conn.execute(
        f"SELECT {_NAME} {_FROM_TABLES} AND pg_has_role(%s, c.relowner, 'MEMBER') ORDER BY 1", [row[0]]
    ).fetchall()
    return RuntimeRole(str(row[0]), bool(row[1]), bool(row[2]), tuple(str(r[0]) for r in owns))
