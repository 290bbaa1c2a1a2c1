"""master-data's tables (SPEC.md "Database"): customers, vendors, products, accounts, every one tenant-scoped with RLS,
business keys unique per tenant, plus the kernel's outbox tables."""

from __future__ import annotations

# SQLAlchemy resolves Mapped[...] annotations at class creation, so these imports are needed at runtime.
import uuid  # noqa: TC003
from decimal import Decimal  # noqa: TC003

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from reference_services.kernel.db import Base, TenantScoped, Timestamps, UUIDPrimaryKey

# the outbox tables belong to this service's schema too (they are created by its first migration)
from reference_services.kernel.outbox import OutboxEvent, ProcessedEvent

__all__ = [
    "ACCOUNT_TYPES",
    "TENANT_TABLES",
    "Account",
    "Base",
    "Customer",
    "OutboxEvent",
    "ProcessedEvent",
    "Product",
    "Vendor",
]

TENANT_TABLES = ("customers", "vendors", "products", "accounts")
ACCOUNT_TYPES = ("asset", "liability", "equity", "revenue", "expense")


class Customer(UUIDPrimaryKey, TenantScoped, Timestamps, Base):
    __tablename__ = "customers"
    # (tenant_id, tin): VAT/AIT returns find parties by TIN (revision 0002)
    __table_args__ = (UniqueConstraint("tenant_id", "code"), Index("ix_customers_tenant_id_tin", "tenant_id", "tin"))

    code: Mapped[str] = mapped_column(String(50), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    name_bn: Mapped[str | None] = mapped_column(String(255), nullable=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(14), nullable=True)
    tin: Mapped[str | None] = mapped_column(String(12), nullable=True)
    nid: Mapped[str | None] = mapped_column(String(17), nullable=True)
    address: Mapped[str | None] = mapped_column(Text, nullable=True)


class Vendor(UUIDPrimaryKey, TenantScoped, Timestamps, Base):
    __tablename__ = "vendors"
    __table_args__ = (UniqueConstraint("tenant_id", "code"), Index("ix_vendors_tenant_id_tin", "tenant_id", "tin"))

    code: Mapped[str] = mapped_column(String(50), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    tin: Mapped[str | None] = mapped_column(String(12), nullable=True)
    bin: Mapped[str | None] = mapped_column(String(9), nullable=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(14), nullable=True)
    address: Mapped[str | None] = mapped_column(Text, nullable=True)


class Product(UUIDPrimaryKey, TenantScoped, Timestamps, Base):
    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("tenant_id", "sku"),
        CheckConstraint("vat_rate >= 0 AND vat_rate <= 100", name="vat_rate_percentage"),
    )

    sku: Mapped[str] = mapped_column(String(64), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    category: Mapped[str | None] = mapped_column(String(100), nullable=True)
    unit_of_measure: Mapped[str] = mapped_column(String(32), nullable=False, server_default=text("'pcs'"))
    # a percentage: 15.00 means 15% (SPEC.md), never a fraction
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2), nullable=False, server_default=text("15.00"))
    hs_code: Mapped[str | None] = mapped_column(String(12), nullable=True)


class Account(UUIDPrimaryKey, TenantScoped, Timestamps, Base):
    __tablename__ = "accounts"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        CheckConstraint(
            "account_type IN ('asset', 'liability', 'equity', 'revenue', 'expense')", name="account_type_known"
        ),
    )

    code: Mapped[str] = mapped_column(String(50), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    account_type: Mapped[str] = mapped_column(String(20), nullable=False)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True, index=True
    )
    balance: Mapped[Decimal] = mapped_column(Numeric(18, 2), nullable=False, server_default=text("0"))
