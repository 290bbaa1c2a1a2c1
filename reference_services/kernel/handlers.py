"""What REST handlers and GraphQL resolvers share: the bounds of a page, the caller's correlation id, a visible row."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from litestar.exceptions import NotFoundException

if TYPE_CHECKING:
    import uuid

    from litestar import Request
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["MAX_LIMIT", "correlation_id", "page", "visible_row"]

M = TypeVar("M")

#: The most rows one list call answers.
MAX_LIMIT = 500
#: The longest correlation id kept from a caller's ``X-Correlation-ID`` (a longer one is cut, not refused).
_MAX_CORRELATION = 100


def page(limit: int, offset: int) -> tuple[int, int]:
    """``(limit, offset)`` brought into range: 1 to ``MAX_LIMIT`` rows, from offset 0 on."""
    return max(1, min(limit, MAX_LIMIT)), max(offset, 0)


def correlation_id(request: Request[Any, Any, Any]) -> str | None:
    """The caller's ``X-Correlation-ID`` (its first 100 characters); None when absent or empty."""
    value = request.headers.get("x-correlation-id")
    return value[:_MAX_CORRELATION] if value else None


async def visible_row(session: AsyncSession, model: type[M], row_id: uuid.UUID, noun: str) -> M:
    """The row when RLS lets this tenant see it; 404 otherwise (same answer for foreign and missing rows)."""
    row = await session.get(model, row_id)
    if row is None:
        raise NotFoundException(detail=f"No {noun} {row_id} for this tenant.")
    return row
