"""auth's business metric families (SPEC.md "Metrics"); each moves when, and only when, its operation happens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prometheus_client import Counter, Gauge

    from reference_services.kernel.metrics import ServiceMetrics

__all__ = ["FAILURE_REASONS", "LOGIN_TYPE", "REFRESH_STATUSES", "AuthMetrics"]

LOGIN_TYPE = "password"
FAILURE_REASONS = ("invalid_credentials", "locked")
REFRESH_STATUSES = ("success", "reused", "expired", "invalid")
TOKEN_TYPES = ("access", "refresh")


@dataclass(frozen=True, slots=True)
class AuthMetrics:
    login_attempts: Counter
    login_success: Counter
    login_failure: Counter
    token_generation: Counter
    token_refresh: Counter
    active_sessions: Gauge
    account_lockouts: Counter

    @classmethod
    def register(cls, metrics: ServiceMetrics) -> AuthMetrics:
        made = cls(
            login_attempts=metrics.counter("auth_login_attempts_total", "Login attempts, by login type.", ["type"]),
            login_success=metrics.counter("auth_login_success_total", "Successful logins, by login type.", ["type"]),
            login_failure=metrics.counter("auth_login_failure_total", "Failed logins, by reason.", ["reason"]),
            token_generation=metrics.counter(
                "auth_token_generation_total", "Tokens issued, by token type (access, refresh).", ["type"]
            ),
            token_refresh=metrics.counter(
                "auth_token_refresh_total", "Refresh-token exchanges, by outcome.", ["status"]
            ),
            active_sessions=metrics.gauge(
                "auth_active_sessions", "Refresh-token families started by this process and not revoked."
            ),
            account_lockouts=metrics.counter("auth_account_lockouts_total", "Accounts locked after repeated failures."),
        )
        # Pre-create the bounded label sets so every family is exposed (at 0) before its first event.
        made.login_attempts.labels(type=LOGIN_TYPE)
        made.login_success.labels(type=LOGIN_TYPE)
        for reason in FAILURE_REASONS:
            made.login_failure.labels(reason=reason)
        for kind in TOKEN_TYPES:
            made.token_generation.labels(type=kind)
        for status in REFRESH_STATUSES:
            made.token_refresh.labels(status=status)
        return made

    def tokens_issued(self) -> None:
        """A login or a refresh issues one access and one refresh token."""
        for kind in TOKEN_TYPES:
            self.token_generation.labels(type=kind).inc()
