"""The OIDC issuer double speaks the protocols the way a real identity provider does, so tests built on it mean
something: its tokens verify against its JWKS, and its authorization-code flow enforces PKCE, the client and
the RFC 8707 resource.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import jwt
import pytest

from tests.doubles.oidc_issuer import OidcIssuer, SigningKey, running_issuer

RESOURCE = "https://mcp.example.test/mcp"
REDIRECT = "http://127.0.0.1:9/callback"


@pytest.fixture
async def issuer() -> AsyncIterator[OidcIssuer]:
    async with running_issuer(OidcIssuer(audience=RESOURCE)) as issuer:
        yield issuer


async def published_key(issuer: OidcIssuer, kid: str) -> jwt.PyJWK | None:
    async with httpx2.AsyncClient() as http:
        discovery = (await http.get(f"{issuer.url}/.well-known/openid-configuration")).json()
        keys = (await http.get(discovery["jwks_uri"])).json()["keys"]
    return next((jwt.PyJWK.from_dict(key) for key in keys if key["kid"] == kid), None)


async def verified(issuer: OidcIssuer, token: str) -> dict[str, Any]:
    key = await published_key(issuer, jwt.get_unverified_header(token)["kid"])
    assert key is not None
    claims: dict[str, Any] = jwt.decode(token, key, algorithms=["RS256", "ES256"], audience=RESOURCE, issuer=issuer.url)
    return claims


async def test_both_metadata_documents_name_the_same_endpoints_under_the_issuer(issuer: OidcIssuer) -> None:
    async with httpx2.AsyncClient(base_url=issuer.url) as http:
        oidc = (await http.get("/.well-known/openid-configuration")).json()
        rfc8414 = (await http.get("/.well-known/oauth-authorization-server")).json()
    assert oidc == rfc8414
    assert oidc["issuer"] == issuer.url
    assert oidc["code_challenge_methods_supported"] == ["S256"]
    assert all(
        oidc[name].startswith(f"{issuer.url}/") for name in ("jwks_uri", "token_endpoint", "registration_endpoint")
    )


async def test_an_issuer_with_a_path_serves_oidc_metadata_after_it_and_rfc8414_metadata_before_it() -> None:
    async with running_issuer(OidcIssuer(path="/oauth2/default")) as issuer:
        origin = issuer.url.removesuffix("/oauth2/default")
        async with httpx2.AsyncClient() as http:
            oidc = await http.get(f"{issuer.url}/.well-known/openid-configuration")
            rfc8414 = await http.get(f"{origin}/.well-known/oauth-authorization-server/oauth2/default")
            at_root = await http.get(f"{origin}/.well-known/openid-configuration")
    assert oidc.json() == rfc8414.json()
    assert oidc.json()["issuer"] == issuer.url and oidc.json()["jwks_uri"] == f"{issuer.url}/jwks"
    assert at_root.status_code == 404


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
async def test_a_minted_token_verifies_against_the_published_key_set(issuer: OidcIssuer, alg: Any) -> None:
    claims = await verified(issuer, issuer.mint(issuer.key(alg), groups=["ops"], email_verified=None))
    assert claims["groups"] == ["ops"]
    assert "email_verified" not in claims
    assert jwt.get_unverified_header(issuer.mint(issuer.key(alg)))["alg"] == alg


async def test_a_rotated_in_key_is_published_and_a_retired_one_is_not(issuer: OidcIssuer) -> None:
    old, new = issuer.keys[0], issuer.add_key("ES256")
    issuer.retire(old.kid)
    assert await published_key(issuer, new.kid) is not None
    assert await published_key(issuer, old.kid) is None
    assert jwt.get_unverified_header(issuer.mint())["kid"] == new.kid  # the newest key signs


async def test_the_deliberately_bad_tokens_are_what_they_claim_to_be(issuer: OidcIssuer) -> None:
    assert jwt.get_unverified_header(issuer.mint_alg_none())["alg"] == "none"
    assert jwt.decode(issuer.mint_alg_none(), options={"verify_signature": False})["iss"] == issuer.url
    rsa_key = issuer.key("RS256")
    confused = issuer.mint_hs256_with_public_key(rsa_key)
    assert jwt.get_unverified_header(confused) == {"alg": "HS256", "typ": "JWT", "kid": rsa_key.kid}
    with pytest.raises(jwt.ExpiredSignatureError):
        await verified(issuer, issuer.mint(expires_in=-60))
    assert await published_key(issuer, SigningKey.generate("RS256").kid) is None


async def authorize(http: httpx2.AsyncClient, issuer: OidcIssuer, verifier: str, resource: str) -> tuple[str, str]:
    """Register a public client and run /authorize; returns (client_id, code) from the redirect."""
    registration = await http.post(
        f"{issuer.url}/register", json={"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"}
    )
    assert registration.status_code == 201
    client_id = registration.json()["client_id"]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT, "state": "s1"}
    query |= {"code_challenge": challenge, "code_challenge_method": "S256", "resource": resource}
    redirect = await http.get(f"{issuer.url}/authorize", params=query)
    assert redirect.status_code == 302
    answer = parse_qs(urlsplit(redirect.headers["location"]).query)
    assert answer["state"] == ["s1"]
    return client_id, answer["code"][0]


async def exchange(http: httpx2.AsyncClient, issuer: OidcIssuer, **form: str) -> httpx2.Response:
    return await http.post(
        f"{issuer.url}/token", data={"grant_type": "authorization_code", "redirect_uri": REDIRECT} | form
    )


async def test_the_code_flow_issues_a_token_for_the_resource_once_and_only_with_the_right_verifier(
    issuer: OidcIssuer,
) -> None:
    verifier = secrets.token_urlsafe(48)
    async with httpx2.AsyncClient() as http:
        client_id, code = await authorize(http, issuer, verifier, RESOURCE)
        wrong = await exchange(http, issuer, client_id=client_id, code=code, code_verifier="x" * 50, resource=RESOURCE)
        client_id, code = await authorize(http, issuer, verifier, RESOURCE)
        good = await exchange(http, issuer, client_id=client_id, code=code, code_verifier=verifier, resource=RESOURCE)
        again = await exchange(http, issuer, client_id=client_id, code=code, code_verifier=verifier, resource=RESOURCE)
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    assert "PKCE" in wrong.json()["error_description"]
    assert good.status_code == 200
    claims = await verified(issuer, good.json()["access_token"])
    assert (claims["aud"], claims["sub"], claims["groups"]) == (RESOURCE, issuer.user.sub, list(issuer.user.groups))
    assert claims["exp"] - claims["iat"] == issuer.token_lifetime
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


async def test_the_token_endpoint_refuses_another_resource_than_the_one_authorized(issuer: OidcIssuer) -> None:
    verifier = secrets.token_urlsafe(48)
    async with httpx2.AsyncClient() as http:
        client_id, code = await authorize(http, issuer, verifier, RESOURCE)
        other = "https://elsewhere.example.test/mcp"
        response = await exchange(http, issuer, client_id=client_id, code=code, code_verifier=verifier, resource=other)
    assert response.status_code == 400
    assert "resource" in response.json()["error_description"]


async def test_a_resource_outside_the_configured_list_is_an_invalid_target(issuer: OidcIssuer) -> None:
    issuer.resources = frozenset({"https://only.example.test/mcp"})
    verifier = secrets.token_urlsafe(48)
    async with httpx2.AsyncClient() as http:
        client_id, code = await authorize(http, issuer, verifier, RESOURCE)
        response = await exchange(
            http, issuer, client_id=client_id, code=code, code_verifier=verifier, resource=RESOURCE
        )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_target"
