"""TENANCY-* checks: no tenant ever sees, changes or learns of another tenant's data, proven by content.

The observer (``fleetcheck.tenancy``) plants **canaries** (unique strings naming the owning tenant) in every text
field of each tenant-scoped resource the fleet file declares, as two tenants, then sends the isolation matrix: the
other tenant's read, update, delete, sub-resource and action calls on the owner's ids (generated from the service's
OpenAPI document), the same calls on an id that does not exist, lists and pages of every size, GraphQL by id, lists
and mutations by id through the gateway, a spoofed tenant header and forged tokens. Each request is a :class:`Probe`;
the checks below judge them. A finding names the request (method, path, caller tenant), the status, the response
excerpt and the canary it found.

:func:`foreign_canaries` is the one scanner: the locust load run (``load/``) scans every response with it too, and
judges its concurrent observations with the same checks (``TENANCY-NO-FOREIGN-CANARY``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fleetcheck.contracts.findings import Finding, Judged, Severity
from fleetcheck.contracts.registry import CHECKS, CheckContext, NotApplicable

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

    from fleetcheck.contracts.fleet import Fleet, ServiceSpec
    from fleetcheck.contracts.observations import HttpExchange

__all__ = [
    "CANARY_PREFIX",
    "FOREIGN_CALLS",
    "TOKEN_ATTACKS",
    "LayerProbe",
    "Probe",
    "TenancyObservation",
    "TokenObservation",
    "canary_for",
    "declares_tenancy",
    "foreign_canaries",
]

AREA = "tenancy"
#: every canary starts with this, then the owner tenant's first 8 hex digits, then random hex
CANARY_PREFIX = "fc-canary"
_CANARY = re.compile(CANARY_PREFIX + r"-[0-9a-f]{8}-[0-9a-f]{6,}")
#: calls another tenant makes on the owner's id; each must answer as for an id that does not exist
FOREIGN_CALLS = ("read", "update", "delete", "sub-read", "action", "graphql-by-id", "graphql-mutation")
#: GraphQL calls, judged by their ``data`` (a GraphQL error answers 200)
_GRAPHQL_BY_ID = ("graphql-by-id", "graphql-mutation")
#: the forged or broken credentials every tenant-scoped route must refuse with 401
TOKEN_ATTACKS = (
    "missing",
    "malformed",
    "expired",
    "alg=none",
    "hs256-public-key",
    "unknown-key",
    "other-issuer",
    "tampered-tenant",
)
_EXCERPT = 300


def canary_for(tenant_id: str, unique: str) -> str:
    """The canary string of ``tenant_id``: ``fc-canary-<first 8 hex of the tenant>-<unique hex>``.

    >>> canary_for("e11df98a-88fd-4079-b89b-9834d62eeaa4", "0a1b2c")
    'fc-canary-e11df98a-0a1b2c'
    """
    return f"{CANARY_PREFIX}-{tenant_id.replace('-', '')[:8]}-{unique}"


def foreign_canaries(exchange: HttpExchange, foreign: Iterable[str]) -> list[str]:
    """The canaries of ``foreign`` that appear anywhere in the answer: body (JSON-escaped or not) and headers."""
    wanted = set(foreign)
    if not wanted:
        return []
    text = exchange.body.decode("utf-8", "replace")
    text += "\n" + "\n".join(f"{k}: {v}" for k, v in exchange.headers)
    return sorted(c for c in set(_CANARY.findall(text)) if c in wanted)


@dataclass(frozen=True, slots=True)
class Probe:
    """One request of the matrix and what came back.

    ``call``: ``read``, ``update``, ``delete``, ``sub-read``, ``action``, ``list``, ``graphql-by-id``,
    ``graphql-list``, ``graphql-mutation`` (by id), ``graphql-create``, ``owner-read`` (the owner reading its own
    record: the positive control), ``spoof``. ``caller`` is the tenant that sent it; ``owner`` the tenant whose id it
    names (empty for lists and creates).
    ``missing`` is the same request for an id that does not exist (the no-existence-oracle baseline), with
    ``foreign_id``/``missing_id`` to compare the two answers with the id taken out. ``before``/``after`` are the
    owner's reads of the resource around a write (update, delete, action, GraphQL mutation). ``graphql_field`` is the
    query or mutation field a GraphQL probe sent; ``attacker_canary`` the caller's marker a write put in.
    """

    call: str
    resource: str
    caller: str
    owner: str
    exchange: HttpExchange
    missing: HttpExchange | None = None
    foreign_id: str = ""
    missing_id: str = ""
    before: HttpExchange | None = None
    after: HttpExchange | None = None
    graphql_field: str = ""
    attacker_canary: str = ""
    #: top-level fields of the owner's re-read that a wrong-tenant write must leave as they were
    watched: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LayerProbe:
    """Which layer stopped a cross-tenant read of one resource (defence in depth).

    ``rls_holds``: as the service's runtime role with the other tenant set, the owner's row was invisible
    (``None``: not measured, ``rls_note`` says why). ``app_holds``: with row-level security switched off on the
    table for one request, the API still refused the other tenant (``None``: not measured, ``app_note`` says why).
    ``app_exchange`` is that request.
    """

    resource: str
    table: str
    rls_holds: bool | None
    app_holds: bool | None
    rls_note: str = ""
    app_note: str = ""
    app_exchange: HttpExchange | None = None


@dataclass(frozen=True, slots=True)
class TenancyObservation:
    """The isolation matrix of one service: canaries planted by tenant, every probe sent, what could not be made."""

    service: str
    canaries: Mapping[str, tuple[str, ...]]
    probes: tuple[Probe, ...] = ()
    #: resource -> why it could not be created as a tenant (a refused create, a consumer that never recorded)
    not_created: tuple[tuple[str, str], ...] = ()
    #: resources that are a consumer's records of another service's event (resource -> topic)
    consumed: tuple[tuple[str, str], ...] = ()
    layers: tuple[LayerProbe, ...] = ()

    def foreign_to(self, caller: str) -> set[str]:
        """Every canary planted by a tenant other than ``caller``."""
        return {c for tenant, cs in self.canaries.items() if tenant != caller for c in cs}


@dataclass(frozen=True, slots=True)
class TokenObservation:
    """Forged and broken credentials sent to one tenant-scoped route: attack name -> the answer."""

    service: str
    route: str
    attacks: tuple[tuple[str, HttpExchange], ...] = ()
    #: attacks fleetcheck could not build for this fleet, with the reason (no signing key, no JWKS)
    not_sent: tuple[tuple[str, str], ...] = ()
    spoof: HttpExchange | None = None
    spoof_header: str = ""
    spoof_mode: str = "refuse"
    canaries: tuple[str, ...] = field(default=())


# ---- helpers -----------------------------------------------------------------------------------------------------


def _excerpt(exchange: HttpExchange) -> str:
    return exchange.error or exchange.body[:_EXCERPT].decode("utf-8", "replace")


def _evidence(probe: Probe, *extra: tuple[str, str]) -> tuple[tuple[str, str], ...]:
    ex = probe.exchange
    return (
        ("request", f"{ex.request_line()} as tenant {probe.caller}"),
        ("status", str(ex.status)),
        ("response", _excerpt(ex)),
        *extra,
    )


def _who(probe: Probe) -> str:
    owner = f" of tenant {probe.owner}'s {probe.resource}" if probe.owner else ""
    return f"{probe.exchange.request_line()} as tenant {probe.caller}{owner}"


def _json(exchange: HttpExchange | None) -> Any:
    if exchange is None:
        return None
    try:
        return json.loads(exchange.body) if exchange.body else None
    except ValueError:
        return None


def _graphql_data(probe: Probe) -> Any:
    data = _json(probe.exchange)
    return (data.get("data") or {}).get(probe.graphql_field) if isinstance(data, dict) else None


def _refused(data: Any) -> bool:
    """A GraphQL field's value that gives nothing away: null, false (a delete that did nothing), empty."""
    return data is None or data is False or data == [] or data == {}


def _foreign(ctx: CheckContext, probes: Iterable[Probe]) -> Iterator[Probe]:
    return (p for p in probes if p.owner and p.caller != p.owner and p.call in FOREIGN_CALLS)


def _matrix(observation: TenancyObservation) -> TenancyObservation:
    if not observation.probes and not observation.not_created:
        raise NotApplicable(f"{observation.service}: the isolation matrix sent no request")
    return observation


# ---- the checks --------------------------------------------------------------------------------------------------


def declares_tenancy(service: ServiceSpec, _fleet: Fleet) -> bool:
    """Whether the fleet file says anything of the service's tenancy (its OpenAPI document, resources, a probe
    route, or why it has none): a server that knows no tenants (an exporter, a broker) is not held to isolation."""
    t = service.tenancy
    return bool(t.openapi or t.resources or t.probe or t.graphql or t.none_reason)


@CHECKS.register(
    "TENANCY-FOREIGN-ID-NOT-FOUND",
    applies=declares_tenancy,
    area=AREA,
    needs="tenancy",
    claim="another tenant's token gets the foreign status (404) on read, update, delete, sub-resources and actions of "
    "the owner's resource, REST and GraphQL (queries and mutations by id) alike; never the data, never 2xx, never 5xx",
)
def foreign_id_not_found(ctx: CheckContext, observation: TenancyObservation) -> Iterator[Finding | Judged]:
    status = ctx.fleet.tenancy.foreign_status
    probes = list(_foreign(ctx, _matrix(observation).probes))
    for probe in probes:
        got = probe.exchange.status
        if probe.call in _GRAPHQL_BY_ID:
            if not _refused(_graphql_data(probe)):
                yield _finding(
                    "TENANCY-FOREIGN-ID-NOT-FOUND",
                    ctx,
                    probe,
                    f"{_who(probe)} returned data for {probe.graphql_field}",
                    f"data.{probe.graphql_field} = null with a not-found error, as for an id that does not exist",
                    "resolve by-id queries and mutations inside the caller's tenant (RLS and a tenant filter)",
                )
            continue
        allowed = {status}
        if probe.call == "action" and probe.missing is not None and 400 <= probe.missing.status < 500:
            allowed.add(probe.missing.status)  # the body was refused before the lookup, for a missing id alike
        if got not in allowed:
            yield _finding(
                "TENANCY-FOREIGN-ID-NOT-FOUND",
                ctx,
                probe,
                f"{_who(probe)} answered {got}",
                f"{status}, the answer for an id that does not exist in the caller's tenant",
                "look the row up inside the caller's tenant and answer 404 when it is not there; never "
                "403 (it tells the id exists) and never 5xx",
            )
    if not probes:
        raise NotApplicable(f"no resource of {observation.service} answers a call by id (item methods, GraphQL by id)")
    yield Judged(len(probes), "cross-tenant calls on owner ids")


@CHECKS.register(
    "TENANCY-NO-EXISTENCE-ORACLE",
    applies=declares_tenancy,
    area=AREA,
    needs="tenancy",
    claim="another tenant's id answers exactly as an id that does not exist: same status, same body with the id "
    "taken out (a 403, or a different message for 'exists, not yours', tells an attacker the id is real)",
)
def no_existence_oracle(ctx: CheckContext, observation: TenancyObservation) -> Iterator[Finding | Judged]:
    judged = 0
    for probe in _foreign(ctx, _matrix(observation).probes):
        if probe.missing is None:
            continue
        judged += 1
        foreign, missing = probe.exchange, probe.missing
        same_body = _normalised(foreign, probe.foreign_id) == _normalised(missing, probe.missing_id)
        if foreign.status != missing.status or not same_body:
            yield _finding(
                "TENANCY-NO-EXISTENCE-ORACLE",
                ctx,
                probe,
                f"{_who(probe)} answered {foreign.status} {_excerpt(foreign)!r}, but an id that does not "
                f"exist answered {missing.status} {_excerpt(missing)!r}",
                "the same status and body for a foreign id as for a missing one",
                "answer both from one code path (404, one message), so the answer says nothing about other tenants",
                ("missing-id response", _excerpt(missing)),
            )
    if not judged:
        raise NotApplicable(f"no resource of {observation.service} answers a call by id to compare with a missing id")
    yield Judged(judged, "foreign-vs-missing id pairs")


def _normalised(exchange: HttpExchange, the_id: str) -> str:
    text = exchange.body.decode("utf-8", "replace")
    text = text.replace(the_id, "<id>") if the_id else text
    # request-scoped values (correlation ids, timestamps) differ between any two answers
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>", text)
    return re.sub(r"\d{4}-\d\d-\d\dT[0-9:.]+(Z|[+-]\d\d:\d\d)?", "<time>", text)


@CHECKS.register(
    "TENANCY-FOREIGN-WRITES-REREAD",
    applies=declares_tenancy,
    area=AREA,
    needs="tenancy",
    claim="a wrong-tenant update, delete, action or GraphQL mutation changes nothing: the owner re-reads the resource "
    "afterwards, still there and without the attacker's canary (judged by content, not by the status code)",
)
def foreign_writes_reread(ctx: CheckContext, observation: TenancyObservation) -> Iterator[Finding | Judged]:
    judged = 0
    for probe in _foreign(ctx, _matrix(observation).probes):
        if probe.after is None or probe.before is None:
            continue
        judged += 1
        before, after = probe.before, probe.after
        said = f"{_who(probe)} answered {probe.exchange.status}"
        if 200 <= before.status < 300 and not 200 <= after.status < 300:
            yield _finding(
                "TENANCY-FOREIGN-WRITES-REREAD",
                ctx,
                probe,
                f"{said}, and the owner's re-read {after.request_line()} then answered "
                f"{after.status}: the row was removed",
                "the owner's resource unchanged and still there",
                "scope deletes by the caller's tenant (WHERE tenant_id = ..., and RLS on the table)",
                ("owner re-read", _excerpt(after)),
            )
        elif changed := _changed(before, after, probe.watched):
            yield _finding(
                "TENANCY-FOREIGN-WRITES-REREAD",
                ctx,
                probe,
                f"{said}, and the owner's re-read shows {', '.join(changed)} changed: the row was changed",
                "the owner's resource unchanged",
                "scope writes by the caller's tenant (the row lookup, not only the answer)",
                ("owner re-read", _excerpt(after)),
            )
        elif probe.attacker_canary and probe.attacker_canary in after.body.decode("utf-8", "replace"):
            yield _finding(
                "TENANCY-FOREIGN-WRITES-REREAD",
                ctx,
                probe,
                f"{said}, and the owner's re-read holds the attacker's canary "
                f"{probe.attacker_canary}: the row was changed",
                "the owner's resource unchanged",
                "scope updates by the caller's tenant (the row lookup, not only the answer)",
                ("owner re-read", _excerpt(after)),
                ("canary", probe.attacker_canary),
            )
    if not judged:
        raise NotApplicable(
            f"no item of {observation.service} answers a write (update, delete, action or GraphQL mutation by id)"
        )
    yield Judged(judged, "wrong-tenant writes re-read by the owner")


def _changed(before: HttpExchange, after: HttpExchange, fields: tuple[str, ...]) -> list[str]:
    old, new = _json(before), _json(after)
    if not isinstance(old, dict) or not isinstance(new, dict):
        return []
    return [f"{k} ({old.get(k)!r} -> {new.get(k)!r})" for k in fields if old.get(k) != new.get(k)]


@CHECKS.register(
    "TENANCY-LISTS-OWN-ONLY",
    applies=declares_tenancy,
    area=AREA,
    needs="tenancy",
    claim="no list, search, filter or page of any size (REST or GraphQL) holds another tenant's canary",
)
def lists_own_only(ctx: CheckContext, observation: TenancyObservation) -> Iterator[Finding | Judged]:
    pages = [p for p in _matrix(observation).probes if p.call in ("list", "graphql-list")]
    if not pages:
        raise NotApplicable(f"no resource of {observation.service} has a list route (tenancy.resources[].listed)")
    for probe in pages:
        for canary in foreign_canaries(probe.exchange, observation.foreign_to(probe.caller)):
            yield _finding(
                "TENANCY-LISTS-OWN-ONLY",
                ctx,
                probe,
                f"{_who(probe)} listed another tenant's row (canary {canary})",
                "only the caller's tenant's rows in every page",
                "filter lists by the caller's tenant and keep RLS forced on the table; check caches "
                "keyed without the tenant",
                ("canary", canary),
            )
    yield Judged(len(pages), "list pages")


@CHECKS.register(
    "TENANCY-NO-FOREIGN-CANARY",
    applies=declares_tenancy,
    area=AREA,
    needs="tenancy",
    claim="no answer to a tenant (body, error body, headers, GraphQL errors) holds another tenant's canary",
)
def no_foreign_canary(ctx: CheckContext, observation: TenancyObservation) -> Iterator[Finding | Judged]:
    probes = _matrix(observation).probes
    for probe in probes:
        for canary in foreign_canaries(probe.exchange, observation.foreign_to(probe.caller)):
            yield _finding(
                "TENANCY-NO-FOREIGN-CANARY",
                ctx,
                probe,
                f"{_who(probe)} answered {probe.exchange.status} with another tenant's canary {canary}",
                "no byte of another tenant's data in any answer",
                "find where the answer is built from a row (or a cache entry) of another tenant",
                ("canary", canary),
            )
    yield Judged(len(probes), "answers scanned")


@CHECKS.register(
    "TENANCY-EVENTS-OWN-TENANT",
    area=AREA,
    needs="tenancy",
    claim="an event written by a tenant is consumed into that tenant's records only (audit, notification): the owner "
    "reads the record, no other tenant can",
    applies=lambda service, fleet: (
        declares_tenancy(service, fleet) and any(r.consumed_from for r in service.tenancy.resources)
    ),
)
def events_own_tenant(ctx: CheckContext, observation: TenancyObservation) -> Iterator[Finding | Judged]:
    consumed = dict(observation.consumed)
    if not consumed:
        raise NotApplicable(f"{observation.service} declares no resource recorded from another service's events")
    missing = dict(observation.not_created)
    for resource, topic in consumed.items():
        if resource in missing:
            yield Finding(
                "TENANCY-EVENTS-OWN-TENANT",
                ctx.service.name,
                expected=f"the owner's {topic} event recorded as the owner's {resource}",
                observed=f"{ctx.service.name} {resource}: {missing[resource]}",
                hint="store a consumed event under the event's tenant (its tenantid attribute), never a default tenant",
            )
    owner_reads = [p for p in observation.probes if p.call == "owner-read" and p.resource in consumed]
    for probe in owner_reads:
        mine = observation.canaries.get(probe.caller, ())
        if not 200 <= probe.exchange.status < 300 or not any(c in probe.exchange.body.decode() for c in mine):
            yield _finding(
                "TENANCY-EVENTS-OWN-TENANT",
                ctx,
                probe,
                f"the owner's read {probe.exchange.request_line()} answered "
                f"{probe.exchange.status} without the owner's canary",
                "the owner sees its own consumed record",
                "store the record under the event's tenant",
            )
    yield Judged(len(owner_reads), "consumed records read by their owner")


@CHECKS.register(
    "TENANCY-DEFENCE-IN-DEPTH",
    area=AREA,
    needs="tenancy",
    claim="row-level security stops a cross-tenant read even without the application's filter; which layer stopped "
    "it is reported per resource (a missing application filter is an informational finding)",
    applies=lambda service, fleet: declares_tenancy(service, fleet) and service.database is not None,
)
def defence_in_depth(ctx: CheckContext, observation: TenancyObservation) -> Iterator[Finding | Judged]:
    layers = [layer for layer in observation.layers if layer.rls_holds is not None]
    if not layers:
        why = "; ".join(dict.fromkeys(layer.rls_note for layer in observation.layers if layer.rls_note))
        raise NotApplicable(
            why or f"{observation.service} declares no resource table to probe (tenancy.resources[].table)"
        )
    for layer in layers:
        where = f"{ctx.service.name} {layer.resource} (table {layer.table})"
        if not layer.rls_holds:
            yield Finding(
                "TENANCY-DEFENCE-IN-DEPTH",
                ctx.service.name,
                expected="the owner's row invisible to the runtime role with another tenant set",
                observed=f"{where}: the runtime role saw another tenant's row: row-level security does not "
                "stop a cross-tenant read",
                hint="ENABLE and FORCE row level security with a tenant policy "
                f"on {layer.table}; the runtime role must be neither owner nor BYPASSRLS",
            )
        elif layer.app_holds is False:
            evidence = (("request", layer.app_exchange.request_line()),) if layer.app_exchange else ()
            yield Finding(
                "TENANCY-DEFENCE-IN-DEPTH",
                ctx.service.name,
                severity=Severity.WARNING,
                expected="an application-level tenant filter under row-level security (two layers)",
                observed=f"{where}: row-level security alone stopped the cross-tenant read; with it off the "
                f"app answered {layer.app_exchange.status if layer.app_exchange else '?'} (the app layer "
                "has no tenant filter)",
                hint="add WHERE tenant_id = <caller's tenant> to the lookup, so a "
                "dropped or mis-set policy does not leak",
                evidence=evidence,
            )
    yield Judged(len(layers), "resource tables probed layer by layer")


@CHECKS.register(
    "TENANCY-TOKENS-REFUSED",
    applies=declares_tenancy,
    area=AREA,
    needs="tenancy-tokens",
    claim="a tenant-scoped route refuses with 401 a token that is missing, malformed, expired, alg=none, HS256-signed "
    "with the public key, signed by an unknown key, of another issuer, or tampered (tenant changed, signature kept)",
)
def tokens_refused(ctx: CheckContext, observation: TokenObservation) -> Iterator[Finding | Judged]:
    if not observation.attacks:
        raise NotApplicable("; ".join(f"{a}: {why}" for a, why in observation.not_sent) or "no attack was sent")
    for attack, answer in observation.attacks:
        if answer.status != 401:
            yield Finding(
                "TENANCY-TOKENS-REFUSED",
                ctx.service.name,
                expected="401 for a token that is not a valid, current token of this fleet",
                observed=f"{ctx.service.name} {answer.request_line()} with a {attack} token answered "
                f"{answer.status or answer.error}",
                hint=_TOKEN_HINTS.get(attack, "verify every token"),
                evidence=(("attack", attack), ("response", _excerpt(answer))),
            )
    yield Judged(len(observation.attacks), "forged tokens")


_TOKEN_HINTS = {
    "alg=none": "pin the accepted algorithms (algorithms=['RS256']); never accept unsigned tokens",
    "hs256-public-key": "pin the algorithm to the key type: an RSA public key must never verify an HMAC",
    "expired": "require and check exp",
    "other-issuer": "check iss (and aud) against the fleet's issuer",
    "tampered-tenant": "verify the signature over the whole payload before reading any claim",
    "unknown-key": "verify only with keys of the fleet's JWKS",
}


@CHECKS.register(
    "TENANCY-SPOOFED-HEADER",
    applies=declares_tenancy,
    area=AREA,
    needs="tenancy-tokens",
    claim="a tenant header that disagrees with the token is refused (403), or ignored where the fleet reads none: "
    "never another tenant's data",
)
def spoofed_header(ctx: CheckContext, observation: TokenObservation) -> Iterator[Finding | Judged]:
    answer = observation.spoof
    if answer is None:
        raise NotApplicable("; ".join(w for a, w in observation.not_sent if a == "spoof") or "no spoofed request")
    leaked = foreign_canaries(answer, observation.canaries)
    said = f"{ctx.service.name} {answer.request_line()} with {observation.spoof_header} of another tenant"
    if leaked:
        yield Finding(
            "TENANCY-SPOOFED-HEADER",
            ctx.service.name,
            expected="never the header's tenant's data",
            observed=f"{said} answered {answer.status} with that tenant's canary {leaked[0]}",
            hint="take the tenant from the verified token only",
            evidence=(("response", _excerpt(answer)),),
        )
    elif observation.spoof_mode == "refuse" and answer.status != 403:
        yield Finding(
            "TENANCY-SPOOFED-HEADER",
            ctx.service.name,
            expected="403: the header disagrees with the token",
            observed=f"{said} answered {answer.status}",
            hint="compare the header with the token's tenant and refuse a mismatch with 403",
            evidence=(("response", _excerpt(answer)),),
        )
    yield Judged(1, "spoofed tenant headers")


def _finding(
    check_id: str, ctx: CheckContext, probe: Probe, observed: str, expected: str, hint: str, *extra: tuple[str, str]
) -> Finding:
    return Finding(
        check_id, ctx.service.name, expected=expected, observed=observed, hint=hint, evidence=_evidence(probe, *extra)
    )
