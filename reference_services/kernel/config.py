"""Service configuration, read only from the FLEET_* environment (the process contract of service-env.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = ["ConfigError", "ServiceConfig"]

_SERVICE_URL_PREFIX = "FLEET_SERVICE_URL_"
DEFAULT_RSS_LIMIT = 536_870_912


class ConfigError(ValueError):
    """A FLEET_* variable is missing or malformed; the message names the variable and the expected form."""


def _fail(name: str, expected: str, seen: str | None) -> ConfigError:
    observed = "it is not set" if seen is None else f"it is {seen!r}"
    return ConfigError(f"{name}: expected {expected}; {observed}. Set {name} in the service's environment.")


def _int(
    env: Mapping[str, str], name: str, default: int | None, *, low: int = 0, high: int | None = None
) -> int | None:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _fail(name, "an integer", raw) from None
    if value < low or (high is not None and value > high):
        raise _fail(name, f"an integer in [{low}, {high if high is not None else 'inf'}]", raw)
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise _fail(name, "a positive number of seconds", raw) from None
    if value <= 0:
        raise _fail(name, "a positive number of seconds", raw)
    return value


def _url(env: Mapping[str, str], name: str, schemes: tuple[str, ...]) -> str | None:
    raw = env.get(name)
    if raw is None or raw == "":
        return None
    parts = urlsplit(raw)
    if parts.scheme not in schemes or not parts.hostname:
        raise _fail(name, f"a URL of the form {schemes[0]}://host:port/...", raw)
    return raw


def _bootstrap(env: Mapping[str, str], name: str) -> str | None:
    raw = env.get(name)
    if raw is None or raw == "":
        return None
    for server in raw.split(","):
        host, _, port = server.strip().rpartition(":")
        if not host or not port.isdigit():
            raise _fail(name, "bootstrap servers of the form host:port[,host:port]", raw)
    return raw


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """The configuration of one service process.

    Example:
        >>> ServiceConfig.from_env("organization", environ={"FLEET_SERVICE_PORT": "8080"}).port
        8080
    """

    service_name: str
    host: str = "127.0.0.1"
    port: int | None = None
    database_url: str | None = None
    database_app_url: str | None = None
    kafka_bootstrap: str | None = None
    jwks_url: str | None = None
    jwt_issuer: str = "fleet-auth"
    jwt_audience: str = "fleet"
    platform_admin_token: str | None = None
    service_urls: tuple[tuple[str, str], ...] = field(default=())
    storage_dir: str | None = None
    live_rss_limit_bytes: int = DEFAULT_RSS_LIMIT
    dependency_timeout_s: float = 2.0
    outbox_poll_s: float = 1.0
    #: auth only: a PEM file with the RS256 signing key (a test fleet's throwaway key); default: one made in memory
    jwt_signing_key_file: str | None = None

    @classmethod
    def from_env(
        cls, service_name: str, *, environ: Mapping[str, str] | None = None, required: Iterable[str] = ()
    ) -> ServiceConfig:
        """Read the FLEET_* variables; ``required`` names variables that must be set (e.g. for ``serve``)."""
        env = os.environ if environ is None else environ
        for name in required:
            if not env.get(name):
                raise _fail(name, "a value (see service-env.md)", None)
        urls = tuple(
            sorted(
                (key[len(_SERVICE_URL_PREFIX) :].lower().replace("_", "-"), _url(env, key, ("http", "https")) or "")
                for key in env
                if key.startswith(_SERVICE_URL_PREFIX)
            )
        )
        return cls(
            service_name=service_name,
            host=env.get("FLEET_SERVICE_HOST") or "127.0.0.1",
            port=_int(env, "FLEET_SERVICE_PORT", None, low=1, high=65535),
            database_url=_url(env, "FLEET_DATABASE_URL", ("postgresql", "postgres")),
            database_app_url=_url(env, "FLEET_DATABASE_APP_URL", ("postgresql", "postgres")),
            kafka_bootstrap=_bootstrap(env, "FLEET_KAFKA_BOOTSTRAP"),
            jwks_url=_url(env, "FLEET_JWKS_URL", ("http", "https")),
            jwt_issuer=env.get("FLEET_JWT_ISSUER") or "fleet-auth",
            jwt_audience=env.get("FLEET_JWT_AUDIENCE") or "fleet",
            platform_admin_token=env.get("FLEET_PLATFORM_ADMIN_TOKEN") or None,
            service_urls=tuple((name, url) for name, url in urls if url),
            storage_dir=env.get("FLEET_STORAGE_DIR") or None,
            live_rss_limit_bytes=_int(env, "FLEET_LIVE_RSS_LIMIT_BYTES", DEFAULT_RSS_LIMIT, low=1) or DEFAULT_RSS_LIMIT,
            dependency_timeout_s=_float(env, "FLEET_DEPENDENCY_TIMEOUT_S", 2.0),
            outbox_poll_s=_float(env, "FLEET_OUTBOX_POLL_S", 1.0),
            jwt_signing_key_file=env.get("FLEET_JWT_SIGNING_KEY_FILE") or None,
        )

    def service_url(self, name: str) -> str:
        """Base URL of a downstream service (``file-storage`` reads FLEET_SERVICE_URL_FILE_STORAGE)."""
        for known, url in self.service_urls:
            if known == name:
                return url.rstrip("/")
        variable = _SERVICE_URL_PREFIX + name.upper().replace("-", "_")
        raise _fail(variable, f"the base URL of {name} (http://127.0.0.1:port)", None)

    def require(self, attribute: str, variable: str) -> str:
        """Return a configured string attribute or raise a ConfigError naming ``variable``."""
        value = getattr(self, attribute)
        if not value:
            raise _fail(variable, "a value (see service-env.md)", None)
        return str(value)
