"""Password hashing and the lockout rule: 5 consecutive failures lock for 30 minutes; success and expiry reset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from reference_services.auth.passwords import (
    LoginState,
    PasswordPolicyError,
    check_password_policy,
    hash_password,
    register_failure,
    register_success,
    retry_after_seconds,
    verify_password,
    verify_password_against_nothing,
)

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def test_password_hash_is_argon2_and_verifies_only_the_right_password() -> None:
    hashed = hash_password("correct horse")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "correct horse")
    assert not verify_password(hashed, "wrong horse")
    assert not verify_password("not a hash", "correct horse")
    assert not verify_password_against_nothing("correct horse")


def test_short_password_is_refused_with_the_minimum_in_the_message() -> None:
    with pytest.raises(PasswordPolicyError, match="at least 8 characters; got 3"):
        check_password_policy("abc")
    with pytest.raises(PasswordPolicyError):
        check_password_policy(12345678)


def test_fifth_consecutive_failure_locks_for_thirty_minutes() -> None:
    state = LoginState()
    for attempt in range(1, 5):
        state = register_failure(state, NOW)
        assert state.failed_attempts == attempt
        assert not state.is_locked(NOW)
    state = register_failure(state, NOW)
    assert state.is_locked(NOW)
    assert state.locked_until == NOW + timedelta(minutes=30)
    assert retry_after_seconds(state, NOW) == 1800
    assert retry_after_seconds(state, NOW + timedelta(minutes=29, seconds=59, microseconds=1)) == 1


def test_success_resets_the_counter() -> None:
    state = register_failure(register_failure(LoginState(), NOW), NOW)
    assert register_success(state) == LoginState()
    # after a success, four more failures do not lock: the count starts again
    state = LoginState()
    for _ in range(4):
        state = register_failure(state, NOW)
    assert not state.is_locked(NOW)


def test_expired_lock_resets_the_counter() -> None:
    state = LoginState(failed_attempts=5, locked_until=NOW)
    later = NOW + timedelta(seconds=1)
    assert not state.is_locked(later)
    assert retry_after_seconds(state, later) == 0
    after = register_failure(state, later)
    assert after == LoginState(failed_attempts=1, locked_until=None)
