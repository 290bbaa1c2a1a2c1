"""What every ``POST /graphql`` shares: the mount, error masking, and the argument helpers of the subgraphs' resolvers.

The endpoint answers POST only (no IDE, no queries over GET). Resolver failures that are not deliberate GraphQLErrors
are masked ("Unexpected error.") so no SQL or stack trace reaches a client; errors meant for the caller carry
``extensions.code`` (``BAD_USER_INPUT`` with the rejected ``field``). A value the database refuses to store (SQLSTATE
class 22, e.g. U+0000 in text) is the caller's ``BAD_USER_INPUT``, as REST answers it 400.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec
import strawberry
from graphql import GraphQLError
from litestar.di import NamedDependency  # noqa: TC002 - Litestar reads the context getter's annotations
from sqlalchemy.exc import DBAPIError
from strawberry.extensions import MaskErrors
from strawberry.litestar import make_graphql_controller

from .errors import UNSTORABLE_VALUE, is_data_error
from .security import Principal  # noqa: TC001 - Litestar reads the context getter's annotations

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from litestar import Controller
    from litestar.exceptions import ValidationException
    from strawberry.extensions import SchemaExtension

__all__ = [
    "bad_input",
    "convert_input",
    "graphql_endpoint",
    "is_unexpected",
    "parse_id",
    "rejected_input",
    "subgraph_controller",
]

T = TypeVar("T")
_log = logging.getLogger(__name__)


def is_unexpected(error: GraphQLError) -> bool:
    """A resolver failure that is not a deliberate GraphQLError (syntax/validation errors have no original)."""
    return error.original_error is not None and not isinstance(error.original_error, GraphQLError)


class _MaskErrors(MaskErrors):
    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if isinstance(original, DBAPIError) and is_data_error(original):
            _log.warning("rejected a value the database cannot take at %s: %s", error.path, original.orig)
            return GraphQLError(UNSTORABLE_VALUE, nodes=error.nodes, source=error.source, positions=error.positions,
                                path=error.path, extensions={"code": "BAD_USER_INPUT", "field": None})  # fmt: skip
        return super().anonymise_error(error)


def _mask_errors() -> MaskErrors:
    return _MaskErrors(should_mask_error=is_unexpected)


def graphql_endpoint(
    query: type,
    mutation: type | None,
    context_getter: Callable[..., Any],
    *,
    schema_class: type[strawberry.Schema] = strawberry.Schema,
    extensions: Sequence[type[SchemaExtension]] = (),
) -> type[Controller]:
    """``POST /graphql`` over ``query`` and ``mutation``, unexpected errors masked after ``extensions`` ran.

    ``context_getter``'s parameters are Litestar dependencies; the dict it returns is the resolvers' ``info.context``
    (Strawberry adds ``request`` and ``response``).
    """
    schema = schema_class(query=query, mutation=mutation, extensions=[*extensions, _mask_errors])
    return make_graphql_controller(schema, path="/graphql", graphql_ide=None, allow_queries_via_get=False,
                                   context_getter=context_getter)  # fmt: skip


def subgraph_controller(query: type, mutation: type | None = None, **context: Any) -> type[Controller]:
    """A subgraph's ``/graphql``: resolvers find the caller's verified ``principal`` and ``context`` in info.context.

    The principal is the kernel's dependency (401 problem+json without a valid token, 403 on a spoofed X-Tenant-ID),
    so GraphQL and REST share one tenant-scoped path; ``context`` holds what the REST routes use too (the service).
    """

    async def principal_context(principal: NamedDependency[Principal]) -> dict[str, Any]:
        return {"principal": principal, **context}

    return graphql_endpoint(query, mutation, principal_context)


def parse_id(raw: str) -> uuid.UUID | None:
    """An ``ID`` argument as a UUID; None for one that is not (a resolver answers it like a missing id: null)."""
    try:
        return uuid.UUID(raw)
    except ValueError:
        return None


def bad_input(message: str, field: str | None) -> GraphQLError:
    """The caller's error for a rejected input field (``extensions: {code: BAD_USER_INPUT, field}``)."""
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT", "field": field})


def convert_input(raw: dict[str, Any], type_: type[T]) -> T:
    """``raw`` checked into ``type_`` (the REST body's msgspec Struct, same rules); a failure is a ``bad_input``."""
    try:
        return msgspec.convert(raw, type_, strict=False)
    except msgspec.ValidationError as error:
        # msgspec names the path as "... - at `$.field`"
        message = str(error)
        field = message.rsplit("$.", 1)[-1].rstrip("`").split("[")[0] if "$." in message else None
        raise bad_input(message, field) from None


def rejected_input(error: ValidationException) -> GraphQLError:
    """A service's ValidationException (a REST 400) as a ``bad_input`` naming the field its ``extra`` names."""
    extra = error.extra[0] if isinstance(error.extra, list) and error.extra else {}
    return bad_input(str(error.detail), extra.get("key") if isinstance(extra, dict) else None)
