"""auth's operations: register, login with lockout, refresh rotation with family revocation, user lookups.

Every query runs inside ``tenant_transaction`` (RLS applies, also for login, which has no token yet). Outcomes that
must persist *and* fail the request (a failed password, a lock, a reused refresh token) are decided inside the
transaction and raised only after it commits; metrics move only after the commit, so they count what happened.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from reference_services.kernel.outbox import add_event

from .metrics import LOGIN_TYPE
from .models import EventRecord, RefreshToken, Role, User, UserRole
from .passwords import (
    LockoutPolicy,
    LoginState,
    hash_password,
    register_failure,
    register_success,
    retry_after_seconds,
    verify_password,
    verify_password_against_nothing,
)
from .tokens import (
    ACCESS_TOKEN_TTL,
    RefreshVerdict,
    StoredRefreshToken,
    hash_refresh_token,
    issue_refresh_token,
    judge_refresh,
    tenant_of_refresh_token,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy.ext.asyncio import AsyncSession

    from reference_services.kernel.db import Database

    from .metrics import AuthMetrics
    from .tokens import SigningKey

__all__ = [
    "DEFAULT_ROLE",
    "SOURCE",
    "AccountLocked",
    "AuthService",
    "InvalidCredentials",
    "InvalidRefreshToken",
    "Registration",
    "TokenPair",
]

SOURCE = "auth"
DEFAULT_ROLE = "user"
DEFAULT_POLICY = LockoutPolicy()
_BAD_CREDENTIALS = "The email or password is not correct for this tenant."


class InvalidCredentials(Exception):
    """Unknown user, inactive user or wrong password: one message for all (no user enumeration)."""

    def __init__(self) -> None:
        super().__init__(_BAD_CREDENTIALS)


class AccountLocked(Exception):
    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"The account is locked after repeated failed logins; try again in {retry_after_s} s.")
        self.retry_after_s = retry_after_s


class InvalidRefreshToken(Exception):
    def __init__(self, verdict: RefreshVerdict) -> None:
        reason = {
            RefreshVerdict.REUSED: "The refresh token was already used; its whole session has been revoked.",
            RefreshVerdict.EXPIRED: "The refresh token has expired; log in again.",
        }.get(verdict, "The refresh token is not valid; log in again.")
        super().__init__(reason)
        self.verdict = verdict


@dataclass(frozen=True, slots=True)
class Registration:
    tenant_id: uuid.UUID
    email: str
    password: str
    first_name: str
    last_name: str
    first_name_bn: str | None = None


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str

    def as_json(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "token_type": "Bearer",
            "expires_in": int(ACCESS_TOKEN_TTL.total_seconds()),
        }


def utc_now() -> datetime:
    return datetime.now(UTC)


def user_json(user: User) -> dict[str, Any]:
    return {
        "id": str(user.id),
        "tenant_id": str(user.tenant_id),
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "first_name_bn": user.first_name_bn,
        "is_active": user.is_active,
    }


@dataclass(slots=True)
class _LoginOutcome:
    pair: TokenPair | None = None
    error: Exception | None = None
    locked_now: bool = False


class AuthService:
    def __init__(
        self,
        database: Database,
        key: SigningKey,
        metrics: AuthMetrics,
        *,
        policy: LockoutPolicy = DEFAULT_POLICY,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.database = database
        self.key = key
        self.metrics = metrics
        self.policy = policy
        self.clock = clock

    # --- register -------------------------------------------------------------------------------------------------

    async def register(self, registration: Registration, correlation_id: str | None = None) -> User:
        password_hash = await asyncio.to_thread(hash_password, registration.password)
        tenant = registration.tenant_id
        async with self.database.tenant_transaction(tenant) as session:
            user = User(
                tenant_id=tenant,
                email=registration.email,
                password_hash=password_hash,
                first_name=registration.first_name,
                last_name=registration.last_name,
                first_name_bn=registration.first_name_bn,
            )
            session.add(user)
            await session.flush()
            role_id = await self._default_role(session, tenant)
            session.add(UserRole(tenant_id=tenant, user_id=user.id, role_id=role_id))
            data = {k: v for k, v in user_json(user).items() if k != "is_active"}
            data["user_id"] = data.pop("id")
            self._record(session, user, "auth.user.registered", data, correlation_id)
        return user

    async def _default_role(self, session: AsyncSession, tenant: uuid.UUID) -> uuid.UUID:
        # ON CONFLICT: two first registrations of a tenant may race to create its default role
        await session.execute(
            insert(Role)
            .values(tenant_id=tenant, name=DEFAULT_ROLE)
            .on_conflict_do_nothing(index_elements=["tenant_id", "name"])
        )
        role_id = await session.scalar(select(Role.id).where(Role.tenant_id == tenant, Role.name == DEFAULT_ROLE))
        assert role_id is not None
        return role_id

    def _record(
        self, session: AsyncSession, user: User, topic: str, data: dict[str, Any], correlation_id: str | None
    ) -> None:
        session.add(EventRecord(tenant_id=user.tenant_id, aggregate_id=user.id, event_type=topic, payload=data))
        add_event(
            session,
            topic=topic,
            key=str(user.id),
            data=data,
            tenant_id=user.tenant_id,
            source=SOURCE,
            correlation_id=correlation_id,
        )

    # --- login ----------------------------------------------------------------------------------------------------

    async def login(
        self, tenant_id: uuid.UUID, email: str, password: str, correlation_id: str | None = None
    ) -> TokenPair:
        self.metrics.login_attempts.labels(type=LOGIN_TYPE).inc()
        async with self.database.tenant_transaction(tenant_id) as session:
            outcome = await self._login_in(session, tenant_id, email, password, correlation_id)
        # the transaction has committed: counters and the lock are now facts
        if outcome.locked_now:
            self.metrics.account_lockouts.inc()
        if isinstance(outcome.error, AccountLocked) and not outcome.locked_now:
            self.metrics.login_failure.labels(reason="locked").inc()
        elif outcome.error is not None:
            self.metrics.login_failure.labels(reason="invalid_credentials").inc()
        if outcome.error is not None:
            raise outcome.error
        assert outcome.pair is not None
        self.metrics.login_success.labels(type=LOGIN_TYPE).inc()
        self.metrics.tokens_issued()
        self.metrics.active_sessions.inc()
        return outcome.pair

    async def _login_in(
        self, session: AsyncSession, tenant_id: uuid.UUID, email: str, password: str, correlation_id: str | None
    ) -> _LoginOutcome:
        user = await session.scalar(
            select(User).where(User.tenant_id == tenant_id, User.email == email).with_for_update()
        )
        if user is None or not user.is_active:
            await asyncio.to_thread(verify_password_against_nothing, password)
            return _LoginOutcome(error=InvalidCredentials())
        now = self.clock()
        state = LoginState(user.failed_login_attempts, user.locked_until)
        if state.is_locked(now):
            return _LoginOutcome(error=AccountLocked(retry_after_seconds(state, now)))
        if not await asyncio.to_thread(verify_password, user.password_hash, password):
            return self._failed(session, user, state, now, correlation_id)
        self._apply(user, register_success(state))
        pair = await self._new_session(session, user, now, family_id=uuid.uuid4())
        self._record(
            session,
            user,
            "auth.user.login",
            {"user_id": str(user.id), "tenant_id": str(user.tenant_id), "login_type": LOGIN_TYPE},
            correlation_id,
        )
        return _LoginOutcome(pair=pair)

    def _failed(
        self, session: AsyncSession, user: User, state: LoginState, now: datetime, correlation_id: str | None
    ) -> _LoginOutcome:
        after = register_failure(state, now, self.policy)
        self._apply(user, after)
        if not after.is_locked(now):
            return _LoginOutcome(error=InvalidCredentials())
        assert after.locked_until is not None
        self._record(
            session,
            user,
            "auth.user.locked",
            {
                "user_id": str(user.id),
                "tenant_id": str(user.tenant_id),
                "email": user.email,
                "failed_attempts": after.failed_attempts,
                "locked_until": after.locked_until.isoformat(),
            },
            correlation_id,
        )
        return _LoginOutcome(error=AccountLocked(retry_after_seconds(after, now)), locked_now=True)

    @staticmethod
    def _apply(user: User, state: LoginState) -> None:
        user.failed_login_attempts = state.failed_attempts
        user.locked_until = state.locked_until

    async def _new_session(self, session: AsyncSession, user: User, now: datetime, family_id: uuid.UUID) -> TokenPair:
        roles = await self._roles(session, user)
        refresh = issue_refresh_token(user.tenant_id, now)
        session.add(
            RefreshToken(
                tenant_id=user.tenant_id,
                user_id=user.id,
                token_hash=refresh.token_hash,
                family_id=family_id,
                expires_at=refresh.expires_at,
            )
        )
        access = self.key.access_token(sub=str(user.id), tenant_id=str(user.tenant_id), roles=roles, now=now)
        return TokenPair(access_token=access, refresh_token=refresh.token)

    async def _roles(self, session: AsyncSession, user: User) -> list[str]:
        rows = await session.scalars(
            select(Role.name)
            .join(UserRole, UserRole.role_id == Role.id)
            .where(UserRole.user_id == user.id)
            .order_by(Role.name)
        )
        return list(rows)

    # --- refresh --------------------------------------------------------------------------------------------------

    async def refresh(self, token: object, correlation_id: str | None = None) -> TokenPair:
        tenant = tenant_of_refresh_token(token)
        if tenant is None:
            self.metrics.token_refresh.labels(status=RefreshVerdict.UNKNOWN.value).inc()
            raise InvalidRefreshToken(RefreshVerdict.UNKNOWN)
        assert isinstance(token, str)
        async with self.database.tenant_transaction(tenant) as session:
            verdict, pair, revoked = await self._refresh_in(session, token, correlation_id)
        self.metrics.token_refresh.labels(status=verdict.value).inc()
        if revoked:
            self.metrics.active_sessions.dec()
        if pair is None:
            raise InvalidRefreshToken(verdict)
        self.metrics.tokens_issued()
        return pair

    async def _refresh_in(
        self, session: AsyncSession, token: str, correlation_id: str | None
    ) -> tuple[RefreshVerdict, TokenPair | None, bool]:
        now = self.clock()
        row = await session.scalar(
            select(RefreshToken).where(RefreshToken.token_hash == hash_refresh_token(token)).with_for_update()
        )
        stored = None if row is None else StoredRefreshToken(revoked_at=row.revoked_at, expires_at=row.expires_at)
        verdict = judge_refresh(stored, now)
        if row is None or verdict is RefreshVerdict.UNKNOWN:
            return verdict, None, False
        if verdict is RefreshVerdict.REUSED:
            return verdict, None, await self._revoke_family(session, row, now)
        if verdict is RefreshVerdict.EXPIRED:
            return verdict, None, False
        user = await session.get(User, row.user_id)
        if user is None or not user.is_active:
            return RefreshVerdict.UNKNOWN, None, False
        row.revoked_at = now
        pair = await self._new_session(session, user, now, family_id=row.family_id)
        self._record(
            session,
            user,
            "auth.token.refresh",
            {"user_id": str(user.id), "tenant_id": str(user.tenant_id), "family_id": str(row.family_id)},
            correlation_id,
        )
        return verdict, pair, False

    async def _revoke_family(self, session: AsyncSession, row: RefreshToken, now: datetime) -> bool:
        """Revoke every live token of the family; True when the family still had one (a session ends)."""
        result = await session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == row.family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return bool(result.rowcount)

    # --- lookups --------------------------------------------------------------------------------------------------

    async def user(self, tenant_id: uuid.UUID, user_id: uuid.UUID) -> User | None:
        async with self.database.tenant_transaction(tenant_id) as session:
            # explicit tenant filter on top of RLS: two fences, so one mistake does not leak a user
            return await session.scalar(select(User).where(User.id == user_id, User.tenant_id == tenant_id))
