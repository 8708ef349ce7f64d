"""A small OIDC issuer on loopback (discovery and a JWKS that counts its reads), tokens minted with PyJWT, and a
gateway with OAuth on pointed at it: what tests/test_oauth_resource.py drives the gateway with."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.support.gateway import RunningGateway, run_gateway
from tests.support.postgres import PostgresForTests
from tests.support.serving import LoopbackServer

RESOURCE = "https://mcp.artbattle.test/mcp"
METADATA_URL = "https://mcp.artbattle.test/.well-known/oauth-protected-resource/mcp"
SCOPES_FILE = """
groups_claim: app_metadata.groups
rules:
  - email_domain: artbattle.test
    scopes: [read]
  - group: finance
    scopes: [read, people, finance]
"""
LIST_TOOLS = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
DESKTOP_TOKEN = "static-read-only-desktop-token"  # a tokens-file client, beside OAuth
MCP_HEADERS = {"accept": "application/json, text/event-stream", "mcp-protocol-version": "2025-11-25"}

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@dataclass
class Issuer:
    """Discovery and a JWKS on loopback; `keys` may change (rotation), `jwks_fetches` counts key-set reads."""

    keys: dict[str, PrivateKey] = field(default_factory=dict)
    jwks_fetches: int = 0
    url: str = ""

    def app(self) -> Starlette:
        async def discovery(_: Request) -> JSONResponse:
            return JSONResponse({"issuer": self.url, "jwks_uri": f"{self.url}/jwks"})

        async def jwks(_: Request) -> JSONResponse:
            self.jwks_fetches += 1
            return JSONResponse({"keys": [public_jwk(kid, key) for kid, key in self.keys.items()]})

        return Starlette(
            routes=[Route("/.well-known/openid-configuration", discovery), Route("/jwks", jwks)],
        )

    def mint(self, kid: str = "ec-1", key: PrivateKey | None = None, **claims: Any) -> str:
        """A token signed by key `kid` (or by `key` under that kid); claims override good defaults."""
        now = int(time.time())
        payload = {
            "iss": self.url,
            "aud": RESOURCE,
            "sub": "user-1234",
            "email": "maya.okafor@artbattle.test",
            "email_verified": True,
            "iat": now,
            "exp": now + 300,
        } | claims
        signer = key or self.keys[kid]
        algorithm = "RS256" if isinstance(signer, rsa.RSAPrivateKey) else "ES256"
        return jwt.encode({k: v for k, v in payload.items() if v is not None}, signer, algorithm, {"kid": kid})


def public_jwk(kid: str, key: PrivateKey) -> dict[str, Any]:
    if isinstance(key, rsa.RSAPrivateKey):
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())
    else:
        jwk = jwt.algorithms.ECAlgorithm.to_jwk(key.public_key())
    return {**json.loads(jwk), "kid": kid, "use": "sig"}


def new_rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256_with_public_key(issuer: Issuer, kid: str) -> str:
    """The key-confusion attack: HMAC "signed" with the issuer's public key (PyJWT refuses to mint it)."""
    public_pem = (
        issuer.keys[kid]
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    good = jwt.decode(issuer.mint(kid), options={"verify_signature": False})
    header = {"alg": "HS256", "typ": "JWT", "kid": kid}
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(good).encode())}"
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def alg_none(issuer: Issuer, kid: str) -> str:
    good = jwt.decode(issuer.mint(kid), options={"verify_signature": False})
    return jwt.encode(good, "", "none", {"kid": kid})


@asynccontextmanager
async def oauth_gateway(
    postgres: PostgresForTests, issuer: Issuer, tmp_path: Path, **overrides: Any
) -> AsyncIterator[RunningGateway]:
    scopes_file = tmp_path / "oauth-scopes.yaml"
    scopes_file.write_text(SCOPES_FILE, encoding="utf-8")
    async with run_gateway(
        await postgres.create_demo_database("oauth"),
        mcp_gateway_oauth_issuer=issuer.url,
        mcp_gateway_oauth_resource_url=RESOURCE,
        mcp_gateway_oauth_scopes_file=scopes_file,
        **overrides,
    ) as running:
        yield running


@asynccontextmanager
async def own_issuer() -> AsyncIterator[tuple[Issuer, LoopbackServer]]:
    """An issuer of the test's own, so the test may take it down."""
    issuer = Issuer(keys={"rsa-1": new_rsa(), "ec-1": ec.generate_private_key(ec.SECP256R1())})
    server = LoopbackServer()
    await server.start(issuer.app())
    issuer.url = server.base_url
    try:
        yield issuer, server
    finally:
        await server.stop()


async def post(gateway: RunningGateway, token: str | None, message: dict[str, Any] = LIST_TOOLS) -> httpx2.Response:
    headers = MCP_HEADERS | ({"authorization": f"Bearer {token}"} if token else {})
    async with httpx2.AsyncClient(base_url=gateway.base_url) as http:
        return await http.post("/mcp", json=message, headers=headers)


async def tool_names(gateway: RunningGateway, token: str, mode: str = "auto") -> set[str]:
    async with gateway.client(token, mode=mode) as session:
        return {tool.name for tool in (await session.list_tools()).tools}
