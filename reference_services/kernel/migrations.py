"""Alembic, run programmatically: ``run_migrations`` for the CLI and ``run_env`` for each service's env.py."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.dialects.postgresql import JSONB

from . import outbox  # noqa: F401 - puts outbox/processed_events on the kernel's Base, which autogenerate compares
from .db import sync_url
from .rls import disable_tenant_rls, enable_tenant_rls

if TYPE_CHECKING:
    from sqlalchemy import MetaData

    from .config import ServiceConfig

__all__ = [
    "alembic_config",
    "create_event_tables",
    "disable_tenant_rls",
    "drop_event_tables",
    "enable_tenant_rls",
    "run_env",
    "run_migrations",
]


def alembic_config(config: ServiceConfig, service_package_dir: str | Path) -> Config:
    """An Alembic Config for the service in ``service_package_dir`` (its ``migrations/`` folder), as the owner."""
    dsn = config.require("database_url", "FLEET_DATABASE_URL")
    alembic = Config()
    alembic.set_main_option("script_location", str(Path(service_package_dir) / "migrations"))
    # ConfigParser interpolation: a literal % in a password must be doubled.
    alembic.set_main_option("sqlalchemy.url", sync_url(dsn).replace("%", "%%"))
    alembic.attributes["service_name"] = config.service_name
    return alembic


def run_migrations(config: ServiceConfig, service_package_dir: str | Path, action: str, revision: str) -> None:
    """``run_migrations(config, pkg_dir, "upgrade", "head")`` or ``(..., "downgrade", "base")``."""
    if action not in {"upgrade", "downgrade"}:
        raise ValueError(f"migration action: expected 'upgrade' or 'downgrade'; got {action!r}")
    getattr(command, action)(alembic_config(config, service_package_dir), revision)


def run_env(target_metadata: MetaData) -> None:
    """The body of every service's ``migrations/env.py`` (online mode, one transaction per migration run)."""
    from alembic import context

    url = context.config.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True, transaction_per_migration=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = sa.create_engine(url or "", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            context.configure(connection=connection, target_metadata=target_metadata, transaction_per_migration=True)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


def create_event_tables(op: Any) -> None:
    """Create ``outbox`` and ``processed_events`` (kernel tables, RLS-exempt) in a service's first migration."""
    op.create_table(
        "outbox",
        sa.Column("id", sa.Uuid(), server_default=sa.func.gen_random_uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("topic", sa.String(255), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("value", JSONB(), nullable=False),
        sa.Column("headers", JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
    )
    op.create_index("ix_outbox_tenant_id", "outbox", ["tenant_id"])
    op.create_index("ix_outbox_unpublished", "outbox", ["created_at"], postgresql_where=sa.text("published_at IS NULL"))
    op.create_table(
        "processed_events",
        sa.Column("id", sa.Uuid(), server_default=sa.func.gen_random_uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("consumer", sa.String(255), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_processed_events"),
    )
    op.create_index("ix_processed_events_tenant_id", "processed_events", ["tenant_id"])
    op.create_index("uq_processed_events_event_id_consumer", "processed_events", ["event_id", "consumer"], unique=True)


def drop_event_tables(op: Any) -> None:
    """Inverse of :func:`create_event_tables`."""
    op.drop_table("processed_events")
    op.drop_table("outbox")
