"""The Pact Broker side of ``fleetcheck pact``: publish pacts, verify a provider from the broker, record
deployments and ask can-i-deploy, over the documented Pact Broker HTTP API (HAL: every URL is taken from the index's
links, so a real broker and the stand-in of ``tests/pact/broker.py`` are used alike).

Verifying from a broker is done by the Pact FFI's own broker source (pact-python's ``Verifier.broker_source``, with
consumer version selectors, pending and WIP pacts, and the results published by the FFI), not by this module.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from fleetcheck.pact import (
    ApiStates,
    EventCauses,
    PactError,
    PactVerification,
    StateServer,
    mismatches,
    provider_verifier,
    run_verifier,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from fleetcheck.pact import PactFile
    from fleetcheck.targets import Target

__all__ = ["Broker", "Deployability", "verify_from_broker"]

_TIMEOUT_S = 15.0


@dataclass(frozen=True, slots=True)
class Deployability:
    deployable: bool
    reason: str
    failed: int
    unknown: int


class Broker:
    """A Pact Broker at ``url`` (with a bearer ``token`` for a hosted one)."""

    def __init__(self, url: str, token: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.token = token
        headers = {"Accept": "application/hal+json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._client = httpx.Client(headers=headers, timeout=_TIMEOUT_S, trust_env=False)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Broker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _request(self, method: str, url: str, body: Any = None) -> Any:
        try:
            response = self._client.request(method, url, json=body)
        except httpx.HTTPError as exc:
            raise PactError(f"the Pact Broker at {self.url} is unreachable ({type(exc).__name__}: {exc})") from None
        if response.status_code >= 400:
            raise PactError(
                f"the Pact Broker answered {method} {url} with {response.status_code}: {response.text[:500]}"
            )
        return response.json() if response.content else {}

    def link(self, relation: str, **values: str) -> str:
        """The href of ``relation`` in the broker's index, with ``{name}`` placeholders filled in."""
        links = self._request("GET", self.url + "/").get("_links", {})
        if relation not in links:
            raise PactError(f"the Pact Broker at {self.url} offers no {relation} (is it a Pact Broker?)")
        href = str(links[relation]["href"])
        for name, value in values.items():
            href = href.replace("{" + name + "}", quote(value, safe=""))
        return href

    def publish(self, pacts: Sequence[PactFile], *, version: str, branch: str | None) -> list[str]:
        """Publish each consumer's pacts as ``version`` of it (on ``branch``); returns the broker's log lines."""
        url = self.link("pb:publish-contracts")
        logs: list[str] = []
        for consumer in sorted({p.consumer for p in pacts}):
            contracts = [
                {
                    "consumerName": consumer,
                    "providerName": p.provider,
                    "specification": "pact",
                    "contentType": "application/json",
                    "content": base64.b64encode(p.path.read_bytes()).decode(),
                }
                for p in pacts
                if p.consumer == consumer
            ]
            body: dict[str, Any] = {
                "pacticipantName": consumer,
                "pacticipantVersionNumber": version,
                "contracts": contracts,
            }
            if branch:
                body["branch"] = branch
            answer = self._request("POST", url, body)
            logs += [str(line.get("message", line)) for line in answer.get("logs", [])]
        return logs

    def environment_uuid(self, name: str) -> str:
        found = self._request("GET", self.link("pb:environments")).get("_embedded", {}).get("environments", [])
        for environment in found:
            if environment.get("name") == name:
                return str(environment["uuid"])
        known = ", ".join(sorted(str(e.get("name")) for e in found)) or "none"
        raise PactError(f"the Pact Broker has no environment {name!r} (known: {known})")

    def record_deployment(self, pacticipant: str, version: str, environment: str) -> None:
        """The version is now the one deployed to ``environment`` (the broker ends the one deployed before)."""
        self._record(pacticipant, version, environment, "deployed-versions")

    def record_release(self, pacticipant: str, version: str, environment: str) -> None:
        """The version is released to ``environment`` and supported there, beside the versions released before (a
        mobile app, a library: several can be in use at once)."""
        self._record(pacticipant, version, environment, "released-versions")

    def _record(self, pacticipant: str, version: str, environment: str, kind: str) -> None:
        env_uuid = self.environment_uuid(environment)
        versions = f"/pacticipants/{quote(pacticipant, safe='')}/versions/{quote(version, safe='')}"
        path = f"{versions}/{kind}/environment/{env_uuid}"
        self._request("POST", self.url + path, {})

    def can_i_deploy(self, pacticipant: str, version: str, environment: str | None) -> Deployability:
        params = {"pacticipant": pacticipant, "version": version}
        if environment:
            params["environment"] = environment
        url = httpx.URL(self.url + "/can-i-deploy", params=params)
        summary = self._request("GET", str(url)).get("summary") or {}
        return Deployability(
            bool(summary.get("deployable")),
            str(summary.get("reason", "")),
            int(summary.get("failed") or 0),
            int(summary.get("unknown") or 0),
        )


@dataclass(frozen=True, slots=True)
class Selection:
    """Which pacts a provider verifies from the broker (consumer version selectors and the pending/WIP options)."""

    main_branch: bool = True
    deployed_or_released: bool = True
    branches: tuple[str, ...] = ()
    include_pending: bool = True
    include_wip_since: str | None = None


def verify_from_broker(
    target: Target,
    provider: str,
    broker: Broker,
    *,
    provider_version: str,
    provider_branch: str | None,
    selection: Selection,
    publish: bool,
) -> PactVerification:
    """Verify ``provider`` against the pacts the broker selects; the FFI publishes the results when ``publish``."""
    from pathlib import Path

    endpoint = target.endpoints.get(provider)
    where = Path(f"{broker.url} (broker)")
    if endpoint is None:
        why = target.unavailable.get(provider, "not in the target")
        return PactVerification("(broker)", provider, where, False, error=f"provider not available: {why}")
    broker.link("pb:provider-pacts-for-verification", provider=provider)  # a broker that answers, before the FFI
    with StateServer(ApiStates(target), EventCauses(target)) as server:
        verifier = provider_verifier(target, provider, endpoint, server)
        source = verifier.broker_source(broker.url, token=broker.token, selector=True, use_env=False)
        if selection.main_branch:
            source.consumer_version(main_branch=True)
        if selection.deployed_or_released:
            source.consumer_version(deployed_or_released=True)
        for branch in selection.branches:
            source.consumer_version(branch=branch)
        source = source.include_pending() if selection.include_pending else source.exclude_pending()
        if selection.include_wip_since:
            source = source.include_wip_since(selection.include_wip_since)
        if provider_branch:
            source = source.provider_branch(provider_branch)
        verifier = source.build()
        if publish:
            verifier.set_publish_options(version=provider_version, branch=provider_branch)
        verified, output, results = run_verifier(verifier)
    if verified:
        return PactVerification("(broker)", provider, where, True, output=output)
    return PactVerification("(broker)", provider, where, False, mismatches(results, output), output)
