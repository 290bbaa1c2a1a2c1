"""The isolation matrix observer (area ``tenancy``): plant canaries as two tenants, then try every cross-tenant call.

Generated, not hand-listed: the fleet file declares each service's tenant-scoped resources (how to create one, with
``{canary}`` in its text fields); the service's OpenAPI document says which methods its item path and the
sub-resources under it answer (``GET /files/{id}/content``, ``POST /tasks/{id}/complete``) and which query
parameters its lists take; the gateway's GraphQL schema (introspected) says which queries take an id and which list,
and which mutations take an id (sent as the other tenant, the owner re-reading the resource around each) or create.
For each resource the owner (the target's tenant) creates one and the other tenant (``other_tenant``) then reads,
updates, deletes, calls every sub-resource and action on it, each also on an id that does not exist, and lists every
route with pages of several sizes; the owner re-reads the resource around each write. Forged tokens and a spoofed
tenant header go to one tenant-scoped route per service. Where the target gives database access, a cross-tenant
read is tried layer by layer (defence in depth). Nothing here judges: ``fleetcheck.contracts.tenancy`` does.

Example:
    >>> observed = observe_target(target, ["master-data"], print)  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from fleetcheck.contracts.tenancy import LayerProbe, Probe, TenancyObservation, TokenObservation, canary_for
from fleetcheck.observe import exchange, observe_client
from fleetcheck.steps import StepContext, StepsNotPossible, not_as_declared, resolve, run_sequence

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

    import httpx

    from fleetcheck.contracts.fleet import Fleet, ServiceSpec, TenantResourceSpec
    from fleetcheck.contracts.observations import HttpExchange
    from fleetcheck.targets import Credentials, Endpoint, Target

__all__ = ["TENANCY_KINDS", "Tenant", "observe_target", "tenants_of"]

TENANCY_KINDS = frozenset({"tenancy", "tenancy-tokens"})
Observed = dict[tuple[str, str], tuple[list[Any], list[str]]]
_PARAM = re.compile(r"\{[^}]+\}")
_ITEM_METHODS = ("GET", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True, slots=True)
class Tenant:
    """A tenant the matrix acts as: its id and a bearer token."""

    id: str
    token: str

    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def tenants_of(credentials: Credentials) -> tuple[Tenant, Tenant] | str:
    """The owner and the other tenant of a target, or why there are not two (a string)."""
    if not (credentials.tenant_token and credentials.tenant_id):
        return f"the matrix needs a tenant's token: {credentials.missing_reason or 'the target gives none'}"
    if not (credentials.other_tenant_token and credentials.other_tenant_id):
        return "the matrix needs a second tenant: give credentials.other_tenant in the target file"
    return Tenant(credentials.tenant_id, credentials.tenant_token), Tenant(
        credentials.other_tenant_id, credentials.other_tenant_token
    )


class _AsTenant:
    """The target as seen by steps run for ``tenant``: its token and id are the tenant's (``other_tenant`` swapped)."""

    def __init__(self, target: Target, tenant: Tenant, other: Tenant) -> None:
        self._target, self._tenant, self._other = target, tenant, other

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)

    @property
    def credentials(self) -> Credentials:
        given = self._target.credentials
        fields = dict(given.tenant_fields) if given.tenant_id == self._tenant.id else {}
        return replace(
            given,
            tenant_token=self._tenant.token,
            tenant_id=self._tenant.id,
            tenant_fields=tuple(sorted((fields | {"id": self._tenant.id, "tenant_id": self._tenant.id}).items())),
            other_tenant_token=self._other.token,
            other_tenant_id=self._other.id,
        )


@dataclass(slots=True)
class _Created:
    """One resource a tenant created: its id, its paths filled in, its canary."""

    spec: TenantResourceSpec
    id: str
    item: str
    collection: str
    canary: str
    bindings: dict[str, Any]


@dataclass(slots=True)
class _Matrix:
    """What one run of the matrix collects, across services (the gateway's GraphQL cells use every service's ids)."""

    target: Target
    owner: Tenant
    other: Tenant
    client: httpx.Client
    canaries: dict[str, list[str]] = field(default_factory=dict)
    created: list[tuple[str, _Created]] = field(default_factory=list)
    #: services' matrices run in threads at once; the canaries are read while others are planted
    lock: threading.Lock = field(default_factory=threading.Lock)

    def canary(self, tenant: Tenant) -> str:
        value = canary_for(tenant.id, secrets.token_hex(6))
        with self.lock:
            self.canaries.setdefault(tenant.id, []).append(value)
        return value

    def frozen_canaries(self) -> dict[str, tuple[str, ...]]:
        with self.lock:
            return {t: tuple(cs) for t, cs in self.canaries.items()}


# ---- OpenAPI: which methods and sub-resources an item path has --------------------------------------------------


def _shape(path: str) -> str:
    return _PARAM.sub("{}", path.rstrip("/"))


def _openapi(client: httpx.Client, endpoint: Endpoint, spec: ServiceSpec) -> dict[str, Any] | None:
    """The ``paths`` of the service's OpenAPI document, keyed by shape under ``api_base``; None without one."""
    if spec.tenancy.openapi is None:
        return None
    answer = exchange(client, "GET", endpoint.url(spec.tenancy.openapi))
    try:
        paths = json.loads(answer.body)["paths"]
    except (ValueError, KeyError, TypeError):
        return None
    base = spec.api_base.rstrip("/")
    return {_shape(p if p.startswith(base) else f"{base}{p}"): ops for p, ops in paths.items()}


def _openapi_paths(document: dict[str, Any] | None) -> dict[str, set[str]] | None:
    """``shape -> methods`` of the document's item and sub-resource operations."""
    if document is None:
        return None
    return {shape: {m.upper() for m in ops if m.upper() in {*_ITEM_METHODS, "POST"}} for shape, ops in document.items()}


def _item_calls(created: _Created, spec: ServiceSpec, paths: dict[str, set[str]] | None) -> list[tuple[str, str, str]]:
    """``(call, method, path)`` for every call on the item: its own methods, sub-resource GETs, POST actions."""
    resource = created.spec
    item_shape = _shape(spec.route(resource.item or f"{resource.create_request.path}/{{id}}"))
    methods: set[str]
    if paths is None:
        methods = set(resource.methods if resource.methods is not None else ("GET",))
        subs = {f"{item_shape}{s}": {"GET"} for s in resource.sub_resources}
        subs |= {f"{item_shape}{a}": {"POST"} for a in resource.actions}
    else:
        methods = paths.get(item_shape, set())
        depth = item_shape.count("{}")
        subs = {p: m for p, m in paths.items() if p.startswith(item_shape + "/") and p.count("{}") == depth}
    calls: list[tuple[str, str, str]] = [(_CALL_OF[m], m, created.item) for m in _ITEM_METHODS if m in methods]
    for shape, sub_methods in sorted(subs.items()):
        path = created.item + shape[len(item_shape) :]
        calls += [
            (kind, method, path) for kind, method in (("sub-read", "GET"), ("action", "POST")) if method in sub_methods
        ]
    return calls


_CALL_OF = {"GET": "read", "PUT": "update", "PATCH": "update", "DELETE": "delete"}


def _list_params(created: _Created, queries: Mapping[str, list[str]]) -> list[dict[str, str]]:
    """Query strings to try on the list route: no parameters, the smallest and the largest page, a second page, and
    each declared filter (with the owner's values, so a filter that skips the tenant shows itself)."""
    resource = created.spec
    size, offset = resource.page_params or _page_params(queries.get(_shape(created.collection), []))
    tries: list[dict[str, str]] = [{}]
    if size:
        tries += [{size: "1"}, {size: str(resource.max_page)}]
        if offset:
            tries.append({size: "1", offset: "1" if offset != "page" else "2"})
    for name, value in resource.list_params.items():
        tries.append({name: str(resolve(value, created.bindings | {"id": created.id}))})
    return tries


def _page_params(names: list[str]) -> tuple[str | None, str | None]:
    size = next((n for n in ("limit", "size", "page_size", "per_page") if n in names), None)
    offset = next((n for n in ("offset", "page", "skip") if n in names), None)
    return size, offset


def _query_names(document: dict[str, Any] | None) -> dict[str, list[str]]:
    """``shape -> query parameter names`` of each GET in the OpenAPI document (for the page parameters)."""
    return {
        shape: [q["name"] for q in ops["get"].get("parameters", []) if q.get("in") == "query"]
        for shape, ops in (document or {}).items()
        if "get" in ops
    }


# ---- creating the canary resources ----------------------------------------------------------------------------


def _create(matrix: _Matrix, spec: ServiceSpec, resource: TenantResourceSpec, tenant: Tenant) -> _Created | str:
    other = matrix.other if tenant is matrix.owner else matrix.owner
    canary = matrix.canary(tenant)
    as_tenant: Any = _AsTenant(matrix.target, tenant, other)
    ctx = StepContext(matrix.client, as_tenant, spec, bindings={"canary": canary})
    try:
        runs = run_sequence(resource.create, ctx)
    except StepsNotPossible as exc:
        return str(exc)
    refused = not_as_declared(runs)
    if refused or "id" not in ctx.bindings:
        return "; ".join(refused) or f"creating {resource.name} saved no id"
    bindings = dict(ctx.bindings)
    the_id = str(bindings["id"])
    item = str(resolve(spec.route(resource.item or f"{resource.create_request.path}/{{id}}"), bindings))
    collection = spec.route(str(resolve(resource.list_route or resource.create_request.path, bindings)))
    return _Created(resource, the_id, item, collection, canary, bindings)


# ---- the REST cells ---------------------------------------------------------------------------------------------


def _send(
    matrix: _Matrix,
    endpoint: Endpoint,
    method: str,
    path: str,
    tenant: Tenant | None,
    body: Any = None,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
) -> HttpExchange:
    sent = dict(tenant.bearer() if tenant is not None else {}) | dict(headers or {})
    url = endpoint.url(path)
    if params:
        url += ("&" if "?" in url else "?") + "&".join(f"{k}={v}" for k, v in params.items())
    json_body = body if method in ("POST", "PUT", "PATCH") else None
    return exchange(matrix.client, method, url, headers=sent, json_body=json_body)


def _foreign_probe(
    matrix: _Matrix,
    call: str,
    resource: str,
    foreign_id: str,
    answers: tuple[HttpExchange, HttpExchange, str],
    **rest: Any,
) -> Probe:
    """The other tenant's ``call`` on the owner's ``foreign_id``: its answer, the answer on a missing id and that id
    (``answers``); ``rest`` are the probe's other fields (the owner's re-reads, the attacker's canary)."""
    answer, missing, missing_id = answers
    return Probe(call, resource, matrix.other.id, matrix.owner.id, answer, missing, foreign_id, missing_id, **rest)


def _update_body(resource: TenantResourceSpec, canary: str) -> dict[str, Any]:
    """The wrong-tenant update: the declared one, else every create field that held ``{canary}``, now the attacker's."""
    template = resource.update
    if template is None:
        created = resource.create_request.json_body if isinstance(resource.create_request.json_body, dict) else {}
        template = {k: v for k, v in created.items() if isinstance(v, str) and "{canary}" in v}
    return resolve(template, {"canary": canary})  # type: ignore[no-any-return]


def _watched(resource: TenantResourceSpec) -> tuple[str, ...]:
    if resource.unchanged:
        return resource.unchanged
    body = resource.create_request.json_body
    return tuple(k for k, v in body.items() if isinstance(v, str) and "{canary}" in v) if isinstance(body, dict) else ()


def _rest_cells(
    matrix: _Matrix,
    endpoint: Endpoint,
    spec: ServiceSpec,
    created: _Created,
    paths: dict[str, set[str]] | None,
    queries: dict[str, list[str]],
) -> list[Probe]:
    owner, other = matrix.owner, matrix.other
    probes = [
        Probe("owner-read", created.spec.name, owner.id, owner.id, _send(matrix, endpoint, "GET", created.item, owner))
    ]
    missing_id = str(uuid.uuid4())
    calls = _item_calls(created, spec, paths)
    # reads first, writes after, the delete last: every cell sees the resource as created
    order = {"read": 0, "sub-read": 1, "update": 2, "action": 3, "delete": 4}
    for call, method, path in sorted(calls, key=lambda c: order[c[0]]):
        attacker_canary = matrix.canary(other) if call in ("update", "action") else ""
        body = _update_body(created.spec, attacker_canary) if call == "update" else None
        if call == "action":
            action = path[len(created.item) :]
            body = resolve(created.spec.actions.get(action, {}), {"canary": attacker_canary})
        before = _send(matrix, endpoint, "GET", created.item, owner) if call in ("update", "delete", "action") else None
        answer = _send(matrix, endpoint, method, path, other, body)
        after = _send(matrix, endpoint, "GET", created.item, owner) if before is not None else None
        missing = _send(matrix, endpoint, method, path.replace(created.id, missing_id), other, body)
        probes.append(
            _foreign_probe(
                matrix,
                call,
                created.spec.name,
                created.id,
                (answer, missing, missing_id),
                before=before,
                after=after,
                attacker_canary=attacker_canary,
                watched=_watched(created.spec),
            )
        )
    for params in _list_params(created, queries) if created.spec.listed else ():
        for tenant in (other, owner):
            answer = _send(matrix, endpoint, "GET", created.collection, tenant, params=params)
            probes.append(Probe("list", created.spec.name, tenant.id, "", answer))
    return probes


# ---- GraphQL through the gateway -----------------------------------------------------------------------------------

_TYPE_REF = "type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }"
_INTROSPECTION = f"""{{ __schema {{ queryType {{ name }} mutationType {{ name }} types {{ name kind
  fields {{ name args {{ name defaultValue {_TYPE_REF} }} {_TYPE_REF} }}
  inputFields {{ name defaultValue {_TYPE_REF} }} enumValues {{ name }} }} }} }}"""
#: mutations that remove what they name: sent after every other mutation of a resource
_DESTRUCTIVE = re.compile(r"^(delete|remove|destroy|purge|archive|drop)", re.IGNORECASE)
_SCALAR_VALUES: dict[str, Any] = {"Int": 1, "Float": 1.0, "Boolean": False}


def _named(type_ref: dict[str, Any]) -> tuple[str, str]:
    while type_ref.get("ofType"):
        type_ref = type_ref["ofType"]
    return str(type_ref.get("kind")), str(type_ref.get("name"))


def _required(arg: dict[str, Any]) -> bool:
    return bool(arg["type"].get("kind") == "NON_NULL") and arg.get("defaultValue") is None


def _type_string(type_ref: dict[str, Any]) -> str:
    """A variable's declared type: ``ID!``, ``[String!]``."""
    if type_ref.get("kind") == "NON_NULL":
        return _type_string(type_ref["ofType"]) + "!"
    if type_ref.get("kind") == "LIST":
        return f"[{_type_string(type_ref['ofType'])}]"
    return str(type_ref.get("name"))


@dataclass(frozen=True, slots=True)
class _GraphqlField:
    """A query or mutation field of the schema: its name, what it returns, the selection of that type's scalars."""

    name: str
    returns: str
    selection: str
    args: tuple[dict[str, Any], ...]

    def document(self, operation: str, variables: Mapping[str, str]) -> str:
        """``operation (...) { name(...) { selection } }`` over ``variables`` (name -> declared type)."""
        declared = ", ".join(f"${n}: {t}" for n, t in variables.items())
        passed = ", ".join(f"{n}: ${n}" for n in variables)
        selection = f" {{ {self.selection} }}" if self.selection else ""
        if not variables:
            return f"{operation} {{ {self.name}{selection} }}"
        return f"{operation} ({declared}) {{ {self.name}({passed}){selection} }}"


@dataclass(frozen=True, slots=True)
class _Schema:
    """What the matrix sends through GraphQL, from an introspected schema."""

    types: Mapping[str, Any]
    by_id: list[_GraphqlField]
    lists: list[_GraphqlField]
    #: mutations that take an ``id`` (update, delete and the like)
    mutations: list[_GraphqlField]
    #: mutations named ``create...`` that return an object: the caller's token alone says whose it is
    creates: list[_GraphqlField] = field(default_factory=list)


def _root_fields(types: Mapping[str, Any], root: Mapping[str, Any] | None) -> Iterator[_GraphqlField]:
    for fld in (types.get(root["name"], {}).get("fields") if root else None) or ():
        kind, name = _named(fld["type"])
        scalars = [
            f["name"] for f in (types.get(name, {}).get("fields") or ()) if _named(f["type"])[0] in ("SCALAR", "ENUM")
        ]
        if not fld["name"].startswith("__"):
            yield _GraphqlField(fld["name"], name, " ".join(scalars) if kind == "OBJECT" else "", tuple(fld["args"]))


def _graphql_schema(schema: dict[str, Any]) -> _Schema:
    """Query fields with an ``id`` argument and a selection (by id), fields with no required argument (lists),
    mutations with an ``id`` argument, and create mutations."""
    types = {t["name"]: t for t in schema["types"]}
    by_id, lists = [], []
    for fld in _root_fields(types, schema["queryType"]):
        if not fld.selection:
            continue
        args = {a["name"]: a for a in fld.args}
        if "id" in args and not [a for n, a in args.items() if n != "id" and _required(a)]:
            by_id.append(fld)
        elif not [a for a in fld.args if _required(a)]:
            lists.append(fld)
    roots = list(_root_fields(types, schema.get("mutationType")))
    mutations = [m for m in roots if "id" in {a["name"] for a in m.args}]
    mutations.sort(key=lambda m: bool(_DESTRUCTIVE.match(m.name)))
    creates = [m for m in roots if m not in mutations and m.selection and m.name.startswith("create")]
    return _Schema(types, by_id, lists, mutations, creates)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _value(types: Mapping[str, Any], type_ref: dict[str, Any], marker: str, watched: tuple[str, ...]) -> Any:
    """A value of the argument's type: the marker for text, the first enum value, an input object filled in."""
    kind, name = _named(type_ref)
    if kind == "ENUM":
        value: Any = ((types.get(name, {}).get("enumValues") or [{}])[0]).get("name")
    elif kind == "INPUT_OBJECT":
        value = _input_object(types, name, marker, watched)
    elif name == "ID":
        value = str(uuid.uuid4())
    else:
        value = _SCALAR_VALUES.get(name, marker)
    ref = type_ref
    while ref.get("ofType"):  # a list of them: one
        value = [value] if ref.get("kind") == "LIST" else value
        ref = ref["ofType"]
    return value


def _input_object(types: Mapping[str, Any], name: str, marker: str, watched: tuple[str, ...]) -> dict[str, Any]:
    """The input's required fields; the marker in its text fields the resource's re-read watches (else in its first
    text field), so a write that went through shows in the owner's re-read."""
    fields = types.get(name, {}).get("inputFields") or ()
    value = {f["name"]: _value(types, f["type"], marker, watched) for f in fields if _required(f)}
    text = [f["name"] for f in fields if _named(f["type"]) == ("SCALAR", "String")]
    if marker not in value.values():
        value |= dict.fromkeys([n for n in text if _snake(n) in watched] or text[:1], marker)
    return value


def _mutation_variables(
    schema: _Schema, mutation: _GraphqlField, the_id: str, marker: str, watched: tuple[str, ...]
) -> tuple[dict[str, str], dict[str, Any]]:
    """``(declared types, values)`` of a mutation on ``the_id``: every required argument and every input object."""
    declared, values = {}, {}
    for arg in mutation.args:
        if arg["name"] == "id":
            declared["id"], values["id"] = _type_string(arg["type"]), the_id
        elif _required(arg) or _named(arg["type"])[0] == "INPUT_OBJECT":
            declared[arg["name"]] = _type_string(arg["type"])
            values[arg["name"]] = _value(schema.types, arg["type"], marker, watched)
    return declared, values


def _resolves(mutation: _GraphqlField, type_name: str) -> bool:
    """Whether a mutation acts on objects of ``type_name``: it returns one, or its name is a verb and that type
    (``deleteCustomer`` on ``Customer``)."""
    noun = re.sub(r"^[a-z]+", "", mutation.name)
    return type_name in (mutation.returns, noun)


def _graphql(
    matrix: _Matrix,
    endpoint: Endpoint,
    path: str,
    tenant: Tenant,
    query: str,
    variables: Mapping[str, Any] | None = None,
) -> HttpExchange:
    body = {"query": query, "variables": dict(variables or {})}
    return exchange(matrix.client, "POST", endpoint.url(path), headers=tenant.bearer(), json_body=body)


def _graphql_cells(matrix: _Matrix, endpoint: Endpoint, path: str) -> tuple[list[Probe], list[str]]:
    introspected = _graphql(matrix, endpoint, path, matrix.owner, _INTROSPECTION)
    try:
        schema = _graphql_schema(json.loads(introspected.body)["data"]["__schema"])
    except (ValueError, KeyError, TypeError):
        return [], [f"the gateway's introspection at {path} answered {introspected.status}: not a schema"]
    owner, other, probes = matrix.owner, matrix.other, []
    resolved: list[tuple[str, str, _Created]] = []  # (type, service, resource) a by-id query resolves
    for fld in schema.by_id:
        query = fld.document("query", {"id": "ID!"})
        for service, created in matrix.created:
            mine = _graphql(matrix, endpoint, path, owner, query, {"id": created.id})
            if created.canary not in mine.body.decode("utf-8", "replace"):
                continue  # this query does not resolve this resource
            resolved.append((fld.returns, service, created))
            probes.append(Probe("owner-read", f"graphql {fld.name}", owner.id, owner.id, mine, graphql_field=fld.name))
            missing_id = str(uuid.uuid4())
            answer = _graphql(matrix, endpoint, path, other, query, {"id": created.id})
            missing = _graphql(matrix, endpoint, path, other, query, {"id": missing_id})
            probes.append(
                _foreign_probe(
                    matrix,
                    "graphql-by-id",
                    f"graphql {fld.name}",
                    created.id,
                    (answer, missing, missing_id),
                    graphql_field=fld.name,
                )
            )
    # a create as the other tenant, then both tenants' lists: the owner's must not hold what the other created
    for fld in schema.creates:
        declared, variables = _mutation_variables(schema, fld, "", matrix.canary(other), ())
        answer = _graphql(matrix, endpoint, path, other, fld.document("mutation", declared), variables)
        probes.append(Probe("graphql-create", f"graphql {fld.name}", other.id, "", answer, graphql_field=fld.name))
    for fld in schema.lists:
        limit = "(limit: 500)" if "limit" in {a["name"] for a in fld.args} else ""
        for tenant in (other, owner):
            answer = _graphql(matrix, endpoint, path, tenant, f"{{ {fld.name}{limit} {{ {fld.selection} }} }}")
            probes.append(Probe("graphql-list", f"graphql {fld.name}", tenant.id, "", answer, graphql_field=fld.name))
    # last: a write that went through must not change what the reads and lists above saw
    mutations, unpaired = _mutation_cells(matrix, endpoint, path, schema, resolved)
    return probes + mutations, unpaired


def _mutation_cells(
    matrix: _Matrix, endpoint: Endpoint, path: str, schema: _Schema, resolved: list[tuple[str, str, _Created]]
) -> tuple[list[Probe], list[str]]:
    """Every mutation by id, as the other tenant, on each owner's resource of its type and on a missing id, with the
    owner's re-read of the resource (its own item route) before and after; mutations of no planted type are named."""
    owner, other, probes, unpaired = matrix.owner, matrix.other, [], []
    for mutation in schema.mutations:
        targets = [(service, created) for type_name, service, created in resolved if _resolves(mutation, type_name)]
        if not targets:
            unpaired.append(
                f"GraphQL mutation {mutation.name} takes an id, but no by-id query resolves a planted resource of "
                f"its type ({mutation.returns}): not sent"
            )
        for service, created in targets:
            owners = matrix.target.endpoints[service]
            marker, missing_id, watched = matrix.canary(other), str(uuid.uuid4()), _watched(created.spec)
            declared, variables = _mutation_variables(schema, mutation, created.id, marker, watched)
            document = mutation.document("mutation", declared)
            before = _send(matrix, owners, "GET", created.item, owner)
            answer = _graphql(matrix, endpoint, path, other, document, variables)
            after = _send(matrix, owners, "GET", created.item, owner)
            missing = _graphql(matrix, endpoint, path, other, document, variables | {"id": missing_id})
            probes.append(
                _foreign_probe(
                    matrix,
                    "graphql-mutation",
                    f"{created.spec.name} (GraphQL mutation {mutation.name})",
                    created.id,
                    (answer, missing, missing_id),
                    before=before,
                    after=after,
                    graphql_field=mutation.name,
                    attacker_canary=marker,
                    watched=watched,
                )
            )
    return probes, unpaired


# ---- tokens and the tenant header ---------------------------------------------------------------------------------


def _token_cells(matrix: _Matrix, endpoint: Endpoint, spec: ServiceSpec, route: str) -> TokenObservation:
    from fleetcheck._forged_tokens import forged_tokens

    fleet: Fleet = matrix.target.fleet
    credentials = matrix.target.credentials
    public_key = _jwks_key(matrix, fleet)
    tokens, not_sent = forged_tokens(
        matrix.owner.token,
        fleet.tenancy.tokens,
        fleet.auth.tenant_claim,
        matrix.other.id,
        public_key=public_key,
        signing_key=credentials.signing_key,
        signing_kid=credentials.signing_kid,
    )
    # a GraphQL endpoint is attacked with a POST of the smallest query; a REST route with a GET
    method, body = (
        ("POST", {"query": "{ __typename }"}) if spec.tenancy.graphql and not spec.tenancy.probe else ("GET", None)
    )
    attacks = []
    for attack, token in tokens:
        headers = {"Authorization": token} if token is not None else {}
        attacks.append((attack, _send(matrix, endpoint, method, route, None, body, headers=headers)))
    header = fleet.tenancy.tenant_header
    spoof = None
    if header is None:
        not_sent.append(("spoof", "the fleet file declares no tenant header (tenancy.tenant_header: null)"))
    else:
        spoof = _send(matrix, endpoint, method, route, matrix.owner, body, headers={header: matrix.other.id})
    return TokenObservation(
        spec.name,
        route,
        tuple(attacks),
        tuple(not_sent),
        spoof,
        header or "",
        fleet.tenancy.header_mismatch,
        tuple(matrix.canaries.get(matrix.other.id, ())),
    )


def _jwks_key(matrix: _Matrix, fleet: Fleet) -> dict[str, Any] | None:
    where = fleet.tenancy.tokens.jwks
    if not where:
        return None
    service, _, path = where.partition(" ")
    endpoint = matrix.target.endpoints.get(service)
    if endpoint is None:
        return None
    answer = exchange(matrix.client, "GET", endpoint.url(path))
    with contextlib.suppress(ValueError, KeyError, IndexError, TypeError):
        return dict(json.loads(answer.body)["keys"][0])
    return None


# ---- defence in depth ---------------------------------------------------------------------------------------------


def _layers(matrix: _Matrix, endpoint: Endpoint, service: str, created: list[_Created]) -> list[LayerProbe]:
    from fleetcheck._tenancy_layers import layer_access

    access = layer_access(matrix.target, service)
    setting = matrix.target.fleet.tenancy.setting
    found = []
    for item in created:
        table = item.spec.table
        if table is None:
            continue
        if isinstance(access, str):
            found.append(LayerProbe(item.spec.name, table, None, None, rls_note=access))
            continue
        rls, rls_note = access.rls_hides(table, item.id, setting, owner=matrix.owner.id, other=matrix.other.id)
        app, app_note, answer = None, access.owner_missing, None
        if access.can_disable:

            def read(path: str = item.item) -> HttpExchange:
                return _send(matrix, endpoint, "GET", path, matrix.other)

            with access.rls_disabled(table):
                answer = read()
            app, app_note = answer.status == matrix.target.fleet.tenancy.foreign_status, ""
        found.append(LayerProbe(item.spec.name, table, rls, app, rls_note, app_note, answer))
    return found


# ---- the runner's hook --------------------------------------------------------------------------------------------


#: services whose matrices run at once: each mostly waits on its service (and argon2 in auth for the tokens)
PARALLEL_SERVICES = 3


def observe_target(
    target: Target, services: Sequence[str], say: Callable[[str], None]
) -> tuple[Observed, dict[str, str]]:
    """Every tenancy observation of ``services`` (both kinds each), as the runner's slots, and the services whose
    observation failed (service -> the error: a bug in fleetcheck or a target it cannot read).

    The matrices of up to :data:`PARALLEL_SERVICES` services run at once, the gateways' (GraphQL, with every other
    service's ids) after the rest; then, one service at a time, the reads with RLS off (defence in depth): such a read
    may leave what it saw in a service's cache (bazaar's Redis keeps it 60 s), and a table with RLS off for a moment
    must not be what another service's cell reads through it (import-export reads master-data), so no cell of the
    matrix runs meanwhile or after.
    """
    tenants = tenants_of(target.credentials)
    if isinstance(tenants, str):
        return {(s, k): ([], [tenants]) for s in services for k in TENANCY_KINDS}, {}
    observed: Observed = {}
    failed: dict[str, str] = {}
    staged: dict[str, _Cells] = {}
    with observe_client(15.0) as client:
        matrix = _Matrix(target, *tenants, client)
        gateways = [s for s in services if target.fleet.service(s).tenancy.graphql]

        def cells(service: str) -> None:
            say(f"sending the isolation matrix to {service}")
            try:
                staged[service] = _matrix_cells(matrix, service)
            except Exception as exc:  # one service's observer failure must not hide the others' results
                failed[service] = f"fleetcheck could not observe the tenancy of {service}: {exc!r}"

        for group in ([s for s in services if s not in gateways], gateways):
            with ThreadPoolExecutor(max_workers=PARALLEL_SERVICES, thread_name_prefix="fleetcheck-tenancy") as pool:
                list(pool.map(cells, group))
        for service in services:
            if service in staged:
                try:
                    observed.update(_slots(matrix, staged[service]))
                except Exception as exc:  # see above
                    failed[service] = f"fleetcheck could not observe the tenancy of {service}: {exc!r}"
    return observed, failed


@dataclass(slots=True)
class _Cells:
    """One service's matrix cells, before the reads with RLS off."""

    service: str
    probes: list[Probe]
    not_created: list[tuple[str, str]]
    made: list[_Created]
    missing: list[str]
    tokens: TokenObservation | None


def _matrix_cells(matrix: _Matrix, service: str) -> _Cells:
    target, spec = matrix.target, matrix.target.fleet.service(service)
    endpoint = target.endpoints[service]
    document = _openapi(matrix.client, endpoint, spec)
    paths, queries = _openapi_paths(document), _query_names(document)
    probes: list[Probe] = []
    not_created: list[tuple[str, str]] = []
    made: list[_Created] = []
    for resource in spec.tenancy.resources:
        outcome = _create(matrix, spec, resource, matrix.owner)
        if isinstance(outcome, str):
            not_created.append((resource.name, outcome))
            continue
        # the other tenant's own canary row, so lists have something of each tenant to leak
        _create(matrix, spec, resource, matrix.other)
        made.append(outcome)
        matrix.created.append((service, outcome))
    missing = [f"resource {name}: {why}" for name, why in not_created]
    for created in made:
        cells = _rest_cells(matrix, endpoint, spec, created, paths, queries)
        own = cells[0].exchange
        if not 200 <= own.status < 300:  # the matrix judges nothing true of a resource its owner cannot read
            missing.append(
                f"resource {created.spec.name}: the owner's own {own.request_line()} answered {own.status}; "
                f"declare its item path (services[{service}].tenancy.resources[].item)"
            )
        probes += cells
    if spec.tenancy.graphql:
        graphql, why = _graphql_cells(matrix, endpoint, spec.route(spec.tenancy.graphql))
        probes += graphql
        missing += why
    route = _probe_route(spec, made)
    tokens = None if route is None else _token_cells(matrix, endpoint, spec, route)
    return _Cells(service, probes, not_created, made, missing, tokens)


def _slots(matrix: _Matrix, cells: _Cells) -> Observed:
    """The service's slots, once its reads with RLS off are done (the last requests of the matrix)."""
    service = cells.service
    spec = matrix.target.fleet.service(service)
    layers = _layers(matrix, matrix.target.endpoints[service], service, cells.made)
    consumed = tuple((r.name, r.consumed_from) for r in spec.tenancy.resources if r.consumed_from)
    slots: Observed = {}
    if cells.probes or cells.not_created:
        observation = TenancyObservation(
            service,
            matrix.frozen_canaries(),
            tuple(cells.probes),
            tuple(cells.not_created),
            consumed,
            tuple(layers),
        )
        slots[(service, "tenancy")] = ([observation], cells.missing)
    else:
        slots[(service, "tenancy")] = ([], [spec.tenancy.none_reason or _no_resources(service)])
    if cells.tokens is None:
        slots[(service, "tenancy-tokens")] = ([], [_no_probe(service)])
    else:
        slots[(service, "tenancy-tokens")] = ([cells.tokens], [])
    return slots


def _probe_route(spec: ServiceSpec, made: Iterable[_Created]) -> str | None:
    if spec.tenancy.probe:
        return spec.route(spec.tenancy.probe)
    if spec.tenancy.graphql:
        return spec.route(spec.tenancy.graphql)
    return next((c.collection for c in made), None)


def _no_resources(service: str) -> str:
    return (
        f"the fleet file declares no tenant-scoped resource for {service} (services[{service}].tenancy.resources, "
        "or none_reason to say why it has none)"
    )


def _no_probe(service: str) -> str:
    return f"no tenant-scoped route of {service} to send forged tokens to: declare services[{service}].tenancy.probe"
