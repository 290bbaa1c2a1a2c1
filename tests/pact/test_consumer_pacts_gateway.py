"""The api-gateway's pacts with workflow, rules-engine and organization: each interaction is one of the gateway's
own GraphQL documents (``reference_services.api_gateway.schema``), sent by its own subgraph client to the Pact mock.

A missing or foreign id is ``null`` in GraphQL (the subgraphs' resolvers answer so), not a REST 404; a token a
subgraph does not accept is a 401 problem+json, which the gateway's client raises as SubgraphRefused. No fleet runs
here; the pacts are verified against the providers in test_provider_verification.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from _pacts import (
    BAD_TOKEN,
    EVALUATION,
    ORGANIZATION,
    PROCESS,
    TENANT,
    by_id_query,
    from_state,
    graphql_pact,
    money,
    refused_graphql_pact,
    run_subgraph_call,
    time_,
    uuid_,
    written,
)
from pact import match

from reference_services.api_gateway.schema import Evaluation, Organization, Process, selection
from reference_services.api_gateway.subgraphs import SubgraphRefused

if TYPE_CHECKING:
    from pathlib import Path

    from pact import Pact

PROCESS_DOC = by_id_query("process", Process)
PROCESSES_DOC = (
    "query Processes($workflowType: String, $status: String, $limit: Int!, $offset: Int!) "
    "{ processes(workflowType: $workflowType, status: $status, limit: $limit, offset: $offset) "
    f"{selection(Process)} }}"
)
START_DOC = f"mutation StartProcess($input: ProcessInput!) {{ startProcess(input: $input) {selection(Process)} }}"
EVALUATION_DOC = by_id_query("evaluation", Evaluation)
EVALUATE_DOC = f"mutation Evaluate($input: EvaluateInput!) {{ evaluate(input: $input) {selection(Evaluation)} }}"
ORGANIZATIONS_DOC = f"query Organizations {{ organizations {selection(Organization)} }}"

PROCESS_BODY = {
    "id": uuid_(PROCESS),
    "tenantId": uuid_(TENANT),
    "workflowType": match.like("purchase-order"),
    "status": match.regex("pending_rules", regex=r"^(pending_rules|awaiting_approval|completed|rejected|failed)$"),
    "businessKey": match.like("PO-2026-001"),
    "amountBdt": money("750000.00"),
    "variables": match.like({"vendor": "রহিম ট্রেডার্স"}),
    "createdAt": time_(),
}
#: a process of a list: any of the tenant's processes, also those of other types, without an amount (null) or
#: variables, so a list item relies on neither (a list on a live fleet holds processes other tests started)
PROCESS_ITEM = {k: v for k, v in PROCESS_BODY.items() if k not in ("amountBdt", "variables")}
EVALUATION_BODY = {
    "id": uuid_(EVALUATION),
    "tenantId": uuid_(TENANT),
    "entityType": match.like("invoice"),
    "entityId": match.like("INV-2026-001"),
    "ruleType": "vat",
    "amountBdt": money("1000.00"),
    "outcome": match.like("matched"),
    "ruleCode": match.like("VAT-STANDARD"),
    "ratePercent": money("15.00"),  # SPEC.md: a rate is a percentage, numeric(5,2)
    "taxAmountBdt": money("150.00"),
    "createdAt": time_(),
}


def _with_refusal(provider: str, what: str, document: str, variables: dict[str, Any]) -> Pact:
    refused = refused_graphql_pact(provider, f"{what} with a token {provider} does not accept", document, variables)
    with refused.serve() as server, pytest.raises(SubgraphRefused, match="answered 401"):
        run_subgraph_call(provider, str(server.url), document, BAD_TOKEN, **variables)
    return refused


def test_api_gateway_reads_and_starts_workflow_processes(tmp_path: Path) -> None:
    own, found = graphql_pact("workflow", "a process query for a process of the caller's tenant",
                              "tenant T has process P", PROCESS_DOC, {"id": from_state(PROCESS, "processId")},
                              {"process": PROCESS_BODY}, {"id": PROCESS})  # fmt: skip
    assert found["process"]["id"] == PROCESS
    foreign, missing = graphql_pact("workflow", "a process query for another tenant's process",
                                    "process P belongs to another tenant", PROCESS_DOC,
                                    {"id": from_state(PROCESS, "processId")}, {"process": None},
                                    {"id": PROCESS})  # fmt: skip
    assert missing == {"process": None}  # the gateway answers null: no such process for the caller
    page = {"workflowType": None, "status": None, "limit": 100, "offset": 0}  # the gateway's defaults
    listed, processes = graphql_pact("workflow", "a processes query of the caller's tenant",
                                     "tenant T has process P", PROCESSES_DOC, page,
                                     {"processes": match.each_like(PROCESS_ITEM)}, page)  # fmt: skip
    assert processes["processes"][0]["tenantId"] == TENANT
    start = {"workflowType": "purchase-order", "businessKey": from_state("PO-2026-001", "businessKey"),
             "amountBdt": "750000.00", "variables": {"vendor": "রহিম ট্রেডার্স"}}  # fmt: skip
    sent = {**start, "businessKey": "PO-2026-001"}
    started, data = graphql_pact("workflow", "a startProcess mutation in the caller's tenant",
                                 "tenant T has no process with business key K", START_DOC, {"input": start},
                                 {"startProcess": PROCESS_BODY}, {"input": sent})  # fmt: skip
    assert data["startProcess"]["status"] == "pending_rules"  # the approval task waits for rules-engine
    refused = _with_refusal("workflow", "a process query", PROCESS_DOC, {"id": PROCESS})
    written([own, foreign, listed, started, refused], tmp_path)


def test_api_gateway_reads_and_requests_rules_evaluations(tmp_path: Path) -> None:
    own, found = graphql_pact("rules-engine", "an evaluation query for an evaluation of the caller's tenant",
                              "tenant T has evaluation E", EVALUATION_DOC,
                              {"id": from_state(EVALUATION, "evaluationId")}, {"evaluation": EVALUATION_BODY},
                              {"id": EVALUATION})  # fmt: skip
    assert found["evaluation"]["ratePercent"] == "15.00"
    foreign, missing = graphql_pact("rules-engine", "an evaluation query for another tenant's evaluation",
                                    "evaluation E belongs to another tenant", EVALUATION_DOC,
                                    {"id": from_state(EVALUATION, "evaluationId")}, {"evaluation": None},
                                    {"id": EVALUATION})  # fmt: skip
    assert missing == {"evaluation": None}
    asked = {"entityType": "invoice", "entityId": "INV-2026-001", "ruleType": "vat", "amountBdt": "1000.00"}
    evaluated, data = graphql_pact("rules-engine", "an evaluate mutation for VAT on an invoice",
                                   "tenant T has user U", EVALUATE_DOC, {"input": asked},
                                   {"evaluate": EVALUATION_BODY}, {"input": asked})  # fmt: skip
    assert data["evaluate"]["taxAmountBdt"] == "150.00"  # 15% standard VAT of 1,000.00 BDT
    refused = _with_refusal("rules-engine", "an evaluation query", EVALUATION_DOC, {"id": EVALUATION})
    written([own, foreign, evaluated, refused], tmp_path)


def test_api_gateway_lists_the_callers_organizations(tmp_path: Path) -> None:
    organization = {"id": uuid_(ORGANIZATION), "tenantId": uuid_(TENANT), "code": match.like("ORG-001"),
                    "name": match.like("Padma Group")}  # fmt: skip
    listed, data = graphql_pact("organization", "an organizations query of the caller's tenant",
                                "tenant T has organization O", ORGANIZATIONS_DOC, {},
                                {"organizations": match.each_like(organization)}, {})  # fmt: skip
    assert [o["tenantId"] for o in data["organizations"]] == [TENANT]
    refused = _with_refusal("organization", "an organizations query", ORGANIZATIONS_DOC, {})
    written([listed, refused], tmp_path)
