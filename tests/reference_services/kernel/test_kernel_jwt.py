"""JwtVerifier against a real JWKS over HTTP: a current token gives its principal; expired, forged, wrong-audience
and tenant-less tokens are 401 with a reason the caller can act on."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import jwt
import pytest
from litestar.exceptions import NotAuthorizedException

from reference_services.auth.tokens import ACCESS_TOKEN_TTL, SigningKey
from reference_services.kernel import security
from reference_services.kernel.security import JwtVerifier

if TYPE_CHECKING:
    from collections.abc import Iterator

ISSUER, AUDIENCE = "fleet-auth", "fleet"
JWKS_FETCHES: list[str] = []  # every GET the JWKS server below answered


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey.generate(issuer=ISSUER, audience=AUDIENCE)


@pytest.fixture(scope="module")
def jwks_url(key: SigningKey) -> Iterator[str]:
    body = json.dumps(key.jwks()).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            JWKS_FETCHES.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _verify(jwks_url: str, token: str) -> object:
    return asyncio.run(JwtVerifier(jwks_url, issuer=ISSUER, audience=AUDIENCE).verify(token))


def _refusal(jwks_url: str, token: str) -> str:
    with pytest.raises(NotAuthorizedException) as refused:
        _verify(jwks_url, token)
    assert refused.value.status_code == 401
    return str(refused.value.detail)


def test_a_current_token_gives_its_subject_tenant_and_roles(key: SigningKey, jwks_url: str) -> None:
    tenant = str(uuid.uuid4())
    token = key.access_token(sub="user-1", tenant_id=tenant, roles=["user", "approver"], now=datetime.now(UTC))
    principal = _verify(jwks_url, token)
    assert (principal.sub, str(principal.tenant_id), principal.roles) == ("user-1", tenant, ("user", "approver"))


def test_an_expired_token_is_refused_as_expired(key: SigningKey, jwks_url: str) -> None:
    issued = datetime.now(UTC) - ACCESS_TOKEN_TTL - timedelta(minutes=1)
    token = key.access_token(sub="user-1", tenant_id=str(uuid.uuid4()), roles=[], now=issued)
    assert _refusal(jwks_url, token) == "The bearer token has expired."


def test_a_token_signed_by_another_key_with_the_same_kid_is_refused(key: SigningKey, jwks_url: str) -> None:
    other = SigningKey.generate(issuer=ISSUER, audience=AUDIENCE)
    claims = {"sub": "x", "tenant_id": str(uuid.uuid4()), "iss": ISSUER, "aud": AUDIENCE,
              "exp": int((datetime.now(UTC) + timedelta(minutes=5)).timestamp())}  # fmt: skip
    forged = jwt.encode(claims, other.private_key, algorithm="RS256", headers={"kid": key.kid})
    assert _refusal(jwks_url, forged) == "The bearer token is not valid."


@pytest.mark.parametrize(
    ("claim", "value"),
    [("aud", "another-fleet"), ("iss", "someone-else"), ("tenant_id", "not-a-uuid"), ("tenant_id", None)],
)
def test_a_token_with_a_wrong_or_missing_claim_is_refused(
    key: SigningKey, jwks_url: str, claim: str, value: str | None
) -> None:
    claims = {"sub": "x", "tenant_id": str(uuid.uuid4()), "iss": ISSUER, "aud": AUDIENCE,
              "exp": int((datetime.now(UTC) + timedelta(minutes=5)).timestamp())}  # fmt: skip
    if value is None:
        del claims[claim]
    else:
        claims[claim] = value
    token = jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})
    assert _refusal(jwks_url, token) == "The bearer token is not valid."


def test_an_unsigned_token_is_refused(jwks_url: str) -> None:
    claims = {"sub": "x", "tenant_id": str(uuid.uuid4()), "iss": ISSUER, "aud": AUDIENCE}
    assert _refusal(jwks_url, jwt.encode(claims, None, algorithm="none")) == "The bearer token is not valid."


def test_a_verified_token_is_remembered_until_it_expires_and_a_forgery_of_it_is_still_refused(
    key: SigningKey, jwks_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    verifier = JwtVerifier(jwks_url, issuer=ISSUER, audience=AUDIENCE)
    tenant = str(uuid.uuid4())
    token = key.access_token(sub="user-1", tenant_id=tenant, roles=["user"], now=datetime.now(UTC))
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    other = SigningKey.generate(issuer=ISSUER, audience=AUDIENCE)
    forged = jwt.encode({**jwt.decode(token, options={"verify_signature": False}), "sub": "intruder"},
                        other.private_key, algorithm="RS256", headers={"kid": key.kid})  # fmt: skip
    fetched, decoded, real_decode = len(JWKS_FETCHES), [], jwt.decode

    def counted_decode(*args: Any, **kwargs: Any) -> Any:
        decoded.append(args[0])
        return real_decode(*args, **kwargs)

    monkeypatch.setattr(security.jwt, "decode", counted_decode)

    async def refusal(attempt: str) -> object:
        try:
            return await verifier.verify(attempt)
        except NotAuthorizedException as refused:
            return refused.detail

    async def uses() -> list[object]:
        seen = [await verifier.verify(token), await verifier.verify(token), await refusal(forged)]
        monkeypatch.setattr(security.time, "time", lambda: expires + 1.0)
        return [*seen, await refusal(token)]

    first, again, forgery, late = asyncio.run(uses())
    assert first == again
    assert str(first.tenant_id) == tenant  # type: ignore[attr-defined]
    assert decoded == [token, forged], "the second use was answered from memory, the forgery checked in full"
    assert len(JWKS_FETCHES) - fetched == 1, "the forgery was checked with the key in memory"
    assert forgery == "The bearer token is not valid."
    assert late == "The bearer token has expired."
