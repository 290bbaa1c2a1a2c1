"""Bad input on every write route of every reference service is refused with problem+json and stores nothing; valid
Bengali, emoji and SQL metacharacters are data, stored verbatim.

The refused cases: a body that is not JSON, a body over the kernel's 1 MiB limit (413), a field of the wrong JSON type.
After each one the route's listing (or the resource it would have changed) is read back to prove nothing was stored.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from _conformance_routes import BODYLESS_WRITES, WRITE_ROUTES, WriteRoute, marker

if TYPE_CHECKING:
    from collections.abc import Iterator

    from conftest import LiveFleet

pytestmark = pytest.mark.servers

KERNEL_BODY_LIMIT = 1_048_576
BENGALI_AND_EMOJI = "বাংলা পণ্য ৳১২৫ 🇧🇩🚚✅ ঢাকা"
SQL_METACHARACTERS = "'; DROP TABLE customers; --"
_ROUTE_IDS = [route.id for route in WRITE_ROUTES]
_WITH_TEXT = [route for route in WRITE_ROUTES if route.text]
_ITEM_ROUTES = [route for route in WRITE_ROUTES if "{id}" in route.path]


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=60.0) as opened:
        yield opened


class Writer:
    """Sends a route's requests with the right bearer and makes the resources its path and body refer to."""

    def __init__(self, fleet: LiveFleet, client: httpx.Client) -> None:
        self.fleet, self.client = fleet, client

    def send(self, service: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.fleet.bearer_for(service, path), **kwargs.pop("headers", {})}
        return self.client.request(method, self.fleet.url(service) + path, headers=headers, **kwargs)

    def parent(self, route: WriteRoute) -> str | None:
        if route.parent_route == "tenant":
            return self.fleet.tenant_id
        if route.parent_route is None:
            return None
        service, _, spec = route.parent_route.partition(":")
        return self.create(next(r for r in WRITE_ROUTES if r.id == f"{service}:{spec}"))

    def create(self, route: WriteRoute) -> str:
        """Create one resource through ``route`` (a create route) and return its id."""
        response = self.send(route.service, route.method, route.path, json=route.body(marker(), self.parent(route)))
        assert response.status_code == 201, f"setup: {route.id} answered {response.status_code}: {response.text[:300]}"
        return str(response.json()["id"])

    def path_of(self, route: WriteRoute, mark: str) -> str:
        """The concrete path: ``{mark}`` filled, ``{id}`` a fresh resource (or an unknown id with no creating route)."""
        path = route.path.replace("{mark}", mark)
        if "{id}" in path:
            made = self.create(self._target(route)) if route.target else str(uuid.uuid4())
            path = path.replace("{id}", made)
        return path

    def _target(self, route: WriteRoute) -> WriteRoute:
        return next(r for r in WRITE_ROUTES if r.id == f"{route.service}:{route.target}")

    def read_back(self, route: WriteRoute, path: str, written: dict[str, Any]) -> dict[str, Any]:
        """The stored resource: its item GET, or its entry in the listing where the service has no item GET."""
        read_path = path if "{id}" in route.path or "{mark}" in route.path else f"{path}/{written['id']}"
        stored = self.send(route.service, "GET", read_path)
        if stored.status_code == 404 and route.listing:
            listing = self.send(route.service, "GET", route.listing).json()
            return next((item for item in listing if item.get("id") == written["id"]), {route.text: "<not listed>"})
        assert stored.status_code == 200, f"GET {read_path}: {stored.status_code} {stored.text[:300]}"
        return dict(stored.json())

    def snapshot(self, route: WriteRoute, path: str, mark: str) -> Any:
        """What a refused request must leave unchanged: the resource written to, or the route's listing."""
        if "{mark}" in route.path:  # a PUT to a new key: nothing must exist there afterwards
            return self.send(route.service, "GET", path).status_code
        if route.target:
            return _without_noise(self.send(route.service, "GET", path.removesuffix("/complete")).json())
        if route.listing:
            listing = self.send(route.service, "GET", route.listing)
            assert listing.status_code == 200, f"{route.listing} answered {listing.status_code}"
            return mark in listing.text
        return None


@pytest.fixture(scope="module")
def writer(live_fleet: LiveFleet, client: httpx.Client) -> Writer:
    return Writer(live_fleet, client)


def _without_noise(body: Any) -> Any:
    return {k: v for k, v in body.items() if k not in {"updated_at"}} if isinstance(body, dict) else body


def assert_problem(response: httpx.Response, statuses: set[int], what: str) -> None:
    """A 4xx in ``statuses`` as problem+json with type/title/status/detail and no stack trace."""
    seen = f"{what}: {response.status_code} {response.headers.get('content-type')} {response.text[:400]}"
    assert response.status_code in statuses, f"expected one of {sorted(statuses)}; got {seen}"
    assert response.headers.get("content-type", "").startswith("application/problem+json"), seen
    body = response.json()
    assert {"type", "title", "status", "detail"} <= set(body), seen
    assert body["status"] == response.status_code, seen
    assert "Traceback" not in response.text, seen
    assert 'File "' not in response.text, seen


def _refused(writer: Writer, route: WriteRoute, statuses: set[int], make: Any) -> None:
    mark = marker()
    path = writer.path_of(route, mark)
    before = writer.snapshot(route, path, mark)
    content, headers = make(mark, writer.parent(route))
    response = writer.send(route.service, route.method, path, content=content, headers=headers)
    assert_problem(response, statuses, f"{route.method} {path}")
    after = writer.snapshot(route, path, mark)
    assert after == before, f"{route.id}: a refused request changed what is stored: {before!r} -> {after!r}"


_JSON = {"content-type": "application/json"}


@pytest.mark.parametrize("route", WRITE_ROUTES, ids=_ROUTE_IDS)
def test_garbage_json_is_refused(writer: Writer, route: WriteRoute) -> None:
    _refused(writer, route, {400, 422}, lambda mark, _p: (f'{{"code": "{mark}", "name": '.encode(), _JSON))


@pytest.mark.parametrize("route", WRITE_ROUTES, ids=_ROUTE_IDS)
def test_oversized_body_is_refused_with_413(writer: Writer, route: WriteRoute) -> None:
    def oversized(mark: str, parent: str | None) -> tuple[bytes, dict[str, str]]:
        body = route.body(mark, parent)
        body["padding"] = "x" * (KERNEL_BODY_LIMIT + 1024)
        return json.dumps(body).encode(), _JSON

    _refused(writer, route, {413}, oversized)


@pytest.mark.parametrize("route", WRITE_ROUTES, ids=_ROUTE_IDS)
def test_wrong_type_is_refused(writer: Writer, route: WriteRoute) -> None:
    def wrong(mark: str, parent: str | None) -> tuple[bytes, dict[str, str]]:
        field, value = route.wrong_type
        body = value if field == "" else {**route.body(mark, parent), field: value}
        return json.dumps(body).encode(), _JSON

    _refused(writer, route, {400, 401, 404, 422}, wrong)


@pytest.mark.parametrize("route", _ITEM_ROUTES, ids=[r.id for r in _ITEM_ROUTES])
def test_sql_metacharacters_in_an_id_are_a_404(writer: Writer, route: WriteRoute) -> None:
    path = route.path.replace("{id}", SQL_METACHARACTERS)
    response = writer.send(route.service, route.method, path, json=route.body(marker(), writer.parent(route)))
    assert_problem(response, {404}, f"{route.method} {path}")


@pytest.mark.parametrize("text", [BENGALI_AND_EMOJI, SQL_METACHARACTERS], ids=["bengali-emoji", "sql-metacharacters"])
@pytest.mark.parametrize("route", _WITH_TEXT, ids=[r.id for r in _WITH_TEXT])
def test_valid_text_round_trips_unchanged(writer: Writer, route: WriteRoute, text: str) -> None:
    mark = marker()
    path = writer.path_of(route, mark)
    assert route.text is not None
    response = writer.send(route.service, route.method, path, json={**route.body(mark, writer.parent(route)),
                                                                      route.text: text})  # fmt: skip
    assert response.status_code in {200, 201}, f"{route.method} {path}: {response.status_code} {response.text[:400]}"
    assert response.json()[route.text] == text, f"{route.id} answered {response.json()[route.text]!r}"
    stored = writer.read_back(route, path, response.json())
    assert stored[route.text] == text, f"{route.id}: read back {stored[route.text]!r}, sent {text!r}"
    if route.listing:  # the statement did not run as SQL: the listing still answers
        assert writer.send(route.service, "GET", route.listing).status_code == 200


def test_write_routes_cover_every_documented_write(openapi_documents: dict[str, dict[str, Any]]) -> None:
    covered = {route.id for route in WRITE_ROUTES} | BODYLESS_WRITES
    documented = {
        f"{service}:{method.upper()} {_generic(path)}"
        for service, document in openapi_documents.items()
        for path, item in document.get("paths", {}).items()
        for method in item
        if method in {"post", "put", "patch"}
    }
    covered_generic = {f"{key.partition(' ')[0]} {_generic(key.partition(' ')[2])}" for key in covered}
    missing = sorted(documented - covered_generic)
    assert not missing, f"write routes with no bad-input case (add them to tests/conformance/_routes.py): {missing}"


def _generic(path: str) -> str:
    """``/customers/{customer_id}`` and ``/customers/{id}`` compare equal; so do ``{key}`` and ``{mark}``."""
    return "/".join("{}" if part.startswith("{") or part == "fleetcheck" else part for part in path.split("/"))
