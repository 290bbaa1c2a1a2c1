"""auth end to end: a real auth process on embedded PostgreSQL and Tansu."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import jwt
import pytest
from service_support import event_of, sample

pytestmark = pytest.mark.servers

PASSWORD = "s3cret-pass"
LOGIN_METRICS = (
    ("auth_login_attempts_total", {"type": "password"}),
    ("auth_login_success_total", {"type": "password"}),
    ("auth_login_failure_total", {"reason": "invalid_credentials"}),
    ("auth_login_failure_total", {"reason": "locked"}),
    ("auth_token_generation_total", {"type": "access"}),
    ("auth_token_generation_total", {"type": "refresh"}),
    ("auth_token_refresh_total", {"status": "success"}),
    ("auth_token_refresh_total", {"status": "reused"}),
    ("auth_active_sessions", {}),
    ("auth_account_lockouts_total", {}),
)


def _snapshot(url: str) -> dict[str, float]:
    return {f"{name}{sorted(labels.items())}": sample(url, name, **labels) for name, labels in LOGIN_METRICS}


def _moved(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {key: after[key] - before[key] for key in before if after[key] != before[key]}


def _register(url: str, tenant: str | None = None, **extra: Any) -> dict[str, Any]:
    body = {
        "tenant_id": tenant or str(uuid.uuid4()),
        "email": f"u-{uuid.uuid4().hex[:8]}@example.com",
        "password": PASSWORD,
        "first_name": "Karim",
        "last_name": "Uddin",
        **extra,
    }
    response = httpx.post(f"{url}/auth/register", json=body)
    assert response.status_code == 201, response.text
    return {**body, **response.json()}


def _login(url: str, user: dict[str, Any], password: str = PASSWORD) -> httpx.Response:
    return httpx.post(
        f"{url}/auth/login", json={"tenant_id": user["tenant_id"], "email": user["email"], "password": password}
    )


def test_registered_user_logs_in_and_the_token_verifies_against_the_jwks(auth_url: str, capture: Any) -> None:
    registered_events = capture("auth.user.registered")
    user = _register(auth_url, first_name_bn="করিম")
    assert user["first_name_bn"] == "করিম"
    login = _login(auth_url, user)
    assert login.status_code == 200
    pair = login.json()
    assert (pair["token_type"], pair["expires_in"]) == ("Bearer", 900)
    jwks = httpx.get(f"{auth_url}/.well-known/jwks.json").json()
    key = jwt.PyJWKSet.from_dict(jwks)[jwt.get_unverified_header(pair["access_token"])["kid"]]
    claims = jwt.decode(pair["access_token"], key.key, algorithms=["RS256"], audience="fleet", issuer="fleet-auth")
    assert (claims["sub"], claims["tenant_id"], claims["roles"]) == (user["id"], user["tenant_id"], ["user"])
    me = httpx.get(f"{auth_url}/auth/me", headers={"Authorization": f"Bearer {pair['access_token']}"})
    assert me.json()["first_name_bn"] == "করিম"
    mine = [m for m in registered_events.collect() if m.key == user["id"]]
    assert len(mine) == 1
    assert event_of(mine[0])["tenantid"] == user["tenant_id"]


def test_successful_login_moves_its_metrics_once_and_publishes_one_login_event(auth_url: str, capture: Any) -> None:
    user = _register(auth_url)
    events = capture("auth.user.login")
    before = _snapshot(auth_url)
    assert _login(auth_url, user).status_code == 200
    assert _moved(before, _snapshot(auth_url)) == {
        "auth_login_attempts_total[('type', 'password')]": 1,
        "auth_login_success_total[('type', 'password')]": 1,
        "auth_token_generation_total[('type', 'access')]": 1,
        "auth_token_generation_total[('type', 'refresh')]": 1,
        "auth_active_sessions[]": 1,
    }
    assert [m.key for m in events.collect()].count(user["id"]) == 1


def test_unknown_user_and_wrong_password_answer_the_same_401(auth_url: str) -> None:
    user = _register(auth_url)
    before = _snapshot(auth_url)
    wrong = _login(auth_url, user, password="wrong-password")
    unknown = _login(auth_url, {**user, "email": "nobody@example.com"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.headers["content-type"].startswith("application/problem+json")
    assert wrong.json()["detail"] == unknown.json()["detail"]
    assert _moved(before, _snapshot(auth_url)) == {
        "auth_login_attempts_total[('type', 'password')]": 2,
        "auth_login_failure_total[('reason', 'invalid_credentials')]": 2,
    }


def test_five_failed_logins_lock_the_account_with_retry_after_and_one_locked_event(auth_url: str, capture: Any) -> None:
    user = _register(auth_url)
    events = capture("auth.user.locked")
    lockouts = sample(auth_url, "auth_account_lockouts_total")
    answers = [_login(auth_url, user, password="wrong-password") for _ in range(5)]
    assert [a.status_code for a in answers] == [401, 401, 401, 401, 403]
    locked = answers[-1]
    assert locked.headers["content-type"].startswith("application/problem+json")
    assert 1790 <= int(locked.headers["retry-after"]) <= 1800
    # the right password does not open a locked account
    again = _login(auth_url, user)
    assert again.status_code == 403
    assert "retry-after" in again.headers
    assert sample(auth_url, "auth_account_lockouts_total") == lockouts + 1
    mine = [m for m in events.collect() if m.key == user["id"]]
    assert len(mine) == 1
    assert event_of(mine[0])["data"]["failed_attempts"] == 5


def test_refresh_rotates_and_reusing_a_rotated_token_revokes_the_family(auth_url: str) -> None:
    user = _register(auth_url)
    first = _login(auth_url, user).json()
    second = httpx.post(f"{auth_url}/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    assert second.json()["refresh_token"] != first["refresh_token"]
    reused = httpx.post(f"{auth_url}/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401
    assert reused.headers["content-type"].startswith("application/problem+json")
    # the family is revoked: the newest token, never used, is refused too
    newest = httpx.post(f"{auth_url}/auth/refresh", json={"refresh_token": second.json()["refresh_token"]})
    assert newest.status_code == 401
    assert httpx.post(f"{auth_url}/auth/refresh", json={"refresh_token": "garbage"}).status_code == 401


def test_users_of_another_tenant_are_404_and_no_token_is_401(auth_url: str) -> None:
    alice, bob = _register(auth_url), _register(auth_url)
    token = _login(auth_url, alice).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{auth_url}/users/{alice['id']}", headers=headers).status_code == 200
    assert httpx.get(f"{auth_url}/users/{bob['id']}", headers=headers).status_code == 404
    assert httpx.get(f"{auth_url}/users/{alice['id']}").status_code == 401
    spoofed = httpx.get(f"{auth_url}/users/{alice['id']}", headers={**headers, "X-Tenant-ID": bob["tenant_id"]})
    assert spoofed.status_code == 403


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"password": "short"}, "password"),
        ({"email": "not-an-email"}, "email"),
        ({"tenant_id": "x"}, "tenant_id"),
        ({"first_name": ""}, "first_name"),
    ],
)
def test_invalid_registration_is_422_naming_the_field(auth_url: str, change: dict[str, str], field: str) -> None:
    body = {
        "tenant_id": str(uuid.uuid4()),
        "email": "a@example.com",
        "password": PASSWORD,
        "first_name": "A",
        "last_name": "B",
        **change,
    }
    response = httpx.post(f"{auth_url}/auth/register", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"].startswith(f"{field}:")


def test_same_email_twice_in_a_tenant_is_409(auth_url: str) -> None:
    user = _register(auth_url)
    again = httpx.post(
        f"{auth_url}/auth/register",
        json={k: user[k] for k in ("tenant_id", "email", "password", "first_name", "last_name")},
    )
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
