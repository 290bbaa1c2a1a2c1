"""master-data's GraphQL subgraph at ``POST /graphql``: customers over the same ``MasterDataService`` as REST.

Every resolver runs with the caller's verified ``Principal`` (the kernel's dependency: 401 problem+json without a valid
token, 403 on a spoofed X-Tenant-ID), so GraphQL and REST share one tenant-scoped code path: another tenant's customer
is ``null``, never its data. Errors meant for the caller carry ``extensions.code``; every other error is masked
("Unexpected error.") so no SQL or stack trace reaches a client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import strawberry
from graphql import GraphQLError

from reference_services.kernel.graphql import parse_id, subgraph_controller
from reference_services.kernel.handlers import page

from .schema import ENTITIES, FieldError, clean
from .service import DuplicateKey

if TYPE_CHECKING:
    from litestar import Controller

    from reference_services.kernel.security import Principal

    from .service import MasterDataService

__all__ = ["graphql_controller"]

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


@strawberry.input
class CustomerInput:
    code: str
    name: str
    name_bn: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    tin: str | None = strawberry.UNSET
    nid: str | None = strawberry.UNSET
    address: str | None = strawberry.UNSET


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


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a customer in the caller's tenant (one master-data.customer.created).")
    async def create_customer(self, info: strawberry.Info, input: CustomerInput) -> Customer:
        service = _service(info)
        raw = {name: value for name, value in vars(input).items() if value is not strawberry.UNSET}
        correlation = info.context["request"].headers.get("x-correlation-id")
        try:
            body = await service.create(_CUSTOMER, _principal(info).tenant_id, clean(_CUSTOMER, raw, partial=False),
                                        correlation)  # fmt: skip
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
        return Customer.of(body)


def graphql_controller(service: MasterDataService) -> type[Controller]:
    """The ``/graphql`` controller over ``service`` (the same instance the REST routes use)."""
    return subgraph_controller(Query, Mutation, service=service)
