"""auth: a successful login leaves the failed-login count as it was (SPEC.md: it resets on success), so failures
spread over days of normal use lock a user out."""

from reference_services.auth import passwords, service
from tests.mutants.serve import serve


def _keep_count(state: passwords.LoginState) -> passwords.LoginState:
    return state


service.register_success = _keep_count  # type: ignore[assignment]  # what AuthService calls
serve("auth")
