"""Mutant: auth answers its errors as plain ``application/json`` ``{"error": ...}`` instead of problem+json (the
kernel's ``problem`` is replaced in auth's process only) -> the api-gateway's pact fails on its 401 interaction."""

from __future__ import annotations

from typing import Any

from litestar import Response

from reference_services.kernel import errors


def _not_a_problem(status: int, detail: str, *, headers: Any = None, **_extra: Any) -> Response[Any]:
    return Response(content={"error": detail}, status_code=status, media_type="application/json", headers=headers)


errors.problem = _not_a_problem  # type: ignore[assignment]

if __name__ == "__main__":
    from tests.mutants.serve import serve

    serve("auth")
