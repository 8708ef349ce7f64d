"""The gateway as an OAuth 2.1 protected resource: access tokens from the company's identity provider.

A host signs a person in at the issuer (MCP authorization, RFC 9728 metadata at
`/.well-known/oauth-protected-resource`), then presents a JWT access token. `OAuthVerifier` accepts it
only when PyJWT verifies, against the issuer's published keys (`oauth_keys`), an asymmetric signature,
`iss`, `aud` (the gateway's resource URL, RFC 8707, or an audience the operator listed) and `exp`/`nbf`
with a small leeway; and when the scope mapping (`oauth_scopes`) grants the claims at least one scope.
Static tokens are checked first and never reach this module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import jwt
import pydantic_core
from mcp.server.auth.routes import build_resource_metadata_url
from mcp.shared.auth import ProtectedResourceMetadata
from pydantic import AnyHttpUrl
from starlette.types import ASGIApp, Receive, Scope, Send

from mcp_server.auth import STATE_KEY, ClientIdentity
from mcp_server.domain.masking import mask_email
from mcp_server.http_errors import send_json_error
from mcp_server.jsonrpc_guard import CHECKED_BODY_KEY
from mcp_server.oauth_keys import InvalidAccessToken, IssuerKeys
from mcp_server.oauth_scopes import ScopeMapping

if TYPE_CHECKING:
    from mcp_server.settings import GatewaySettings

# Asymmetric only: `none` and HS* never verify here, whatever a token's header says (an HS256 token "signed"
# with the issuer's public key is the classic confusion attack).
ACCEPTED_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
LEEWAY_SECONDS = 30
MAX_PERSON_LENGTH = 100


@dataclass(frozen=True)
class ResourceServer:
    """What the gateway publishes about itself as a protected resource."""

    resource_url: str  # canonical, e.g. https://mcp.example.org/mcp
    issuer: str
    scopes: tuple[str, ...]  # what a host should ask the issuer for (`ScopeMapping.requested_scopes`)

    @property
    def metadata_url(self) -> str:
        return str(build_resource_metadata_url(AnyHttpUrl(self.resource_url)))

    def metadata(self) -> dict[str, Any]:
        document = ProtectedResourceMetadata(
            resource=AnyHttpUrl(self.resource_url),
            authorization_servers=[AnyHttpUrl(self.issuer)],
            scopes_supported=list(self.scopes),
            bearer_methods_supported=["header"],
            resource_name="Art Battle operations (abcodex)",
        )
        published = document.model_dump(mode="json", exclude_none=True)
        # As configured, not as pydantic normalises URLs: hosts compare the issuer string exactly, and
        # AnyHttpUrl adds a slash to a bare origin ("https://idp.example.com" -> ".../").
        published["authorization_servers"] = [self.issuer]
        published["resource"] = self.resource_url
        return published

    def challenge(self, error: str | None = None, scope: str | None = None) -> bytes:
        """The WWW-Authenticate value of a 401 or 403 (MCP authorization: it names the metadata)."""
        parts = [f'resource_metadata="{self.metadata_url}"']
        if error:
            parts.append(f'error="{error}"')
        if scope:
            parts.append(f'scope="{scope}"')
        return ("Bearer " + ", ".join(parts)).encode()


class OAuthVerifier:
    """Turns a JWT access token into a `ClientIdentity`, or raises `InvalidAccessToken` saying why."""

    def __init__(
        self, resource: ResourceServer, keys: IssuerKeys, mapping: ScopeMapping, extra_audiences: list[str]
    ) -> None:
        self.resource = resource
        self._keys = keys
        self._mapping = mapping
        self._audiences = [resource.resource_url, *extra_audiences]
        self._client_name = f"oauth:{urlsplit(resource.issuer).hostname}"

    async def identify(self, token: str) -> ClientIdentity:
        claims = await self._verified_claims(token)
        scopes = self._mapping.scopes_for(claims)
        if not scopes:
            raise InvalidAccessToken("the scope mapping grants this account no scope")
        return ClientIdentity(self._client_name, scopes, person=_person(claims))

    async def _verified_claims(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidAccessToken("the bearer token is not a JWT access token") from exc
        if header.get("alg") not in ACCEPTED_ALGORITHMS:
            raise InvalidAccessToken(f"tokens signed with {str(header.get('alg'))[:20]!r} are not accepted")
        kid = header.get("kid")
        key = await self._keys.key_for(kid) if isinstance(kid, str) else None
        if key is None:
            raise InvalidAccessToken("the token's signing key is not among the issuer's published keys")
        try:
            # A PyJWK carries its own algorithm: a token whose header names another one is refused.
            return jwt.decode(
                token,
                key,
                algorithms=list(ACCEPTED_ALGORITHMS),
                audience=self._audiences,
                issuer=self.resource.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidAccessToken(_refusal(exc)) from exc


def _refusal(exc: jwt.PyJWTError) -> str:
    """One sentence for the 401, by PyJWT's exception type (never by its wording)."""
    reasons: list[tuple[type[jwt.PyJWTError], str]] = [
        (jwt.ExpiredSignatureError, "the token has expired"),
        (jwt.ImmatureSignatureError, "the token is not valid yet"),
        (jwt.InvalidAudienceError, "the token was issued for another resource"),
        (jwt.InvalidIssuerError, "the token was issued by another issuer"),
        (jwt.MissingRequiredClaimError, "the token lacks a required claim (exp, iss, aud, sub)"),
        (jwt.InvalidSignatureError, "the token's signature does not verify"),
        (jwt.InvalidAlgorithmError, "the token's algorithm is not that of its signing key"),
    ]
    return next((reason for kind, reason in reasons if isinstance(exc, kind)), "the token could not be verified")


def _person(claims: dict[str, Any]) -> str:
    """Who signed in, for audit: the subject, after the masked email when the token has one."""
    subject = f"sub {claims.get('sub')}"
    email = claims.get("email")
    masked = mask_email(email) if isinstance(email, str) else None
    # The masked address alone is ambiguous (m***@ stands for many people); the subject is not.
    return (f"{masked} ({subject})" if masked else subject)[:MAX_PERSON_LENGTH]


class InsufficientScopeGate:
    """ASGI middleware: an OAuth caller's tools/call for a tool its scopes do not cover gets HTTP 403.

    MCP authorization answers a valid token that lacks a scope with 403 `insufficient_scope` naming the
    scope, so a host can ask the person to sign in again with more. It runs after `JsonRpcGuard`, which has
    already checked (and buffered) the body. Static-token callers pass untouched: to them a tool out of
    scope stays an unknown tool (`calls.ToolCallPolicy`).
    """

    def __init__(self, app: ASGIApp, resource: ResourceServer, scope_of: Callable[[str], str | None]) -> None:
        self._app = app
        self._resource = resource
        self._scope_of = scope_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        identity = scope.get("state", {}).get(STATE_KEY) if scope["type"] == "http" else None
        if not isinstance(identity, ClientIdentity) or identity.person is None or scope["method"] != "POST":
            await self._app(scope, receive, send)
            return
        body = scope.get("state", {}).get(CHECKED_BODY_KEY)
        needed = self._needed_scope(body) if isinstance(body, bytes) else None
        if needed is not None and not identity.can(needed):
            challenge = (b"www-authenticate", self._resource.challenge("insufficient_scope", needed))
            description = f"this tool needs the {needed} scope, which this sign-in does not grant"
            await send_json_error(send, 403, "insufficient_scope", description, [challenge])
            return
        await self._app(scope, receive, send)

    def _needed_scope(self, body: bytes) -> str | None:
        try:
            message = pydantic_core.from_json(body)
        except ValueError:
            return None
        if not isinstance(message, dict) or message.get("method") != "tools/call":
            return None
        name = (message.get("params") or {}).get("name")
        return self._scope_of(name) if isinstance(name, str) else None


def verifier_from(settings: GatewaySettings) -> OAuthVerifier | None:
    """The OAuth verifier the settings ask for (None: OAuth off); a bad mapping file stops start-up here."""
    if settings.mcp_gateway_oauth_issuer is None or settings.mcp_gateway_oauth_resource_url is None:
        return None
    assert settings.mcp_gateway_oauth_scopes_file is not None  # the settings require it beside the issuer
    mapping = ScopeMapping.load(settings.mcp_gateway_oauth_scopes_file)
    resource = ResourceServer(
        settings.mcp_gateway_oauth_resource_url, settings.mcp_gateway_oauth_issuer, mapping.requested_scopes
    )
    keys = IssuerKeys(
        resource.issuer,
        settings.mcp_gateway_oauth_jwks_cache_seconds,
        settings.mcp_gateway_oauth_jwks_min_refresh_seconds,
    )
    return OAuthVerifier(resource, keys, mapping, settings.mcp_gateway_oauth_extra_audiences)
