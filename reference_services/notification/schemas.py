"""Request bodies of the notification service (msgspec structs: Litestar validates them and answers 400)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

__all__ = ["NotificationCreate", "TemplateCreate", "TemplateUpdate"]

Channel = Literal["email", "sms", "in_app"]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
Subject = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Body = Annotated[str, msgspec.Meta(min_length=1, max_length=10_000)]
Scalar = str | int | float | bool | None


class NotificationCreate(msgspec.Struct, forbid_unknown_fields=True):
    recipient: Annotated[str, msgspec.Meta(min_length=1, max_length=320)]
    channel: Channel | None = None
    template: Code | None = None
    subject: Subject | None = None
    body: Body | None = None
    data: dict[Annotated[str, msgspec.Meta(max_length=64)], Scalar] = msgspec.field(default_factory=dict)


class TemplateCreate(msgspec.Struct, forbid_unknown_fields=True):
    code: Code
    channel: Channel
    body: Body
    subject: Subject | None = None


class TemplateUpdate(msgspec.Struct, forbid_unknown_fields=True):
    channel: Channel | None = None
    body: Body | None = None
    subject: Subject | None = None
