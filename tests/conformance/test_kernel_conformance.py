"""The kernel changes the conformance suite asked for, without servers: the OpenAPI document documents the kernel's
problem+json errors, a value the database cannot take is a 400 (not a 500), and a handler's plain-text error becomes
problem+json."""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post, put
from litestar.di import NamedDependency  # noqa: TC002 - Litestar reads annotations at runtime
from litestar.enums import MediaType
from litestar.params import FromPath, JSONBody  # noqa: TC002 - Litestar reads annotations at runtime
from litestar.testing import TestClient
from sqlalchemy.exc import DBAPIError

from reference_services.kernel import Principal, ServiceConfig, ServiceMetrics, create_app


class _DriverError(Exception):
    """Stands in for asyncpg's adapter error; its cause is what asyncpg raises when it cannot encode a parameter."""


@get("/public", sync_to_thread=False)
def public() -> dict[str, str]:
    return {"ok": "yes"}


@post("/things", sync_to_thread=False)
def create_thing(data: JSONBody[dict[str, Any]], principal: NamedDependency[Principal]) -> dict[str, Any]:
    return data


@put("/settings/{key:str}", sync_to_thread=False)
def put_setting(key: FromPath[str], data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
    return {"key": key, **data}


@get("/overflow", sync_to_thread=False)
def overflow() -> None:
    cause = ValueError("invalid input for query argument $3: 10**21 (value out of int64 range)")
    error = _DriverError("invalid input for query argument $3")
    error.__cause__ = cause
    raise DBAPIError("SELECT ... OFFSET $3", {}, error)


@get("/lost", sync_to_thread=False)
def lost() -> None:
    raise DBAPIError("SELECT 1", {}, _DriverError("connection was closed in the middle of operation"))


@post("/plain", sync_to_thread=False)
def plain() -> Response[str]:
    return Response("Unable to parse request body as JSON", status_code=400, media_type=MediaType.TEXT)


def _client() -> TestClient[Any]:
    config = ServiceConfig.from_env("demo", environ={"FLEET_SERVICE_PORT": "8000"})
    app = create_app(config=config, route_handlers=[public, create_thing, put_setting, overflow, lost, plain],
                     metrics=ServiceMetrics("demo"), database=None, dependencies=[])  # fmt: skip
    return TestClient(app, raise_server_exceptions=False)


def _document() -> dict[str, Any]:
    with _client() as client:
        response = client.get("/schema/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def test_openapi_documents_problem_json_errors_on_every_operation() -> None:
    paths = _document()["paths"]
    for path, method in (("/public", "get"), ("/things", "post"), ("/settings/{key}", "put")):
        responses = paths[path][method]["responses"]
        for status in ("400", "404", "409", "422"):
            assert list(responses[status]["content"]) == ["application/problem+json"], (path, method, status)


def test_openapi_documents_401_403_and_bearer_only_where_a_token_is_verified() -> None:
    paths = _document()["paths"]
    assert {"401", "403"} <= set(paths["/things"]["post"]["responses"])
    assert paths["/things"]["post"]["security"] == [{"bearer": []}]
    assert "401" not in paths["/public"]["get"]["responses"]
    assert "security" not in paths["/public"]["get"]


def test_openapi_documents_413_on_body_routes_and_201_on_put() -> None:
    paths = _document()["paths"]
    assert "413" in paths["/things"]["post"]["responses"]
    assert "413" not in paths["/public"]["get"]["responses"]
    assert "201" in paths["/settings/{key}"]["put"]["responses"]


def test_a_value_the_database_cannot_take_is_a_400_problem() -> None:
    with _client() as client:
        response = client.get("/overflow")
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "int64" not in response.text  # the driver's words stay in the log


def test_other_database_errors_stay_500() -> None:
    with _client() as client:
        response = client.get("/lost")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_plain_text_error_from_a_handler_becomes_problem_json() -> None:
    with _client() as client:
        response = client.post("/plain")
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"] == "Unable to parse request body as JSON"
