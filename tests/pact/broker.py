"""A stand-in Pact Broker for the tests: the subset of the documented Pact Broker HTTP API that ``fleetcheck pact``
and the Pact FFI verifier's broker source use, in memory, on a free 127.0.0.1 port. It is NOT a Pact Broker: no
database, no auth, no webhooks, no UI; every pacticipant's main branch is ``main``.

Resources (the broker's own names): the HAL index (``GET /``), ``POST /contracts/publish``, ``POST
/pacts/provider/{provider}/for-verification`` (selectors ``mainBranch``, ``branch``, ``deployed``/``released``/
``deployedOrReleased`` with ``environment``, ``consumer``; ``includePendingStatus``, ``includeWipPactsSince``), ``GET``
a pact version with its ``pb:publish-verification-results`` link, ``POST`` verification results, environments
(``GET``/``POST /environments``), ``POST /pacticipants/{p}/versions/{v}/deployed-versions/environment/{uuid}``
(record-deployment: the version replaces the one deployed before), ``POST
/pacticipants/{p}/versions/{v}/released-versions/environment/{uuid}`` (record-release: every released version stays
supported beside the others), and ``GET /can-i-deploy`` and ``GET /matrix`` (one answer: ``summary.deployable``,
``reason``).
Requests it does not know answer 404 and are kept in ``unknown``, so a test sees what a client needed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from fleetcheck.pact import LoopbackServer

MAIN = "main"


@dataclass
class Publication:
    consumer: str
    version: str
    provider: str
    sha: str
    at: datetime


@dataclass
class Verification:
    provider: str
    version: str
    sha: str
    success: bool
    failures: list[str]


@dataclass
class BrokerState:
    branches: dict[tuple[str, str], str | None] = field(default_factory=dict)  # (pacticipant, version) -> branch
    contents: dict[str, dict[str, Any]] = field(default_factory=dict)  # pact version (sha) -> pact
    publications: list[Publication] = field(default_factory=list)
    verifications: list[Verification] = field(default_factory=list)
    environments: dict[str, str] = field(default_factory=dict)  # uuid -> name
    deployments: list[tuple[str, str, str]] = field(default_factory=list)  # (pacticipant, version, environment name)
    releases: list[tuple[str, str, str]] = field(default_factory=list)  # the same, each one still supported
    provider_branches: dict[tuple[str, str], str] = field(default_factory=dict)


class StandInBroker:
    """``with StandInBroker() as broker: broker.url`` -- see the module docstring for what it answers."""

    def __init__(self) -> None:
        self.state = BrokerState()
        self.unknown: list[str] = []
        self.requests: list[tuple[str, str, Any]] = []  # every request, for a test to see what a client sent
        self.lock = threading.Lock()
        broker = self

        class _Handler(BaseHTTPRequestHandler):
            def _answer(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/hal+json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else {}
                with broker.lock:
                    broker.requests.append((method, self.path, body))
                    status, answer = broker.route(method, self.path, body)
                if status == 404:
                    broker.unknown.append(f"{method} {self.path}")
                self._answer(status, answer)

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def do_PUT(self) -> None:
                self._handle("PUT")

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = LoopbackServer(_Handler, "stand-in-broker")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.port}"

    def __enter__(self) -> StandInBroker:
        self._server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.__exit__()

    # ---- routing -------------------------------------------------------------------------------------------------

    def route(self, method: str, target: str, body: Any) -> tuple[int, Any]:
        parts = urlsplit(target)
        path, query = parts.path.rstrip("/") or "/", parse_qs(parts.query)
        segments = [unquote(s) for s in path.strip("/").split("/")] if path != "/" else []
        if method == "GET" and path == "/":
            return 200, self.index()
        if method == "POST" and path == "/contracts/publish":
            return self.publish(body)
        if method == "GET" and path == "/environments":
            return 200, self.environments()
        if method == "POST" and path == "/environments":
            return self.create_environment(body)
        if method == "GET" and path in ("/can-i-deploy", "/matrix"):
            return self.can_i_deploy(query)
        return self._route_resource(method, path, segments, body)

    def _route_resource(self, method: str, path: str, segments: list[str], body: Any) -> tuple[int, Any]:
        match segments:
            case ["pacts", "provider", provider, "for-verification"] if method == "POST":
                return 200, self.for_verification(provider, body)
            case ["pacts", "provider", provider, "for-verification"] if method == "GET":
                # the resource itself: clients navigate to it, then POST their selectors to its self link
                return 200, {
                    "_links": {"self": {"href": self._href("pacts", "provider", provider, "for-verification")}}
                }
            case ["pacts", "provider", provider, "consumer", consumer, "pact-version", sha] if method == "GET":
                return self.pact(provider, consumer, sha)
            case ["pacts", "provider", provider, "consumer", _c, "pact-version", sha, "verification-results"] if (
                method == "POST"
            ):
                return self.verification_results(provider, sha, body)
            case ["pacticipants", pacticipant] if method == "GET":
                return 200, self.pacticipant(pacticipant)
            case ["pacticipants", pacticipant, "branches", branch, "versions", version] if method == "PUT":
                self.state.provider_branches[(pacticipant, version)] = branch
                self.state.branches.setdefault((pacticipant, version), branch)
                return 200, {"number": version, "branch": branch}
            case ["pacticipants", pacticipant, "versions", version] if method == "GET":
                return self.version(pacticipant, version)
            case ["pacticipants", pacticipant, "versions", version, "deployed-versions", "environment", env]:
                return self.record_deployment(pacticipant, version, env)
            case ["pacticipants", pacticipant, "versions", version, "released-versions", "environment", env]:
                return self.record_release(pacticipant, version, env)
        return 404, {"error": f"the stand-in broker has no {method} {path}"}

    def _href(self, *segments: str) -> str:
        return self.url + "/" + "/".join(quote(s, safe="") for s in segments)

    def index(self) -> dict[str, Any]:
        return {
            "_links": {
                "self": {"href": self.url, "title": "Index"},
                "pb:publish-contracts": {"href": self._href("contracts", "publish"), "title": "Publish contracts"},
                "pb:provider-pacts-for-verification": {
                    "href": self.url + "/pacts/provider/{provider}/for-verification",
                    "title": "Pact versions to be verified for the specified provider",
                    "templated": True,
                },
                "pb:environments": {"href": self._href("environments"), "title": "Environments"},
                "pb:can-i-deploy-pacticipant-version-to-environment": {
                    "href": self.url + "/can-i-deploy?pacticipant={pacticipant}&version={version}"
                    "&environment={environment}",
                    "templated": True,
                },
            }
        }

    # ---- publishing --------------------------------------------------------------------------------------------

    def publish(self, body: dict[str, Any]) -> tuple[int, Any]:
        name, version = body.get("pacticipantName"), body.get("pacticipantVersionNumber")
        contracts = body.get("contracts") or []
        if not name or not version or not contracts:
            return 400, {"errors": {"body": ["pacticipantName, pacticipantVersionNumber and contracts are required"]}}
        self.state.branches[(name, version)] = body.get("branch")
        logs, links = [], []
        for contract in contracts:
            if contract.get("consumerName") != name or contract.get("specification") != "pact":
                return 400, {"errors": {"contracts": ["consumerName must be the pacticipant; specification pact"]}}
            content = json.loads(base64.b64decode(contract["content"]))
            sha = hashlib.sha1(json.dumps(content, sort_keys=True).encode()).hexdigest()  # an id, not a secret
            self.state.contents[sha] = content
            provider = contract["providerName"]
            self.state.publications.append(Publication(name, version, provider, sha, datetime.now(UTC)))
            logs.append(
                {
                    "level": "info",
                    "message": f"Pact published for {name} version {version} and provider {provider}.",
                    "deprecationWarning": "Replaced by notices",  # the broker's own words; its CLI requires the key
                }
            )
            links.append(
                {
                    "title": "Pact",
                    "name": f"Pact between {name} ({version}) and {provider}",
                    "href": self._href("pacts", "provider", provider, "consumer", name, "pact-version", sha),
                }
            )
        pacticipant_href = self._href("pacticipants", name)
        version_href = self._href("pacticipants", name, "versions", version)
        version_link = {"title": "Pacticipant version", "name": version, "href": version_href}
        notices = [
            {"type": "success" if line["level"] == "info" else "debug", "text": line["message"]} for line in logs
        ]
        return 200, {
            "notices": notices,
            "logs": logs,
            "_embedded": {
                "pacticipant": {"name": name, "_links": {"self": {"href": pacticipant_href}}},
                "version": {"number": version, "branch": body.get("branch"), "_links": {"self": version_link}},
            },
            "_links": {
                "pb:pacticipant": {"title": "Pacticipant", "name": name, "href": pacticipant_href},
                "pb:pacticipant-version": version_link,
                "pb:pacticipant-version-tags": [],
                "pb:contracts": links,
            },
        }

    # ---- pacts for verification --------------------------------------------------------------------------------

    def _latest(self, provider: str, consumer: str | None, branch: str) -> list[Publication]:
        latest: dict[str, Publication] = {}
        for pub in self.state.publications:
            on_branch = self.state.branches.get((pub.consumer, pub.version)) == branch
            if pub.provider == provider and consumer in (None, pub.consumer) and on_branch:
                latest[pub.consumer] = pub
        return list(latest.values())

    def _in_environment(self, environment: str | None, *, deployed: bool, released: bool) -> set[tuple[str, str]]:
        """The (pacticipant, version)s deployed to or released in ``environment`` (any environment when None)."""
        chosen = (self.state.deployments if deployed else []) + (self.state.releases if released else [])
        return {(p, v) for p, v, env in chosen if environment in (None, env)}

    def _deployed(
        self, provider: str, consumer: str | None, environment: str | None, selector: dict[str, Any]
    ) -> list[Publication]:
        either = bool(selector.get("deployedOrReleased"))
        deployed = self._in_environment(
            environment,
            deployed=either or bool(selector.get("deployed")),
            released=either or bool(selector.get("released")),
        )
        return [
            pub
            for pub in self.state.publications
            if pub.provider == provider and (pub.consumer, pub.version) in deployed and consumer in (None, pub.consumer)
        ]

    def _selected(self, provider: str, selector: dict[str, Any]) -> tuple[list[Publication], str]:
        consumer = selector.get("consumer")
        if selector.get("mainBranch"):
            return self._latest(provider, consumer, MAIN), "the latest version from the main branch"
        if selector.get("branch"):
            return self._latest(
                provider, consumer, selector["branch"]
            ), f"the latest version of branch {selector['branch']}"
        if selector.get("deployed") or selector.get("released") or selector.get("deployedOrReleased"):
            env = selector.get("environment")
            kind = "released in" if not selector.get("deployed") and selector.get("released") else "deployed to"
            return self._deployed(provider, consumer, env, selector), f"a version {kind} {env or 'an environment'}"
        return [], "an unsupported selector"

    def _pending(self, provider: str, sha: str, branch: str | None) -> bool:
        """Pending until a provider version of the given branch (default main) verified this content successfully."""
        wanted = branch or MAIN
        return not any(
            v.provider == provider
            and v.sha == sha
            and v.success
            and self.state.provider_branches.get((provider, v.version)) == wanted
            for v in self.state.verifications
        )

    def for_verification(self, provider: str, body: dict[str, Any]) -> dict[str, Any]:
        chosen: dict[str, tuple[Publication, list[str], bool]] = {}
        for selector in body.get("consumerVersionSelectors") or [{"mainBranch": True}]:
            found, why = self._selected(provider, selector)
            for pub in found:
                reasons = chosen.get(pub.sha, (pub, [], False))[1]
                chosen[pub.sha] = (pub, [*reasons, f"{pub.consumer} {pub.version} is {why}"], False)
        since = body.get("includeWipPactsSince")
        branch = body.get("providerVersionBranch")
        if since:
            start = datetime.fromisoformat(str(since)).replace(tzinfo=UTC)
            for pub in self.state.publications:
                fresh = pub.provider == provider and pub.sha not in chosen and pub.at >= start
                if fresh and self._pending(provider, pub.sha, branch):
                    chosen[pub.sha] = (pub, [f"{pub.consumer} {pub.version} is work in progress"], True)
        pacts = []
        for sha, (pub, reasons, wip) in chosen.items():
            properties: dict[str, Any] = {"notices": [{"when": "before_verification", "text": r} for r in reasons]}
            if body.get("includePendingStatus"):
                properties["pending"] = self._pending(provider, sha, branch)
            if wip:
                properties["wip"] = True
            href = self._href("pacts", "provider", provider, "consumer", pub.consumer, "pact-version", sha)
            pacts.append(
                {
                    "shortDescription": "; ".join(reasons),
                    "verificationProperties": properties,
                    "_links": {
                        "self": {"href": href, "name": f"Pact between {pub.consumer} ({pub.version}) and {provider}"}
                    },
                }
            )
        return {
            "_embedded": {"pacts": pacts},
            "_links": {"self": {"href": self._href("pacts", "provider", provider, "for-verification")}},
        }

    def pact(self, provider: str, consumer: str, sha: str) -> tuple[int, Any]:
        content = self.state.contents.get(sha)
        if content is None:
            return 404, {"error": f"no pact version {sha}"}
        results = self._href(
            "pacts", "provider", provider, "consumer", consumer, "pact-version", sha, "verification-results"
        )
        links = {
            "self": {"href": self._href("pacts", "provider", provider, "consumer", consumer, "pact-version", sha)},
            "pb:publish-verification-results": {"title": "Publish verification results", "href": results},
            "pb:provider": {"title": "Provider", "name": provider, "href": self._href("pacticipants", provider)},
            "pb:consumer": {"title": "Consumer", "name": consumer, "href": self._href("pacticipants", consumer)},
        }
        return 200, {**content, "_links": links}

    def verification_results(self, provider: str, sha: str, body: dict[str, Any]) -> tuple[int, Any]:
        version = body.get("providerApplicationVersion")
        if not version or "success" not in body:
            return 400, {"errors": {"body": ["providerApplicationVersion and success are required"]}}
        failures = [
            str(r.get("interactionDescription") or r.get("interactionId") or r)
            for r in (body.get("testResults") or [])
            if isinstance(r, dict) and not r.get("success", True)
        ]
        self.state.verifications.append(Verification(provider, version, sha, bool(body["success"]), failures))
        self.state.branches.setdefault((provider, version), self.state.provider_branches.get((provider, version)))
        return 201, {"success": body["success"], "providerApplicationVersion": version}

    def version(self, pacticipant: str, number: str) -> tuple[int, Any]:
        if (pacticipant, number) not in self.state.branches:
            return 404, {"error": f"no version {number} of {pacticipant}"}
        base = self._href("pacticipants", pacticipant, "versions", number)
        record = [
            {
                "title": f"Record deployment to {name}",
                "name": name,
                "href": f"{base}/deployed-versions/environment/{env_uuid}",
            }
            for env_uuid, name in self.state.environments.items()
        ]
        release = [
            {"title": f"Record release to {name}", "name": name, "href": f"{base}/released-versions/environment/{u}"}
            for u, name in self.state.environments.items()
        ]
        return 200, {
            "number": number,
            "branch": self.state.branches[(pacticipant, number)],
            "_links": {"self": {"href": base}, "pb:record-deployment": record, "pb:record-release": release},
        }

    def pacticipant(self, name: str) -> dict[str, Any]:
        base = self._href("pacticipants", name)
        return {
            "name": name,
            "mainBranch": MAIN,
            "_links": {
                "self": {"href": base},
                "pb:branch-version": {"href": base + "/branches/{branch}/versions/{version}", "templated": True},
            },
        }

    # ---- environments, deployments, can-i-deploy -----------------------------------------------------------------

    def environments(self) -> dict[str, Any]:
        found = [
            {"uuid": u, "name": n, "_links": {"self": {"href": self._href("environments", u)}}}
            for u, n in self.state.environments.items()
        ]
        return {"_embedded": {"environments": found}}

    def create_environment(self, body: dict[str, Any]) -> tuple[int, Any]:
        name = body.get("name")
        if not name or not re.fullmatch(r"[A-Za-z0-9_.-]+", str(name)):
            return 400, {"errors": {"name": ["a name of letters, digits, _ . - is required"]}}
        env_uuid = str(uuid.uuid4())
        self.state.environments[env_uuid] = str(name)
        return 201, {"uuid": env_uuid, "name": name}

    def record_deployment(self, pacticipant: str, version: str, env_uuid: str) -> tuple[int, Any]:
        name = self.state.environments.get(env_uuid)
        if name is None:
            return 404, {"error": f"no environment {env_uuid}"}
        self.state.deployments = [d for d in self.state.deployments if not (d[0] == pacticipant and d[2] == name)]
        self.state.deployments.append((pacticipant, version, name))
        return 201, {"currentlyDeployed": True, "environment": {"name": name}}

    def record_release(self, pacticipant: str, version: str, env_uuid: str) -> tuple[int, Any]:
        name = self.state.environments.get(env_uuid)
        if name is None:
            return 404, {"error": f"no environment {env_uuid}"}
        if (pacticipant, version, name) not in self.state.releases:
            self.state.releases.append((pacticipant, version, name))
        return 201, {"currentlySupported": True, "environment": {"name": name}}

    def _verification(self, provider: str, version: str, sha: str) -> Verification | None:
        found = [
            v for v in self.state.verifications if v.provider == provider and v.version == version and v.sha == sha
        ]
        return found[-1] if found else None

    def _counterparts(self, name: str, environment: str | None) -> list[tuple[str, str]]:
        """The other pacticipants' versions to check against: deployed to or released (and still supported) in
        ``environment``, or their latest main."""
        if environment is not None:
            found = self._in_environment(environment, deployed=True, released=True)
            return sorted((p, v) for p, v in found if p != name)
        latest: dict[str, str] = {}
        for (pacticipant, version), branch in self.state.branches.items():
            if branch == MAIN and pacticipant != name:
                latest[pacticipant] = version
        return list(latest.items())

    def can_i_deploy(self, query: dict[str, list[str]]) -> tuple[int, Any]:
        name = (query.get("pacticipant") or query.get("q[][pacticipant]") or [None])[0]
        version = (query.get("version") or query.get("q[][version]") or [None])[0]
        if not name or not version:
            return 400, {"errors": {"query": ["pacticipant and version are required"]}}
        environment = (query.get("environment") or [None])[0]
        if environment is not None and environment not in self.state.environments.values():
            return 400, {"errors": {"environment": [f"Environment with name '{environment}' does not exist"]}}
        rows: list[dict[str, Any]] = []
        for other, other_version in self._counterparts(name, environment):
            for consumer, c_version, provider, p_version in (
                (name, version, other, other_version),
                (other, other_version, name, version),
            ):
                for pub in self.state.publications:
                    if (pub.consumer, pub.version, pub.provider) != (consumer, c_version, provider):
                        continue
                    verdict = self._verification(provider, p_version, pub.sha)
                    rows.append(
                        {
                            "consumer": {"name": consumer, "version": {"number": c_version}},
                            "provider": {"name": provider, "version": {"number": p_version}},
                            "verificationResult": None
                            if verdict is None
                            else {"success": verdict.success, "failures": verdict.failures},
                        }
                    )
        failed = [r for r in rows if r["verificationResult"] and not r["verificationResult"]["success"]]
        unknown = [r for r in rows if r["verificationResult"] is None]
        deployable = not failed and not unknown
        if deployable:
            reason = "All required verification results are published and successful"
        else:
            lines = [
                f"The verification for the pact between {r['consumer']['name']} ({r['consumer']['version']['number']}) "
                f"and {r['provider']['name']} ({r['provider']['version']['number']}) failed: "
                + "; ".join(r["verificationResult"]["failures"] or ["(no failing interaction named)"])
                for r in failed
            ]
            lines += [
                f"There is no verified pact between {r['consumer']['name']} ({r['consumer']['version']['number']}) "
                f"and {r['provider']['name']} ({r['provider']['version']['number']})"
                for r in unknown
            ]
            reason = "\n".join(lines)
        summary = {
            "deployable": deployable,
            "reason": reason,
            "success": len(rows) - len(failed) - len(unknown),
            "failed": len(failed),
            "unknown": len(unknown),
        }
        return 200, {"summary": summary, "matrix": rows}
