"""Mutant: master-data's GraphQL ``updateCustomer`` writes the row whoever asks (as the owner, past RLS, without the
tenant filter) and answers NOT_FOUND as for a missing id; its REST update is the reference one
-> TENANCY-FOREIGN-WRITES-REREAD on the api-gateway's GraphQL mutation probe (the owner's re-read holds the
attacker's marker), and on nothing REST."""

from __future__ import annotations

import strawberry
from sqlalchemy import update

from reference_services.kernel.graphql import parse_id
from reference_services.master_data import graphql
from reference_services.master_data.graphql import Customer, CustomerPatch
from reference_services.master_data.schema import clean
from tests.mutants.tenancy.variants._owner import owner_engine, unforce


@strawberry.type
class _Mutation(graphql.Mutation):
    @strawberry.mutation(description="Change a customer, whichever tenant it belongs to.")
    async def update_customer(self, info: strawberry.Info, id: strawberry.ID, input: CustomerPatch) -> Customer | None:
        customer_id = parse_id(str(id))
        service = graphql._service(info)
        values = clean(graphql._CUSTOMER, graphql._given(input), partial=True)
        if customer_id is not None and values:
            model = graphql._CUSTOMER.model
            async with owner_engine().begin() as conn:  # a "system" session: no tenant, no RLS
                await conn.execute(update(model).where(model.id == customer_id).values(**values))
        body = (
            None
            if customer_id is None
            else await service.get(graphql._CUSTOMER, graphql._principal(info).tenant_id, customer_id)
        )
        if body is None:
            raise graphql._not_found(id)
        return Customer.of(body)


graphql.Mutation = _Mutation  # type: ignore[misc]

if __name__ == "__main__":
    import sys

    from tests.mutants.serve import serve

    if "serve" in sys.argv:
        unforce("customers")
    serve("master-data")
