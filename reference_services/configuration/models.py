"""configuration's tables (SPEC.md "Database"): settings and feature_flags (RLS), plus the kernel's outbox tables."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, CheckConstraint, String, UniqueConstraint, false
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from reference_services.kernel.db import Base, TenantScoped, Timestamps, UUIDPrimaryKey
from reference_services.kernel.outbox import OutboxEvent, ProcessedEvent

__all__ = ["TENANT_TABLES", "Base", "FeatureFlag", "OutboxEvent", "ProcessedEvent", "Setting"]

TENANT_TABLES = ("settings", "feature_flags")


class Setting(UUIDPrimaryKey, TenantScoped, Timestamps, Base):
    """One JSON value per (tenant, scope, key)."""

    __tablename__ = "settings"
    __table_args__ = (
        UniqueConstraint("tenant_id", "scope", "key"),
        # the routes address a setting as /settings/{scope}/{key} with non-empty lower-case names (checked_name)
        CheckConstraint("char_length(scope) > 0 AND char_length(key) > 0 AND scope = lower(scope) AND key = lower(key)",
                        name="names_lower_case"),
    )  # fmt: skip

    scope: Mapped[str] = mapped_column(String(64), nullable=False)
    key: Mapped[str] = mapped_column(String(128), nullable=False)
    value: Mapped[Any] = mapped_column(JSONB(none_as_null=False), nullable=False)


class FeatureFlag(UUIDPrimaryKey, TenantScoped, Timestamps, Base):
    __tablename__ = "feature_flags"
    __table_args__ = (
        UniqueConstraint("tenant_id", "key"),
        CheckConstraint("char_length(key) > 0 AND key = lower(key)", name="key_lower_case"),  # /feature-flags/{key}
    )

    key: Mapped[str] = mapped_column(String(128), nullable=False)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false())
    description: Mapped[str | None] = mapped_column(String(500), nullable=True)
