"""The isolation matrix's GraphQL cells are generated from introspection: which queries take an id, which mutations
take an id (updates before deletes), and the arguments a wrong-tenant mutation sends, built from the input types."""

from __future__ import annotations

import enum
from typing import Any

import strawberry

from fleetcheck.tenancy import _INTROSPECTION, _graphql_schema, _mutation_variables, _resolves, _Schema
from reference_services.api_gateway.schema import Mutation as GatewayMutation
from reference_services.api_gateway.schema import Query as GatewayQuery

ROW = "33333333-3333-4333-8333-333333333333"
MARK = "fc-canary-22222222-bbbbbb"


def _introspected(query: type, mutation: type | None = None) -> _Schema:
    result = strawberry.Schema(query=query, mutation=mutation).execute_sync(_INTROSPECTION)
    assert result.errors is None, result.errors
    data: dict[str, Any] = result.data or {}
    return _graphql_schema(data["__schema"])


def test_the_gateways_mutations_by_id_are_found_updates_first_and_creates_left_out() -> None:
    schema = _introspected(GatewayQuery, GatewayMutation)
    assert [m.name for m in schema.mutations] == ["updateCustomer", "deleteCustomer"]
    update, delete = schema.mutations
    assert _resolves(update, "Customer")
    assert _resolves(delete, "Customer")  # Boolean: paired by its name
    assert not _resolves(update, "Process")


def test_an_update_mutation_puts_the_marker_in_the_watched_text_fields_of_its_input() -> None:
    schema = _introspected(GatewayQuery, GatewayMutation)
    update = schema.mutations[0]
    declared, values = _mutation_variables(schema, update, ROW, MARK, ("name", "name_bn", "address"))
    assert declared == {"id": "ID!", "input": "CustomerPatch!"}
    assert values == {"id": ROW, "input": {"name": MARK, "nameBn": MARK, "address": MARK}}
    assert update.document("mutation", declared) == (
        "mutation ($id: ID!, $input: CustomerPatch!) { updateCustomer(id: $id, input: $input) "
        "{ id tenantId code name nameBn email phone tin nid address createdAt updatedAt } }"
    )
    delete = schema.mutations[1]
    assert delete.document("mutation", {"id": "ID!"}) == "mutation ($id: ID!) { deleteCustomer(id: $id) }"


@strawberry.enum
class Level(enum.Enum):
    LOW = "low"
    HIGH = "high"


@strawberry.input
class TicketChange:
    level: Level
    count: int
    note: str | None = None
    labels: list[str] | None = None


@strawberry.type
class Ticket:
    id: strawberry.ID
    note: str


@strawberry.type
class TicketQuery:
    @strawberry.field
    def ticket(self, id: strawberry.ID) -> Ticket | None:
        return None


@strawberry.type
class TicketMutation:
    @strawberry.mutation
    def remove_ticket(self, id: strawberry.ID) -> bool:
        return False

    @strawberry.mutation
    def change_ticket(self, id: strawberry.ID, change: TicketChange, reason: str, dry: bool = False) -> Ticket:
        return Ticket(id=id, note="")


def test_required_scalars_and_enums_are_filled_and_the_marker_goes_to_a_text_field_when_none_is_watched() -> None:
    schema = _introspected(TicketQuery, TicketMutation)
    assert [m.name for m in schema.mutations] == ["changeTicket", "removeTicket"]
    declared, values = _mutation_variables(schema, schema.mutations[0], ROW, MARK, ("title",))
    # dry has a default: left out; reason is a required text argument: the marker
    assert declared == {"id": "ID!", "change": "TicketChange!", "reason": "String!"}
    assert values == {"id": ROW, "change": {"level": "LOW", "count": 1, "note": MARK}, "reason": MARK}


def test_a_schema_without_mutations_gives_no_mutation_cells() -> None:
    assert _introspected(TicketQuery).mutations == []


def test_a_list_whose_arguments_all_have_defaults_is_listed_and_by_id_queries_are_found() -> None:
    schema = _introspected(GatewayQuery, GatewayMutation)
    assert [q.name for q in schema.lists] == ["me", "customers", "organizations", "processes"]
    assert [q.name for q in schema.by_id] == ["customer", "process", "evaluation"]


def test_a_create_mutation_as_the_other_tenant_sends_the_marker_in_its_required_fields() -> None:
    schema = _introspected(GatewayQuery, GatewayMutation)
    assert [m.name for m in schema.creates] == ["createCustomer"]  # startProcess, evaluate: not creates by name
    (create,) = schema.creates
    declared, values = _mutation_variables(schema, create, "", MARK, ())
    assert values == {"input": {"code": MARK, "name": MARK}}
    assert create.document("mutation", declared).startswith(
        "mutation ($input: CustomerInput!) { createCustomer(input: $input) { id tenantId code name"
    )
    assert create.document("mutation", {}).startswith("mutation { createCustomer { id tenantId")
