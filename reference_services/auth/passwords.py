"""Password hashing (argon2id) and the login lockout rule, as pure logic the routes apply inside a transaction.

Lockout (SPEC.md "Tenancy and auth"): 5 consecutive failed logins lock the account for 30 minutes; the counter resets
on a successful login and when the lock expires.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "LockoutPolicy",
    "LoginState",
    "PasswordPolicyError",
    "check_password_policy",
    "hash_password",
    "register_failure",
    "register_success",
    "retry_after_seconds",
    "verify_password",
    "verify_password_against_nothing",
]

MIN_PASSWORD_LENGTH = 8
_MAX_PASSWORD_LENGTH = 1024  # argon2 would hash a megabyte happily; refuse it before it costs us CPU
_HASHER = PasswordHasher()
# Verified when the user does not exist so both "unknown user" and "wrong password" cost one argon2 verification.
_DUMMY_HASH = _HASHER.hash("fleetcheck-no-such-user")


class PasswordPolicyError(ValueError):
    """The password breaks the policy; the message says what is expected."""


def check_password_policy(password: object) -> str:
    if not isinstance(password, str):
        raise PasswordPolicyError("expected password as a string")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordPolicyError(
            f"expected a password of at least {MIN_PASSWORD_LENGTH} characters; got {len(password)}"
        )
    if len(password) > _MAX_PASSWORD_LENGTH:
        raise PasswordPolicyError(f"expected a password of at most {_MAX_PASSWORD_LENGTH} characters")
    return password


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def verify_password_against_nothing(password: str) -> bool:
    """Spend the same work as a real verification and fail: no timing difference for unknown users."""
    verify_password(_DUMMY_HASH, password)
    return False


@dataclass(frozen=True, slots=True)
class LockoutPolicy:
    max_failures: int = 5
    lock_for: timedelta = timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class LoginState:
    """The lockout columns of a user row."""

    failed_attempts: int = 0
    locked_until: datetime | None = None

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until

    def lock_expired(self, now: datetime) -> bool:
        return self.locked_until is not None and now >= self.locked_until


def _current(state: LoginState, now: datetime) -> LoginState:
    # An expired lock wipes the slate: the counter resets when the lock expires.
    return LoginState() if state.lock_expired(now) else state


def register_failure(state: LoginState, now: datetime, policy: LockoutPolicy = LockoutPolicy()) -> LoginState:
    """The state after one more failed password; locks when the count reaches the policy's maximum."""
    state = _current(state, now)
    failures = state.failed_attempts + 1
    if failures >= policy.max_failures:
        return replace(state, failed_attempts=failures, locked_until=now + policy.lock_for)
    return replace(state, failed_attempts=failures)


def register_success(state: LoginState) -> LoginState:
    return LoginState()


def retry_after_seconds(state: LoginState, now: datetime) -> int:
    """Whole seconds until the lock ends (at least 1 while locked), for the Retry-After header."""
    if state.locked_until is None or not state.is_locked(now):
        return 0
    return max(1, math.ceil((state.locked_until - now).total_seconds()))
