"""master-data's GraphQL subgraph at ``POST /graphql``: customers over the same ``MasterDataService`` as REST.

Every resolver runs with the caller's verified ``Principal`` (the kernel's dependency: 401 problem+json without a valid
token, 403 on a spoofed X-Tenant-ID), so GraphQL and REST share one tenant-scoped code path: another tenant's customer
is ``null``, never its data. Errors meant for the caller carry ``extensions.code``; every other error is masked
("Unexpected error.") so no SQL or stack trace reaches a client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

import strawberry
from graphql import GraphQLError

from reference_services.kernel.graphql import parse_id, subgraph_controller
from reference_services.kernel.handlers import page

from .schema import ENTITIES, FieldError, clean
from .service import DuplicateKey

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from litestar import Controller

    from reference_services.kernel.security import Principal

    from .service import MasterDataService

__all__ = ["graphql_controller"]

T = TypeVar("T")
_CUSTOMER = next(spec for spec in ENTITIES if spec.entity_type == "customer")


@strawberry.type
class Customer:
    id: strawberry.ID
    tenant_id: str
    code: str
    name: str
    name_bn: str | None
    email: str | None
    phone: str | None
    tin: str | None
    nid: str | None
    address: str | None
    created_at: str
    updated_at: str | None

    @classmethod
    def of(cls, body: dict[str, Any]) -> Customer:
        return cls(**{name: body[name] for name in cls.__annotations__})


@strawberry.input(description="A customer's optional fields (a base of the inputs, not a type of the schema).")
class CustomerDetails:
    name_bn: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    tin: str | None = strawberry.UNSET
    nid: str | None = strawberry.UNSET
    address: str | None = strawberry.UNSET


@strawberry.input
class CustomerInput(CustomerDetails):
    code: str
    name: str


def _service(info: strawberry.Info) -> MasterDataService:
    return info.context["service"]


def _principal(info: strawberry.Info) -> Principal:
    return info.context["principal"]


@strawberry.type
class Query:
    @strawberry.field(description="The caller's tenant's customers, ordered by code.")
    async def customers(self, info: strawberry.Info, limit: int = 100, offset: int = 0) -> list[Customer]:
        limit, offset = page(limit, offset)
        rows = await _service(info).list(_CUSTOMER, _principal(info).tenant_id, limit=limit, offset=offset)
        return [Customer.of(row) for row in rows]

    @strawberry.field(description="One customer of the caller's tenant; null for a missing or foreign id.")
    async def customer(self, info: strawberry.Info, id: strawberry.ID) -> Customer | None:
        customer_id = parse_id(str(id))
        if customer_id is None:
            return None
        body = await _service(info).get(_CUSTOMER, _principal(info).tenant_id, customer_id)
        return None if body is None else Customer.of(body)


@strawberry.input(description="The fields of a customer to change; the ones left out stay as they are.")
class CustomerPatch(CustomerDetails):
    code: str | None = strawberry.UNSET
    name: str | None = strawberry.UNSET


def _given(value: Any) -> dict[str, Any]:
    return {name: item for name, item in vars(value).items() if item is not strawberry.UNSET}


def _not_found(raw: object) -> GraphQLError:
    """A missing and another tenant's id alike (as REST's 404): the same message and code, nothing else."""
    return GraphQLError(f"No customer {raw} for this tenant.", extensions={"code": "NOT_FOUND"})


async def _written(service: MasterDataService, write: Awaitable[T]) -> T:
    """``write``'s result; a rejected field or a duplicate code as the caller's error (counted as REST counts it)."""
    try:
        return await write
    except FieldError as error:
        # counted exactly like a rejected REST field: one validation error, one series
        service.metrics.validation_errors.labels(
            entity_type=_CUSTOMER.entity_type, field=error.field, error_type=error.error_type
        ).inc()
        raise GraphQLError(
            error.message,
            extensions={"code": "BAD_USER_INPUT", "field": error.field, "error_type": error.error_type},
        ) from None
    except DuplicateKey as error:
        raise GraphQLError(str(error), extensions={"code": "CONFLICT", "field": _CUSTOMER.key}) from None


def _correlation(info: strawberry.Info) -> str | None:
    return info.context["request"].headers.get("x-correlation-id")


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a customer in the caller's tenant (one master-data.customer.created).")
    async def create_customer(self, info: strawberry.Info, input: CustomerInput) -> Customer:
        service, tenant = _service(info), _principal(info).tenant_id

        async def create() -> dict[str, Any]:
            return await service.create(_CUSTOMER, tenant, clean(_CUSTOMER, _given(input), partial=False),
                                        _correlation(info))  # fmt: skip

        return Customer.of(await _written(service, create()))

    @strawberry.mutation(description="Change a customer of the caller's tenant; NOT_FOUND for a missing or foreign id.")
    async def update_customer(self, info: strawberry.Info, id: strawberry.ID, input: CustomerPatch) -> Customer | None:
        service, tenant, customer_id = _service(info), _principal(info).tenant_id, parse_id(str(id))
        if customer_id is None:
            raise _not_found(id)
        found = customer_id

        async def update() -> dict[str, Any] | None:
            values = clean(_CUSTOMER, _given(input), partial=True)
            return await service.update(_CUSTOMER, tenant, found, values, _correlation(info))

        body = await _written(service, update())
        if body is None:
            raise _not_found(id)
        return Customer.of(body)

    @strawberry.mutation(description="Delete a customer of the caller's tenant; NOT_FOUND for a missing or foreign id.")
    async def delete_customer(self, info: strawberry.Info, id: strawberry.ID) -> bool | None:
        customer_id = parse_id(str(id))
        if customer_id is None or not await _service(info).delete(
            _CUSTOMER, _principal(info).tenant_id, customer_id, _correlation(info)
        ):
            raise _not_found(id)
        return True


def graphql_controller(service: MasterDataService) -> type[Controller]:
    """The ``/graphql`` controller over ``service`` (the same instance the REST routes use)."""
    return subgraph_controller(Query, Mutation, service=service)
