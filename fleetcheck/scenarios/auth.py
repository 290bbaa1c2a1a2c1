"""auth: a user registered, refused as a duplicate, logged in and refreshed; then locked out by wrong passwords (the
failures before the lock cause no event; the one that locks is refused with 403 and reported by ``auth.user.locked``).
Bursts register users."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from ._context import ScenarioContext, Writer, tenant, write

#: Consecutive failed logins that lock an account (SPEC.md: 5, for 30 minutes).
LOCK_AFTER = 5

if TYPE_CHECKING:
    import httpx

    from fleetcheck.contracts.events import WriteRecord
    from fleetcheck.targets import Credentials, Endpoint

SERVICE = "auth"


def scenario(ctx: ScenarioContext) -> None:
    _token, tenant_id = tenant(ctx)
    email, password = f"events-{uuid.uuid4().hex[:8]}@example.com", f"Ev-{uuid.uuid4().hex}-Aa1!"
    body = {"tenant_id": tenant_id, "email": email, "password": password, "first_name": "Event", "last_name": "User"}
    user = ctx.act("POST /auth/register", "POST", "/auth/register", body, topic="auth.user.registered",
                   tenant_id=tenant_id)  # fmt: skip
    user_id = str(user.get("id", "")) if isinstance(user, dict) else ""
    ctx.act("POST /auth/register (same email)", "POST", "/auth/register", body, topic=None, tenant_id=tenant_id,
            aggregate_id=user_id)  # fmt: skip
    pair = ctx.act("POST /auth/login", "POST", "/auth/login", {"tenant_id": tenant_id, "email": email,
                   "password": password}, topic="auth.user.login", tenant_id=tenant_id,
                   aggregate_id=user_id)  # fmt: skip
    refresh = pair.get("refresh_token") if isinstance(pair, dict) else None
    ctx.act("POST /auth/refresh", "POST", "/auth/refresh", {"refresh_token": refresh}, topic="auth.token.refresh",
            tenant_id=tenant_id, aggregate_id=user_id)  # fmt: skip
    wrong = {"tenant_id": tenant_id, "email": email, "password": f"Wrong-{uuid.uuid4().hex}-Aa1!"}
    for n in range(1, LOCK_AFTER):
        ctx.act(f"POST /auth/login (wrong password {n})", "POST", "/auth/login", wrong, topic=None,
                tenant_id=tenant_id, aggregate_id=user_id)  # fmt: skip
    locking = ctx.send("POST", "/auth/login", wrong)
    ctx.record(f"POST /auth/login (wrong password {LOCK_AFTER}: locks the account)", locking, "auth.user.locked",
               user_id, tenant_id, refusal=True)  # fmt: skip


def _user(client: httpx.Client, endpoint: Endpoint, credentials: Credentials, n: int) -> WriteRecord:
    body = {"tenant_id": credentials.tenant_id, "email": f"burst-{uuid.uuid4().hex[:12]}@example.com",
            "password": "Burst-password-1!", "first_name": "Burst", "last_name": f"User {n}"}  # fmt: skip
    return write(client, endpoint, (SERVICE, "auth.user.registered"), "POST", "/auth/register", body, None)


WRITER = Writer(SERVICE, "auth.user.registered", _user)
