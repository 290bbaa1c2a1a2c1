"""Tenant tokens for a target: the fleet file's declared login (``auth.login``), refreshed before it expires, or a
token command, or a token given as it is.

A :class:`TokenSource` hands out a token that is valid for at least ``margin_s`` more seconds: it logs in (or runs
the command) the first time, then refreshes (``auth.refresh``, else a new login, else the command again) once the
token is within the margin of its expiry. The expiry is the answer's ``expires_in`` (JSONPath), else the JWT's
``exp`` claim; a token with neither is used until the run ends.

Example:
    >>> fields = {"tenant_id": "...", "email": "...", "password": "..."}
    >>> source = TokenSource.login(fleet.auth, auth_endpoint, fields)  # doctest: +SKIP
    >>> token = source.token()  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import binascii
import json
import shlex
import subprocess
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fleetcheck.contracts.health_profiles import json_path
from fleetcheck.observe import exchange, observe_client

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from fleetcheck.contracts.fleet import AuthSpec, LoginSpec, RefreshSpec
    from fleetcheck.targets import Endpoint

__all__ = ["LoginFailed", "TokenSource", "jwt_claim"]

#: refresh a token this long before it expires, so no request of a phase carries an expired one
DEFAULT_MARGIN_S = 60.0
_COMMAND_TIMEOUT_S = 60.0


class LoginFailed(RuntimeError):
    """The login, refresh or token command did not give a token; the message says what was sent and seen."""


def jwt_claim(token: str, claim: str) -> Any:
    """A claim from a JWT's payload, unverified: to read a tenant id or an expiry, never to trust it."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError):
        return None
    return payload.get(claim) if isinstance(payload, dict) else None


def _fill(value: Any, fields: Mapping[str, str]) -> Any:
    """``{tenant.<field>}`` and ``{refresh_token}`` in a login body."""
    if isinstance(value, str):
        for name, given in fields.items():
            value = value.replace("{" + name + "}", given)
        return value
    if isinstance(value, dict):
        return {k: _fill(v, fields) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, fields) for v in value]
    return value


def _first(expression: str | None, data: Any) -> Any:
    if not expression:
        return None
    found = json_path(expression).find(data)
    return found[0].value if found else None


@dataclass(slots=True)
class _Token:
    value: str
    expires_at: float | None
    refresh_token: str | None = None


def _expiry(token: str, expires_in: Any, now: float) -> float | None:
    if isinstance(expires_in, int | float) and not isinstance(expires_in, bool) and expires_in > 0:
        return now + float(expires_in)
    exp = jwt_claim(token, "exp")
    return float(exp) if isinstance(exp, int | float) and not isinstance(exp, bool) else None


@dataclass(slots=True)
class TokenSource:
    """Where a tenant's bearer token comes from, and how it is renewed. Thread-safe: bursts share one."""

    obtain: Callable[[_Token | None], _Token]
    margin_s: float = DEFAULT_MARGIN_S
    _current: _Token | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def token(self) -> str:
        """A token valid for at least ``margin_s`` more seconds (renewed when needed).

        Raises:
            LoginFailed: the login, refresh or command failed.
        """
        with self._lock:
            now = time.time()
            current = self._current
            if current is None or (current.expires_at is not None and current.expires_at - now < self.margin_s):
                current = self._current = self.obtain(current)
            return current.value

    @classmethod
    def fixed(cls, token: str) -> TokenSource:
        return cls(lambda _previous: _Token(token, None))

    @classmethod
    def command(cls, command: str) -> TokenSource:
        """A token printed by a shell command (an SSO helper, a vault read), run again when the token expires."""

        def run(_previous: _Token | None) -> _Token:
            try:
                done = subprocess.run(
                    command, shell=True, capture_output=True, text=True, timeout=_COMMAND_TIMEOUT_S, check=False
                )
            except subprocess.TimeoutExpired:
                raise LoginFailed(f"the token command {shlex.quote(command)} did not finish within "
                                  f"{_COMMAND_TIMEOUT_S:g} s") from None  # fmt: skip
            token = done.stdout.strip().splitlines()[-1].strip() if done.stdout.strip() else ""
            if done.returncode != 0 or not token:
                raise LoginFailed(
                    f"the token command {shlex.quote(command)} exited {done.returncode} and printed "
                    f"{'a token' if token else 'no token'}; stderr: {done.stderr.strip()[-300:] or '(empty)'}"
                )
            return _Token(token, _expiry(token, None, time.time()))

        return cls(run)

    @classmethod
    def login(
        cls, auth: AuthSpec, endpoint: Endpoint, fields: Mapping[str, str], api_base: str = "", holding: str = ""
    ) -> TokenSource:
        """Log in as the fleet file declares (``auth.login``), refreshing with ``auth.refresh`` where declared;
        ``holding``: a token already obtained, used until it nears its ``exp``."""
        assert auth.login is not None
        spec, refresh = auth.login, auth.refresh
        given = {f"tenant.{k}": v for k, v in fields.items()}

        def obtain(previous: _Token | None) -> _Token:
            if previous is not None and previous.refresh_token and refresh is not None:
                try:
                    return _request(refresh, endpoint, given | {"refresh_token": previous.refresh_token}, api_base)
                except LoginFailed:
                    pass  # a refused refresh (rotated, expired): log in again
            return _request(spec, endpoint, given, api_base)

        held = _Token(holding, _expiry(holding, None, time.time())) if holding else None
        return cls(obtain, _current=held)


def _request(spec: LoginSpec | RefreshSpec, endpoint: Endpoint, fields: Mapping[str, str], api_base: str) -> _Token:
    url = endpoint.url(f"{api_base.rstrip('/')}{spec.path}")
    with observe_client(10.0) as client:
        answer = exchange(client, spec.method, url, json_body=_fill(spec.json_body, fields))
    what = "login" if type(spec).__name__ == "LoginSpec" else "token refresh"
    if answer.status not in spec.expect_status:
        seen = answer.error or f"{answer.status} {answer.body[:200].decode('utf-8', 'replace')}"
        raise LoginFailed(f"the {what} {spec.method} {url} answered {seen}; expected "
                          f"{' or '.join(map(str, spec.expect_status))}")  # fmt: skip
    try:
        data = json.loads(answer.body)
    except ValueError:
        raise LoginFailed(f"the {what} {spec.method} {url} answered {answer.status} without a JSON body") from None
    token = _first(spec.token, data)
    if not isinstance(token, str) or not token:
        raise LoginFailed(f"the {what} {spec.method} {url} answered {answer.status} without {spec.token} (the token "
                          "path the fleet file's auth declares)")  # fmt: skip
    refresh_token = _first(spec.refresh_token, data)
    return _Token(token, _expiry(token, _first(spec.expires_in, data), time.time()),
                  refresh_token if isinstance(refresh_token, str) else None)  # fmt: skip
