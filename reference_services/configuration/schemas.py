"""Request bodies and path names of the configuration service (msgspec: Litestar validates and answers 400)."""

from __future__ import annotations

import re
from typing import Annotated, Any

import msgspec
from litestar.exceptions import ValidationException

__all__ = ["FlagPut", "SettingPut", "checked_name"]

_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_LIMITS = {"scope": 64, "key": 128, "flag_key": 128}


class SettingPut(msgspec.Struct, forbid_unknown_fields=True):
    value: Any


class FlagPut(msgspec.Struct, forbid_unknown_fields=True):
    enabled: bool
    description: Annotated[str, msgspec.Meta(max_length=500)] | None = None


def checked_name(field: str, value: str) -> str:
    """A scope or key from the path: lower-case letters, digits, ``_ . -``; 400 naming the field otherwise."""
    if not _NAME.match(value) or len(value) > _LIMITS[field]:
        raise ValidationException(
            detail=f"{field}: expected 1-{_LIMITS[field]} characters of a-z, 0-9, '_', '.', '-' starting with a "
                   f"letter or digit; got {value[:80]!r}",
            extra=[{"field": field, "message": "invalid name"}],
        )  # fmt: skip
    return value
