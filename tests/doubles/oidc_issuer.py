"""A local OpenID Connect issuer on loopback, speaking the real wire protocols, for OAuth tests of the gateway.

    async with running_issuer(OidcIssuer(audience=RESOURCE)) as issuer:
        token = issuer.mint(groups=["finance"])       # signed by the newest key; aud = issuer.audience

- Metadata: OIDC discovery at `{issuer}/.well-known/openid-configuration` and RFC 8414 at
  `/.well-known/oauth-authorization-server{path}` (the same document); `/jwks` publishes every live key.
- Keys: real RSA (RS256) and EC P-256 (ES256). `add_key(alg)` rotates one in (the newest signs), `retire(kid)`
  takes one out of the JWKS; a `SigningKey.generate(alg)` of your own is a key nobody can look up.
- Minting: `mint(key, expires_in, **claims)` over good defaults (a claim given as None is left out), so expired,
  not-yet-valid, wrong iss/aud and unknown-kid tokens are arguments; `mint_alg_none` and
  `mint_hs256_with_public_key` (key confusion) are assembled by hand, since PyJWT refuses to make them.
- Dynamic client registration (RFC 7591) at `POST /register`, public or confidential clients.
- Authorization code with PKCE S256 only: `GET /authorize` signs in `user` without a login page and redirects
  straight back with a code; `POST /token` checks the code (once, short-lived), the client, the redirect URI,
  the verifier and the RFC 8707 `resource` (as at /authorize, and in `resources` when set), and issues a
  short-lived access token with `aud` = the resource. Errors are RFC 6749 `{"error", "error_description"}`.
- `requests` journals every (method, path) served, so a test can follow a client's discovery.

`python -m tests.doubles.oidc_issuer --audience URL --out FILE [--port N] [--path P] [--token NAME=JSON ...]`
serves one until SIGTERM (scripts/mcp-conformance.sh); once it listens it writes its URL and the named tokens
(`mint` arguments as JSON, e.g. `{"groups": ["finance"], "expires_in": -600}`) to FILE.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.support.serving import LoopbackServer

Alg = Literal["RS256", "ES256"]
CODE_LIFETIME_SECONDS = 60


@dataclass(frozen=True)
class TestUser:
    """Who `/authorize` signs in: the claims an identity provider would put in the access token."""

    __test__ = False  # a data class, not a pytest test class
    sub: str = "user-7f3a"
    email: str = "maya.okafor@artbattle.test"
    email_verified: bool = True
    groups: tuple[str, ...] = ("finance",)


@dataclass(frozen=True)
class SigningKey:
    kid: str
    alg: Alg
    private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

    @classmethod
    def generate(cls, alg: Alg) -> SigningKey:
        private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
        if alg == "RS256":
            private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        else:
            private = ec.generate_private_key(ec.SECP256R1())
        return cls(f"{alg.lower()}-{secrets.token_hex(4)}", alg, private)

    def public_jwk(self) -> dict[str, Any]:
        if isinstance(self.private, rsa.RSAPrivateKey):
            jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key())
        else:
            jwk = jwt.algorithms.ECAlgorithm.to_jwk(self.private.public_key())
        return {**json.loads(jwk), "kid": self.kid, "alg": self.alg, "use": "sig"}

    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    code_challenge: str
    resource: str | None
    scope: str
    expires_at: float


@dataclass
class OidcIssuer:
    """The issuer's state; `app()` serves it, `url` is set once it listens."""

    user: TestUser = field(default_factory=TestUser)
    audience: str = "https://mcp.example.test/mcp"  # the default `aud` of minted tokens
    resources: frozenset[str] | None = None  # resources /token will issue for; None: any absolute URL
    token_lifetime: int = 300
    path: str = ""  # an issuer with a path, as Okta's /oauth2/default or a Keycloak realm; "" for a root issuer
    url: str = ""  # the issuer identifier: the server's origin and `path`
    keys: list[SigningKey] = field(default_factory=lambda: [SigningKey.generate("RS256"), SigningKey.generate("ES256")])
    clients: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    _grants: dict[str, _Grant] = field(default_factory=dict)

    # --- keys and minting ------------------------------------------------------------------------------------
    def add_key(self, alg: Alg = "RS256") -> SigningKey:
        key = SigningKey.generate(alg)
        self.keys.append(key)
        return key

    def retire(self, kid: str) -> None:
        self.keys = [key for key in self.keys if key.kid != kid]

    def key(self, alg: Alg) -> SigningKey:
        """The newest published key of this algorithm."""
        return next(key for key in reversed(self.keys) if key.alg == alg)

    def claims(self, expires_in: int | None = None, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        lifetime = self.token_lifetime if expires_in is None else expires_in
        user = self.user
        defaults: dict[str, Any] = {"iss": self.url, "aud": self.audience, "sub": user.sub, "email": user.email}
        defaults |= {"email_verified": user.email_verified, "groups": list(user.groups), "iat": now}
        defaults |= {"exp": now + lifetime, "scope": "openid email"}
        return {name: value for name, value in (defaults | overrides).items() if value is not None}

    def mint(self, key: SigningKey | None = None, expires_in: int | None = None, **claims: Any) -> str:
        """A token signed by `key` (default: the newest key); `expires_in` below zero makes it expired."""
        signer = key or self.keys[-1]
        payload = self.claims(expires_in, **claims)
        return jwt.encode(payload, signer.private, signer.alg, {"kid": signer.kid, "typ": "at+jwt"})

    def mint_alg_none(self, **claims: Any) -> str:
        header = {"alg": "none", "typ": "JWT", "kid": self.keys[-1].kid}
        return f"{_b64_json(header)}.{_b64_json(self.claims(**claims))}."

    def mint_hs256_with_public_key(self, key: SigningKey | None = None, **claims: Any) -> str:
        """HMAC keyed with the published public key: what a verifier trusting the header's alg would accept."""
        signer = key or self.keys[-1]
        header = {"alg": "HS256", "typ": "JWT", "kid": signer.kid}
        signing_input = f"{_b64_json(header)}.{_b64_json(self.claims(**claims))}"
        signature = hmac.new(signer.public_pem(), signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{_b64(signature)}"

    # --- the wire --------------------------------------------------------------------------------------------
    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "registration_endpoint": f"{self.url}/register",
            "jwks_uri": f"{self.url}/jwks",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none", "client_secret_post", "client_secret_basic"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
            "scopes_supported": ["openid", "email", "groups"],
        }

    def app(self) -> Starlette:
        at = self.path
        routes = [
            Route(f"{at}/.well-known/openid-configuration", self._metadata),  # OIDC: appended to the issuer
            Route(f"/.well-known/oauth-authorization-server{at}", self._metadata),  # RFC 8414: inserted before it
            Route(f"{at}/jwks", self._jwks),
            Route(f"{at}/register", self._register, methods=["POST"]),
            Route(f"{at}/authorize", self._authorize),
            Route(f"{at}/token", self._token, methods=["POST"]),
        ]
        return Starlette(routes=routes)

    def _journal(self, request: Request) -> None:
        self.requests.append((request.method, request.url.path))

    async def _metadata(self, request: Request) -> Response:
        self._journal(request)
        return JSONResponse(self.metadata())

    async def _jwks(self, request: Request) -> Response:
        self._journal(request)
        return JSONResponse({"keys": [key.public_jwk() for key in self.keys]})

    async def _register(self, request: Request) -> Response:
        self._journal(request)
        try:
            document = await request.json()
        except ValueError:
            return _error("invalid_client_metadata", "the body is not JSON")
        uris = document.get("redirect_uris") if isinstance(document, dict) else None
        if not isinstance(uris, list) or not uris or not all(isinstance(uri, str) for uri in uris):
            return _error("invalid_redirect_uri", "redirect_uris must be a non-empty list of URLs")
        method = document.get("token_endpoint_auth_method", "client_secret_basic")
        if method not in self.metadata()["token_endpoint_auth_methods_supported"]:
            return _error("invalid_client_metadata", f"token_endpoint_auth_method {method!r} is not supported")
        client = {**document, "client_id": f"client-{secrets.token_hex(6)}", "token_endpoint_auth_method": method}
        client |= {"client_id_issued_at": int(time.time()), "grant_types": ["authorization_code"]}
        if method != "none":
            client |= {"client_secret": secrets.token_urlsafe(24), "client_secret_expires_at": 0}
        self.clients[client["client_id"]] = client
        return JSONResponse(client, status_code=201)

    async def _authorize(self, request: Request) -> Response:
        self._journal(request)
        query = request.query_params
        client = self.clients.get(query.get("client_id", ""))
        redirect_uri = query.get("redirect_uri", "")
        if client is None or redirect_uri not in client["redirect_uris"]:
            # Never redirect to a URI the client did not register (RFC 6749 4.1.2.1).
            return _error("invalid_request", "unknown client_id or unregistered redirect_uri")
        state = {"state": query["state"]} if "state" in query else {}
        if (problem := _authorize_problem(query)) is not None:
            refusal = {"error": "invalid_request", "error_description": problem} | state
            return RedirectResponse(_with_query(redirect_uri, refusal), 302)
        code, scope = secrets.token_urlsafe(24), query.get("scope") or "openid email"
        expires = time.time() + CODE_LIFETIME_SECONDS
        challenge, resource = query["code_challenge"], query.get("resource")
        self._grants[code] = _Grant(client["client_id"], redirect_uri, challenge, resource, scope, expires)
        return RedirectResponse(_with_query(redirect_uri, {"code": code} | state), 302)

    async def _token(self, request: Request) -> Response:
        self._journal(request)
        form = dict(await request.form())
        client_id, secret = _client_credentials(request, form)
        if form.get("grant_type") != "authorization_code":
            return _error("unsupported_grant_type", "only authorization_code is supported")
        client = self.clients.get(client_id or "")
        if client is None or (client.get("client_secret") and secret != client["client_secret"]):
            return _error("invalid_client", "unknown client or wrong client secret", 401)
        grant = self._grants.pop(str(form.get("code", "")), None)  # a code is good once, even when refused
        if grant is None:
            return _error("invalid_grant", "the code is unknown or was used already")
        if (refusal := _grant_problem(grant, client_id, form)) is not None:
            return _error("invalid_grant", refusal)
        resource = str(form["resource"])
        if self.resources is not None and resource not in self.resources:
            return _error("invalid_target", f"this issuer does not issue tokens for {resource[:100]!r}")
        token = self.mint(aud=resource, scope=grant.scope, azp=client_id)
        answer = {"access_token": token, "token_type": "Bearer", "expires_in": self.token_lifetime}
        return JSONResponse(answer | {"scope": grant.scope}, headers={"cache-control": "no-store"})


def _authorize_problem(query: Mapping[str, str]) -> str | None:
    if query.get("response_type") != "code":
        return "only response_type=code is supported"
    if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
        return "PKCE is required: send a code_challenge with code_challenge_method=S256"
    return None


def _grant_problem(grant: _Grant, client_id: str | None, form: dict[str, Any]) -> str | None:
    """Why the code exchange is refused, or None; every check RFC 6749, RFC 7636 and RFC 8707 ask for."""
    if grant.expires_at < time.time():
        return "the code has expired"
    if grant.client_id != client_id or grant.redirect_uri != form.get("redirect_uri"):
        return "the code was issued to another client or redirect_uri"
    verifier = str(form.get("code_verifier", ""))
    if not verifier or not hmac.compare_digest(_b64(hashlib.sha256(verifier.encode()).digest()), grant.code_challenge):
        return "the PKCE code_verifier does not match the code_challenge"
    resource = form.get("resource")
    if not resource or (grant.resource is not None and resource != grant.resource):
        return "send the resource parameter (RFC 8707), the same as at /authorize"
    return None


def _client_credentials(request: Request, form: dict[str, Any]) -> tuple[str | None, str | None]:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
        return client_id, secret
    return form.get("client_id"), form.get("client_secret")


def _error(code: str, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": code, "error_description": description}, status_code=status)


def _with_query(uri: str, params: dict[str, str]) -> str:
    return f"{uri}{'&' if '?' in uri else '?'}{urlencode(params)}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64_json(document: dict[str, Any]) -> str:
    return _b64(json.dumps(document, separators=(",", ":")).encode())


@asynccontextmanager
async def running_issuer(issuer: OidcIssuer | None = None, port: int = 0) -> AsyncIterator[OidcIssuer]:
    """Serve an issuer on a loopback port (0: any free one) in the current event loop."""
    issuer = issuer or OidcIssuer()
    server = LoopbackServer(port=port)
    await server.start(issuer.app())
    issuer.url = server.base_url + issuer.path
    try:
        yield issuer
    finally:
        await server.stop()


async def _serve_until_cancelled(arguments: argparse.Namespace) -> None:
    configured = OidcIssuer(audience=arguments.audience, path=arguments.path)
    async with running_issuer(configured, arguments.port) as issuer:
        tokens = {}
        for item in arguments.token:
            name, _, overrides = item.partition("=")
            tokens[name] = issuer.mint(**json.loads(overrides or "{}"))
        document = {"issuer": issuer.url, "tokens": tokens}
        arguments.out.write_text(json.dumps(document), encoding="utf-8")  # written once it listens
        await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Serve a test OIDC issuer on loopback until SIGTERM.")
    parser.add_argument("--audience", required=True, help="aud of the minted tokens (the gateway's resource URL)")
    parser.add_argument("--out", type=Path, required=True, help="where to write {issuer, tokens} as JSON")
    parser.add_argument("--port", type=int, default=0, help="loopback port (default: any free one)")
    parser.add_argument("--path", default="", help="the issuer's path, e.g. /oauth2/default (default: none)")
    parser.add_argument("--token", action="append", default=[], help="NAME=JSON claims overrides; repeatable")
    asyncio.run(_serve_until_cancelled(parser.parse_args()))
