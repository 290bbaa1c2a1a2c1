"""master-data's HTTP routes: ``GET|POST /<entity>``, ``GET|PATCH|DELETE /<entity>/{<entity>_id}`` for each entity.

Bodies are decoded here (not by Litestar) so that malformed JSON is answered with a problem naming the body *and*
counted in ``master_data_validation_errors_total``, like every other rejected field.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from litestar import Request, Response, delete, get, patch, post
from litestar.exceptions import NotFoundException

from reference_services.kernel.errors import problem
from reference_services.kernel.security import Principal  # noqa: TC001 - Litestar reads handler annotations at runtime

from .schema import BODY_FIELD, ENTITIES, FieldError, clean
from .service import DuplicateKey

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from litestar.handlers import HTTPRouteHandler

    from .schema import EntitySpec
    from .service import MasterDataService

__all__ = ["route_handlers"]

_MAX_LIMIT = 500


def _decode(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise FieldError(
            BODY_FIELD, "malformed_json", "expected a JSON object as the request body; it is not valid JSON (UTF-8)"
        ) from None


def _entity_id(spec: EntitySpec, raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise NotFoundException(detail=f"No {spec.entity_type} {raw!r} for this tenant.") from None


def _bounded(value: int, low: int, high: int) -> int:
    return max(low, min(value, high))


class _EntityRoutes:
    def __init__(self, service: MasterDataService, spec: EntitySpec) -> None:
        self.service = service
        self.spec = spec

    def rejected(self, error: FieldError) -> Response[dict[str, Any]]:
        self.service.metrics.validation_errors.labels(
            entity_type=self.spec.entity_type, field=error.field, error_type=error.error_type
        ).inc()
        status = 400 if error.field == BODY_FIELD and error.error_type == "malformed_json" else 422
        return problem(
            status,
            error.message,
            title="Invalid request body",
            errors=[{"field": error.field, "error_type": error.error_type, "message": error.message}],
        )

    async def values(self, request: Request[Any, Any, Any], *, partial: bool) -> dict[str, Any]:
        return clean(self.spec, _decode(await request.body()), partial=partial)

    async def write(
        self,
        request: Request[Any, Any, Any],
        *,
        partial: bool,
        perform: Callable[[dict[str, Any]], Awaitable[dict[str, Any] | None]],
    ) -> Response[Any] | None:
        """Validate the body and run ``perform``; a problem for bad fields or a duplicate key, None for not found."""
        try:
            body = await perform(await self.values(request, partial=partial))
        except FieldError as error:
            return self.rejected(error)
        except DuplicateKey as error:
            return problem(409, str(error), title="Duplicate business key")
        return None if body is None else Response(body, status_code=200 if partial else 201)

    def not_found(self, entity_id: uuid.UUID) -> NotFoundException:
        return NotFoundException(detail=f"No {self.spec.entity_type} {entity_id} for this tenant.")

    def handlers(self) -> list[HTTPRouteHandler]:
        spec, routes, service = self.spec, self, self.service
        collection, item = f"/{spec.collection}", f"/{spec.collection}/{{{spec.id_param}:str}}"

        @post(collection, status_code=201, name=f"create_{spec.entity_type}")
        async def create(request: Request[Any, Any, Any], principal: Principal) -> Response[Any]:
            correlation = request.headers.get("x-correlation-id")
            response = await routes.write(
                request,
                partial=False,
                perform=lambda values: service.create(spec, principal.tenant_id, values, correlation),
            )
            assert response is not None  # create never answers "not found"
            return response

        @get(collection, name=f"list_{spec.collection}")
        async def list_all(principal: Principal, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
            return await service.list(
                spec, principal.tenant_id, limit=_bounded(limit, 1, _MAX_LIMIT), offset=max(offset, 0)
            )

        @get(item, name=f"get_{spec.entity_type}")
        async def read(principal: Principal, request: Request[Any, Any, Any]) -> dict[str, Any]:
            entity_id = _entity_id(spec, request.path_params[spec.id_param])
            body = await service.get(spec, principal.tenant_id, entity_id)
            if body is None:
                raise routes.not_found(entity_id)
            return body

        @patch(item, name=f"update_{spec.entity_type}")
        async def update(principal: Principal, request: Request[Any, Any, Any]) -> Response[Any]:
            entity_id = _entity_id(spec, request.path_params[spec.id_param])
            correlation = request.headers.get("x-correlation-id")
            response = await routes.write(
                request,
                partial=True,
                perform=lambda values: service.update(spec, principal.tenant_id, entity_id, values, correlation),
            )
            if response is None:
                raise routes.not_found(entity_id)
            return response

        @delete(item, name=f"delete_{spec.entity_type}")
        async def remove(principal: Principal, request: Request[Any, Any, Any]) -> None:
            entity_id = _entity_id(spec, request.path_params[spec.id_param])
            if not await service.delete(spec, principal.tenant_id, entity_id, request.headers.get("x-correlation-id")):
                raise routes.not_found(entity_id)

        return [create, list_all, read, update, remove]


def route_handlers(service: MasterDataService) -> list[HTTPRouteHandler]:
    return [handler for spec in ENTITIES for handler in _EntityRoutes(service, spec).handlers()]
