"""Request bodies of the organization service (msgspec structs: Litestar validates them and answers 400)."""

from __future__ import annotations

import uuid  # noqa: TC003 - msgspec resolves annotations at runtime
from typing import Annotated

import msgspec

__all__ = [
    "DivisionCreate",
    "DivisionUpdate",
    "OrganizationCreate",
    "OrganizationUpdate",
    "TenantCreate",
    "TenantUpdate",
]

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]


class TenantCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    code: Code


class TenantUpdate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | None = None
    code: Code | None = None


class OrganizationCreate(msgspec.Struct, forbid_unknown_fields=True):
    code: Code
    name: Name
    name_bn: Name | None = None


class OrganizationUpdate(msgspec.Struct, forbid_unknown_fields=True):
    code: Code | None = None
    name: Name | None = None
    name_bn: Name | None = None


class DivisionCreate(msgspec.Struct, forbid_unknown_fields=True):
    organization_id: uuid.UUID
    code: Code
    name: Name


class DivisionUpdate(msgspec.Struct, forbid_unknown_fields=True):
    code: Code | None = None
    name: Name | None = None
