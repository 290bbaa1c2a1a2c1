"""problem+json (RFC 9457) for every error the kernel's apps answer; never a stack trace in the body."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from litestar import Response
from litestar.exceptions import HTTPException, ValidationException
from sqlalchemy.exc import DBAPIError, IntegrityError

if TYPE_CHECKING:
    from litestar import Request
    from litestar.types import ExceptionHandlersMap

__all__ = ["PROBLEM_JSON", "exception_handlers", "plain_errors_as_problems", "problem"]

PROBLEM_JSON = "application/problem+json"
_log = logging.getLogger("reference_services.errors")
_UNIQUE_VIOLATION = "23505"
_FOREIGN_KEY_VIOLATION = "23503"
UNSTORABLE_VALUE = "A value in the request is outside the range or form this service can store."
_DATA_EXCEPTION_CLASS = "22"  # SQLSTATE class 22: a value out of range, too long, of the wrong form


def problem(
    status: int, detail: str, *, title: str | None = None, headers: dict[str, str] | None = None, **extra: Any
) -> Response[dict[str, Any]]:
    """A problem+json response; ``type`` is ``about:blank`` with the status phrase as title unless given."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        **extra,
    }
    return Response(content=body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _http_exception(_: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    extra: dict[str, Any] = {}
    if isinstance(exc, ValidationException) and exc.extra:
        extra["errors"] = exc.extra
    detail = exc.detail if exc.detail and exc.detail != HTTPStatus(exc.status_code).phrase else _default(exc)
    return problem(exc.status_code, detail, headers=exc.headers, **extra)


def _default(exc: HTTPException) -> str:
    return {
        400: "The request body or parameters are invalid.",
        401: "A valid bearer token is required.",
        403: "The credential does not allow this operation.",
        404: "No resource at this path for the caller.",
        405: "This method is not allowed on this path.",
        413: "The request body is too large.",
    }.get(exc.status_code, HTTPStatus(exc.status_code).phrase)


def _integrity_error(_: Request[Any, Any, Any], exc: IntegrityError) -> Response[dict[str, Any]]:
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    if code is None and exc.orig is not None:
        code = getattr(getattr(exc.orig, "__cause__", None), "sqlstate", None)
    if code == _UNIQUE_VIOLATION:
        return problem(409, "A resource with this business key already exists for this tenant.")
    if code == _FOREIGN_KEY_VIOLATION:
        return problem(422, "A referenced resource does not exist.")
    _log.error("integrity error: %s", exc)
    return problem(409, "The request conflicts with the current state of the resource.")


def _database_error(request: Request[Any, Any, Any], exc: DBAPIError) -> Response[dict[str, Any]]:
    """A value from the request the database cannot take (e.g. ``?offset=10**21`` beyond bigint) is the caller's 400."""
    if not is_data_error(exc):
        return _internal_error(request, exc)
    _log.warning("rejected a value the database cannot take on %s %s: %s", request.method, request.url.path, exc.orig)
    return problem(400, UNSTORABLE_VALUE)


def is_data_error(exc: DBAPIError) -> bool:
    """SQLSTATE class 22 from the server, or the driver refusing to encode a parameter (asyncpg: a ValueError)."""
    cause: BaseException | None = exc.orig
    for _ in range(5):  # the driver's error wraps the asyncpg one; the chain is short
        if cause is None:
            return False
        sqlstate = getattr(cause, "sqlstate", None)
        if isinstance(sqlstate, str) and sqlstate.startswith(_DATA_EXCEPTION_CLASS):
            return True
        if isinstance(cause, ValueError):
            return True
        cause = cause.__cause__
    return False


def _internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    _log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(500, "An internal error occurred; it has been logged.")


async def plain_errors_as_problems(response: Response[Any]) -> Response[Any]:
    """``after_request``: an error a handler answered itself in plain text becomes problem+json like every other.

    Strawberry's GraphQL view answers HTTP-level errors (a body that is not JSON, no query) as ``text/plain`` without
    raising, so the exception handlers never see them.
    """
    media_type = getattr(response.media_type, "value", response.media_type)  # MediaType.TEXT is a (str, Enum)
    plain = str(media_type or "").startswith("text/plain")
    if (response.status_code or 0) >= 400 and plain and isinstance(response.content, str):
        return problem(response.status_code, response.content, headers=dict(response.headers) or None)
    return response


def exception_handlers() -> ExceptionHandlersMap:
    """The handler map for ``Litestar(exception_handlers=...)``."""
    return {
        HTTPException: _http_exception,
        IntegrityError: _integrity_error,
        DBAPIError: _database_error,
        Exception: _internal_error,
    }
