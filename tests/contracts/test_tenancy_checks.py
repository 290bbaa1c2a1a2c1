"""TENANCY-* checks on hand-built observations: each passes on an isolated service and fails, naming the request,
the caller tenant and the canary, on the leak it exists for."""

from __future__ import annotations

import json

from fleetcheck.contracts.findings import Outcome, Severity
from fleetcheck.contracts.fleet import load_fleet
from fleetcheck.contracts.observations import HttpExchange
from fleetcheck.contracts.registry import CHECKS, CheckContext, run_check
from fleetcheck.contracts.tenancy import (
    LayerProbe,
    Probe,
    TenancyObservation,
    TokenObservation,
    canary_for,
    foreign_canaries,
)

FLEET = load_fleet()
OWNER, OTHER = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"
MINE, THEIRS = canary_for(OWNER, "aaaaaa"), canary_for(OTHER, "bbbbbb")
ROW, NOPE = "33333333-3333-4333-8333-333333333333", "44444444-4444-4444-8444-444444444444"


def _answer(status: int, body: object = None, method: str = "GET", path: str = f"/customers/{ROW}") -> HttpExchange:
    raw = json.dumps(body).encode() if body is not None else b""
    return HttpExchange(method, f"http://127.0.0.1:1{path}", path, status, (), raw, 0.01)


def _not_found(the_id: str) -> dict[str, object]:
    return {"status": 404, "detail": f"No customer {the_id} for this tenant."}


def _run(check_id: str, observation: object, service: str = "master-data") -> tuple[Outcome, str]:
    result = run_check(CHECKS[check_id], CheckContext(FLEET.service(service), FLEET), observation)
    return result.outcome, "\n".join(f.message() + str(f.evidence) for f in result.findings) or result.reason


def _matrix(*probes: Probe, layers: tuple[LayerProbe, ...] = ()) -> TenancyObservation:
    return TenancyObservation("master-data", {OWNER: (MINE,), OTHER: (THEIRS,)}, probes, layers=layers)


def _read(status: int, body: object, missing: object = None) -> Probe:
    missing_answer = _answer(404, missing or _not_found(NOPE), path=f"/customers/{NOPE}")
    return Probe("read", "customer", OTHER, OWNER, _answer(status, body), missing_answer, ROW, NOPE)


def test_foreign_read_answering_404_passes_and_200_with_the_data_fails() -> None:
    assert _run("TENANCY-FOREIGN-ID-NOT-FOUND", _matrix(_read(404, _not_found(ROW))))[0] is Outcome.PASSED
    outcome, message = _run("TENANCY-FOREIGN-ID-NOT-FOUND", _matrix(_read(200, {"name": MINE})))
    assert outcome is Outcome.FAILED
    assert f"GET /customers/{ROW} as tenant {OTHER} of tenant {OWNER}'s customer answered 200" in message


def test_a_403_for_a_foreign_id_is_an_existence_oracle() -> None:
    assert _run("TENANCY-NO-EXISTENCE-ORACLE", _matrix(_read(404, _not_found(ROW))))[0] is Outcome.PASSED
    outcome, message = _run("TENANCY-NO-EXISTENCE-ORACLE", _matrix(_read(403, {"detail": "not yours"})))
    assert outcome is Outcome.FAILED
    assert "answered 403" in message
    assert "an id that does not exist answered 404" in message


def test_a_different_message_for_exists_not_yours_is_an_existence_oracle() -> None:
    probe = _read(404, {"status": 404, "detail": "Customer belongs to another tenant."})
    outcome, _ = _run("TENANCY-NO-EXISTENCE-ORACLE", _matrix(probe))
    assert outcome is Outcome.FAILED


def _delete(after_status: int) -> Probe:
    before = _answer(200, {"name": MINE})
    return Probe(
        "delete",
        "customer",
        OTHER,
        OWNER,
        _answer(404, _not_found(ROW), "DELETE"),
        _answer(404, _not_found(NOPE), "DELETE", f"/customers/{NOPE}"),
        ROW,
        NOPE,
        before,
        _answer(after_status, {"name": MINE} if after_status == 200 else _not_found(ROW)),
    )


def test_a_wrong_tenant_delete_that_answered_404_but_removed_the_row_is_caught_by_the_reread() -> None:
    assert _run("TENANCY-FOREIGN-WRITES-REREAD", _matrix(_delete(200)))[0] is Outcome.PASSED
    outcome, message = _run("TENANCY-FOREIGN-WRITES-REREAD", _matrix(_delete(404)))
    assert outcome is Outcome.FAILED
    assert "DELETE" in message
    assert "the row was removed" in message


def test_a_wrong_tenant_update_that_changed_the_row_is_caught_by_the_attackers_canary() -> None:
    before = _answer(200, {"name": MINE})
    after = _answer(200, {"name": THEIRS})
    probe = Probe(
        "update",
        "customer",
        OTHER,
        OWNER,
        _answer(404, _not_found(ROW), "PATCH"),
        None,
        ROW,
        NOPE,
        before,
        after,
        attacker_canary=THEIRS,
        watched=("name",),
    )
    outcome, message = _run("TENANCY-FOREIGN-WRITES-REREAD", _matrix(probe))
    assert outcome is Outcome.FAILED
    assert "name" in message
    assert "changed" in message


def test_a_list_page_with_another_tenants_canary_fails_naming_the_canary() -> None:
    clean = Probe("list", "customer", OTHER, "", _answer(200, [{"name": THEIRS}], path="/customers?limit=500"))
    assert _run("TENANCY-LISTS-OWN-ONLY", _matrix(clean))[0] is Outcome.PASSED
    leak = Probe("list", "customer", OTHER, "", _answer(200, [{"name": THEIRS}, {"name": MINE}], path="/customers"))
    outcome, message = _run("TENANCY-LISTS-OWN-ONLY", _matrix(leak))
    assert outcome is Outcome.FAILED
    assert MINE in message
    assert f"as tenant {OTHER}" in message


def test_a_foreign_canary_in_an_error_body_or_a_header_is_found() -> None:
    error = _answer(500, {"detail": f"duplicate key {MINE}"})
    assert foreign_canaries(error, {MINE}) == [MINE]
    header = HttpExchange("GET", "http://x/", "/", 200, (("X-Cache-Key", MINE),), b"{}", 0.0)
    assert foreign_canaries(header, {MINE}) == [MINE]
    outcome, _ = _run("TENANCY-NO-FOREIGN-CANARY", _matrix(Probe("action", "task", OTHER, OWNER, error)))
    assert outcome is Outcome.FAILED


def test_graphql_by_id_returning_data_to_another_tenant_fails() -> None:
    def gql(data: object) -> Probe:
        body = {"data": {"customer": data}} if data is not None else {"data": {"customer": None}}
        return Probe(
            "graphql-by-id",
            "graphql customer",
            OTHER,
            OWNER,
            _answer(200, body, "POST", "/graphql"),
            graphql_field="customer",
        )

    assert _run("TENANCY-FOREIGN-ID-NOT-FOUND", _matrix(gql(None)), "api-gateway")[0] is Outcome.PASSED
    assert _run("TENANCY-FOREIGN-ID-NOT-FOUND", _matrix(gql({"name": MINE})), "api-gateway")[0] is Outcome.FAILED


def _gql_error(the_id: str, code: str = "NOT_FOUND") -> dict[str, object]:
    return {
        "message": f"No customer {the_id} for this tenant.",
        "path": ["updateCustomer"],
        "extensions": {"code": code},
    }


def _mutation(
    data: object,
    after: HttpExchange | None = None,
    *,
    field: str = "updateCustomer",
    errors: list[object] | None = None,
) -> Probe:
    """The other tenant's GraphQL mutation on the owner's customer, the same on a missing id, the owner's re-reads."""
    foreign = {"data": {field: data}, **({"errors": errors} if errors else {})}
    missing = {"data": {field: None}, "errors": [_gql_error(NOPE)]}
    return Probe(
        "graphql-mutation",
        f"customer (GraphQL mutation {field})",
        OTHER,
        OWNER,
        _answer(200, foreign, "POST", "/graphql"),
        _answer(200, missing, "POST", "/graphql"),
        ROW,
        NOPE,
        _answer(200, {"name": MINE}),
        after or _answer(200, {"name": MINE}),
        graphql_field=field,
        attacker_canary=THEIRS,
        watched=("name",),
    )


def test_a_graphql_mutation_refused_as_for_a_missing_id_passes_every_check_it_feeds() -> None:
    refused = _matrix(_mutation(None, errors=[_gql_error(ROW)]), _mutation(False, field="deleteCustomer"))
    for check_id in ("TENANCY-FOREIGN-ID-NOT-FOUND", "TENANCY-FOREIGN-WRITES-REREAD", "TENANCY-NO-FOREIGN-CANARY"):
        assert _run(check_id, refused, "api-gateway")[0] is Outcome.PASSED, check_id
    assert (
        _run("TENANCY-NO-EXISTENCE-ORACLE", _matrix(_mutation(None, errors=[_gql_error(ROW)])), "api-gateway")[0]
        is Outcome.PASSED
    )


def test_a_graphql_mutation_answering_with_the_owners_row_or_true_fails_foreign_id_not_found() -> None:
    outcome, message = _run("TENANCY-FOREIGN-ID-NOT-FOUND", _matrix(_mutation({"name": MINE})), "api-gateway")
    assert outcome is Outcome.FAILED
    assert f"tenant {OWNER}'s customer (GraphQL mutation updateCustomer) returned data for updateCustomer" in message
    deleted = _matrix(_mutation(True, field="deleteCustomer"))
    assert _run("TENANCY-FOREIGN-ID-NOT-FOUND", deleted, "api-gateway")[0] is Outcome.FAILED


def test_a_graphql_mutation_refused_with_another_code_than_a_missing_id_is_an_existence_oracle() -> None:
    forbidden = _mutation(None, errors=[_gql_error(ROW, code="FORBIDDEN")])
    outcome, message = _run("TENANCY-NO-EXISTENCE-ORACLE", _matrix(forbidden), "api-gateway")
    assert outcome is Outcome.FAILED
    assert "FORBIDDEN" in message
    assert "an id that does not exist answered 200" in message


def test_a_refused_graphql_mutation_that_still_changed_or_removed_the_row_fails_the_reread() -> None:
    changed = _mutation(None, _answer(200, {"name": THEIRS}), errors=[_gql_error(ROW)])
    outcome, message = _run("TENANCY-FOREIGN-WRITES-REREAD", _matrix(changed), "api-gateway")
    assert outcome is Outcome.FAILED
    assert "customer (GraphQL mutation updateCustomer)" in message
    assert "the row was changed" in message
    removed = _mutation(False, _answer(404, _not_found(ROW)), field="deleteCustomer")
    outcome, message = _run("TENANCY-FOREIGN-WRITES-REREAD", _matrix(removed), "api-gateway")
    assert outcome is Outcome.FAILED
    assert "customer (GraphQL mutation deleteCustomer)" in message
    assert "the row was removed" in message


def test_a_graphql_mutation_error_holding_the_owners_canary_fails_no_foreign_canary() -> None:
    leaked = _mutation(None, errors=[{"message": f"duplicate name {MINE}", "extensions": {"code": "CONFLICT"}}])
    outcome, message = _run("TENANCY-NO-FOREIGN-CANARY", _matrix(leaked), "api-gateway")
    assert outcome is Outcome.FAILED
    assert MINE in message


def test_the_owners_graphql_list_holding_what_the_other_tenant_created_fails_lists_own_only() -> None:
    created = Probe(
        "graphql-create", "graphql createCustomer", OTHER, "", _answer(200, {"data": {}}, "POST", "/graphql")
    )
    mine = _answer(200, {"data": {"customers": [{"name": MINE}, {"name": THEIRS}]}}, "POST", "/graphql")
    owners_list = Probe("graphql-list", "graphql customers", OWNER, "", mine, graphql_field="customers")
    outcome, message = _run("TENANCY-LISTS-OWN-ONLY", _matrix(created, owners_list), "api-gateway")
    assert outcome is Outcome.FAILED
    assert f"as tenant {OWNER} listed another tenant's row (canary {THEIRS})" in message


def test_rls_alone_passes_with_an_informational_note_and_no_rls_fails() -> None:
    only_rls = LayerProbe("customer", "customers", rls_holds=True, app_holds=False, app_exchange=_answer(200, {}))
    result = run_check(
        CHECKS["TENANCY-DEFENCE-IN-DEPTH"],
        CheckContext(FLEET.service("master-data"), FLEET),
        _matrix(_read(404, _not_found(ROW)), layers=(only_rls,)),
    )
    assert result.outcome is Outcome.PASSED
    assert [f.severity for f in result.findings] == [Severity.WARNING]
    assert "row-level security alone stopped the cross-tenant read" in result.findings[0].observed
    no_rls = LayerProbe("customer", "customers", rls_holds=False, app_holds=True)
    outcome, message = _run("TENANCY-DEFENCE-IN-DEPTH", _matrix(_read(404, {}), layers=(no_rls,)))
    assert outcome is Outcome.FAILED
    assert "table customers" in message


def test_a_token_attack_answered_200_fails_naming_the_attack() -> None:
    refused = TokenObservation("master-data", "/customers", (("alg=none", _answer(401, {}, path="/customers")),))
    assert _run("TENANCY-TOKENS-REFUSED", refused)[0] is Outcome.PASSED
    accepted = TokenObservation("master-data", "/customers", (("alg=none", _answer(200, [], path="/customers")),))
    outcome, message = _run("TENANCY-TOKENS-REFUSED", accepted)
    assert outcome is Outcome.FAILED
    assert "with a alg=none token answered 200" in message
    assert "algorithms" in message


def test_a_spoofed_tenant_header_must_be_refused_or_at_least_never_leak() -> None:
    def spoof(status: int, body: object, mode: str = "refuse") -> TokenObservation:
        return TokenObservation(
            "master-data",
            "/customers",
            spoof=_answer(status, body, path="/customers"),
            spoof_header="X-Tenant-ID",
            spoof_mode=mode,
            canaries=(THEIRS,),
        )

    assert _run("TENANCY-SPOOFED-HEADER", spoof(403, {}))[0] is Outcome.PASSED
    assert _run("TENANCY-SPOOFED-HEADER", spoof(200, []))[0] is Outcome.FAILED
    assert _run("TENANCY-SPOOFED-HEADER", spoof(200, [], mode="ignore"))[0] is Outcome.PASSED
    outcome, message = _run("TENANCY-SPOOFED-HEADER", spoof(200, [{"name": THEIRS}], mode="ignore"))
    assert outcome is Outcome.FAILED
    assert THEIRS in message


def test_a_consumed_record_the_owner_cannot_read_fails_events_own_tenant() -> None:
    def observation(status: int, body: object) -> TenancyObservation:
        read = Probe("owner-read", "audit-log", OWNER, OWNER, _answer(status, body, path=f"/audit-logs/{ROW}"))
        return TenancyObservation("audit", {OWNER: (MINE,)}, (read,), consumed=(("audit-log", "topic.x"),))

    assert (
        _run("TENANCY-EVENTS-OWN-TENANT", observation(200, {"payload": {"name": MINE}}), "audit")[0] is Outcome.PASSED
    )
    assert _run("TENANCY-EVENTS-OWN-TENANT", observation(404, {}), "audit")[0] is Outcome.FAILED
    missing = TenancyObservation(
        "audit",
        {OWNER: (MINE,)},
        (),
        (("audit-log", "never recorded"),),
        (("audit-log", "master-data.customer.created"),),
    )
    outcome, message = _run("TENANCY-EVENTS-OWN-TENANT", missing, "audit")
    assert outcome is Outcome.FAILED
    assert "never recorded" in message
