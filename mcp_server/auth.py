"""Bearer-token authentication for every route but the probes and metrics.

Tokens are only ever compared as SHA-256 digests, in constant time. `MCP_GATEWAY_AUTH_TOKEN` is one
full-access client; `MCP_GATEWAY_TOKENS_FILE` names more, each with its own hashed token and scopes:

    clients:
      - name: claude-desktop
        token_sha256: 5e88489...   # sha256 hex of the token
        scopes: [read]             # default [read]
        trusted: false             # true: its X-Acting-User/-Role headers are recorded
        confirms_out_of_band: false  # true: it confirms payments with a human outside MCP

Names and digests are unique: the audit log and the rate limit tell clients apart by name, and one token
must mean one client. The built-in clients' names are reserved for the same reason.

With OAuth on (`mcp_server.oauth`), a token that is no static client's is tried as an access token from the
identity provider, and every 401 names the protected resource metadata so a host can start the sign-in.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog
import yaml
from starlette.types import ASGIApp, Receive, Scope, Send

from mcp_server.errors import ConfigurationError
from mcp_server.http_errors import send_json_error
from mcp_server.oauth_keys import IdentityProviderUnavailable, InvalidAccessToken

if TYPE_CHECKING:
    from mcp_server.oauth import OAuthVerifier

# read: events, voting, auction; people: masked personal data; finance: earned, owed, paid, payout readiness;
# payments: moving money; ops: the gateway's own activity.
SCOPES = frozenset({"read", "people", "finance", "payments", "ops"})
PROTECTED_RESOURCE_PATHS = ("/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp")
# A host reads the protected resource metadata before it has a token: it must be open like the probes.
OPEN_PATHS = frozenset({"/healthz", "/readyz", "/metrics", *PROTECTED_RESOURCE_PATHS})
STATE_KEY = "abcodex_client"
_log = structlog.get_logger("abcodex.auth")


@dataclass(frozen=True)
class ClientIdentity:
    """Who is calling, as established by the token (never by a header)."""

    name: str
    scopes: frozenset[str]
    # Trusted clients (the bot) may say whom they act for (X-Acting-User/-Role); others' headers are ignored.
    trusted: bool = False
    # Confirms payments with a human outside MCP (the bot's buttons), so it may receive a confirmation token.
    confirms_out_of_band: bool = False
    # The person an OAuth sign-in names (masked email and subject), for audit; None for static tokens.
    person: str | None = None

    @property
    def key(self) -> str:
        """Who this is for budgets and caps: the client, and for an OAuth sign-in the person too."""
        return f"{self.name} {self.person}" if self.person else self.name

    def can(self, scope: str) -> bool:
        return scope in self.scopes


ANONYMOUS_LOOPBACK = ClientIdentity("anonymous-loopback", frozenset({"read"}))
FULL_ACCESS_NAME = "gateway-token"
# Names the gateway gives callers itself (full-access token, --stdio, auth off, no identity, maintenance).
RESERVED_NAMES = frozenset({FULL_ACCESS_NAME, "stdio", ANONYMOUS_LOOPBACK.name, "unknown", "reconcile"})
_CLIENT_KEYS = frozenset({"name", "token_sha256", "scopes", "trusted", "confirms_out_of_band"})


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


@dataclass(frozen=True)
class _Entry:
    digest: bytes
    identity: ClientIdentity


class TokenRegistry:
    """Known clients; `identify` checks every entry so timing does not reveal which one matched."""

    def __init__(self, entries: list[_Entry]) -> None:
        self._entries = entries

    @classmethod
    def build(cls, full_access_token: str | None, tokens_file: Path | None) -> TokenRegistry:
        entries = []
        if full_access_token:
            bot = ClientIdentity(FULL_ACCESS_NAME, SCOPES, trusted=True, confirms_out_of_band=True)
            entries.append(_Entry(token_digest(full_access_token), bot))
        if tokens_file:
            entries.extend(_read_tokens_file(tokens_file, reserved_digests=[entry.digest for entry in entries]))
        return cls(entries)

    def __len__(self) -> int:
        return len(self._entries)

    def identify(self, presented: str) -> ClientIdentity | None:
        digest = token_digest(presented)
        found = None
        for entry in self._entries:
            if hmac.compare_digest(digest, entry.digest):
                found = entry.identity
        return found


def _read_tokens_file(path: Path, reserved_digests: list[bytes]) -> list[_Entry]:
    try:
        document: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"MCP_GATEWAY_TOKENS_FILE: cannot read {path}: {exc}") from exc
    clients = document.get("clients") if isinstance(document, dict) else None
    if not isinstance(clients, list) or not clients:
        raise ConfigurationError("MCP_GATEWAY_TOKENS_FILE: expected a non-empty 'clients' list")
    entries = [_parse_client(client, position) for position, client in enumerate(clients)]
    _refuse_ambiguous(entries, reserved_digests)
    return entries


def _parse_client(client: Any, position: int) -> _Entry:
    where = f"MCP_GATEWAY_TOKENS_FILE: clients[{position}]"
    if not isinstance(client, dict):
        raise ConfigurationError(f"{where} must be a mapping")
    name = client.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigurationError(f"{where}: 'name' is required")
    where = f"{where} ({name})"
    unknown_keys = set(client) - _CLIENT_KEYS
    if unknown_keys:
        # A misspelt `trusted` would silently drop a permission: say so instead.
        raise ConfigurationError(f"{where}: unknown keys {sorted(map(str, unknown_keys))}; use {sorted(_CLIENT_KEYS)}")
    if name in RESERVED_NAMES:
        raise ConfigurationError(f"{where}: the name is reserved for a built-in client; choose another")
    identity = ClientIdentity(
        name,
        _scopes(client.get("scopes", ["read"]), where),
        trusted=_flag(client, "trusted", where),
        confirms_out_of_band=_flag(client, "confirms_out_of_band", where),
    )
    return _Entry(_digest(client.get("token_sha256"), where), identity)


def _digest(value: Any, where: str) -> bytes:
    text = value if isinstance(value, str) else ""
    if len(text) != 64 or any(ch not in "0123456789abcdef" for ch in text.lower()):
        raise ConfigurationError(f"{where}: 'token_sha256' must be 64 hex characters")
    return bytes.fromhex(text)


def _scopes(value: Any, where: str) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(scope, str) for scope in value):
        raise ConfigurationError(f"{where}: 'scopes' must be a list of names from {sorted(SCOPES)}")
    unknown = set(value) - SCOPES
    if unknown:
        raise ConfigurationError(f"{where}: unknown scopes {sorted(unknown)}; use {sorted(SCOPES)}")
    return frozenset(value)


def _flag(client: dict[Any, Any], key: str, where: str) -> bool:
    value = client.get(key, False)
    # "false" (quoted) is a non-empty string and 1 an int: taking either as a flag could grant trust by a typo.
    if not isinstance(value, bool):
        raise ConfigurationError(f"{where}: '{key}' must be true or false, not {value!r}")
    return value


def _refuse_ambiguous(entries: list[_Entry], reserved_digests: list[bytes]) -> None:
    """One name per client and one client per token, so neither the audit nor `identify` can confuse two."""
    names: dict[str, int] = {}
    digests: dict[bytes, int] = {}
    for position, entry in enumerate(entries):
        where = f"MCP_GATEWAY_TOKENS_FILE: clients[{position}] ({entry.identity.name})"
        if entry.identity.name in names:
            raise ConfigurationError(
                f"{where}: the name is already used by clients[{names[entry.identity.name]}]; "
                "give each client its own name"
            )
        if entry.digest in digests:
            raise ConfigurationError(
                f"{where}: the token_sha256 is already used by clients[{digests[entry.digest]}]; "
                "give each client its own token"
            )
        if entry.digest in reserved_digests:
            raise ConfigurationError(f"{where}: the token_sha256 is that of MCP_GATEWAY_AUTH_TOKEN; give it its own")
        names[entry.identity.name] = position
        digests[entry.digest] = position


class BearerAuthMiddleware:
    """ASGI middleware: 401 with WWW-Authenticate unless a known bearer token is presented."""

    def __init__(self, app: ASGIApp, registry: TokenRegistry | None, oauth: OAuthVerifier | None = None) -> None:
        self._app = app
        self._registry = registry  # None: auth disabled (loopback only, enforced by the settings)
        self._oauth = oauth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self._app(scope, receive, send)
            return
        if self._registry is None:
            identity: ClientIdentity | None = ANONYMOUS_LOOPBACK
        elif self._oauth is None:
            identity = self._identify(scope)
        else:
            identity = await self._identify_with_oauth(scope, send, self._oauth)
            if identity is None:
                return  # answered
        if identity is None:
            await _unauthorized(send)
            return
        scope.setdefault("state", {})[STATE_KEY] = identity
        await self._app(scope, receive, send)

    def _identify(self, scope: Scope) -> ClientIdentity | None:
        assert self._registry is not None
        token = _bearer_token(scope)
        return self._registry.identify(token) if token else None

    async def _identify_with_oauth(self, scope: Scope, send: Send, oauth: OAuthVerifier) -> ClientIdentity | None:
        """The static client or OAuth identity of the token; None once a refusal has been sent."""
        assert self._registry is not None
        token = _bearer_token(scope)
        challenge = oauth.resource.challenge
        if not token:
            # No credentials at all: the challenge alone, no error code (RFC 6750 3.1), starts the sign-in.
            await send_json_error(send, 401, "invalid_token", "sign in or present a bearer token", [_www(challenge())])
            return None
        static = self._registry.identify(token)
        if static is not None:
            return static
        try:
            return await oauth.identify(token)
        except InvalidAccessToken as exc:
            _log.info("oauth_token_refused", reason=str(exc))
            await send_json_error(send, 401, "invalid_token", str(exc), [_www(challenge("invalid_token"))])
        except IdentityProviderUnavailable as exc:
            _log.warning("oauth_identity_provider_unavailable", detail=str(exc))
            description = "the identity provider's keys cannot be fetched; try again shortly"
            await send_json_error(send, 503, "temporarily_unavailable", description, [(b"retry-after", b"5")])
        return None


def _bearer_token(scope: Scope) -> str | None:
    header = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _www(value: bytes) -> tuple[bytes, bytes]:
    return (b"www-authenticate", value)


async def _unauthorized(send: Send) -> None:
    challenge = (b"www-authenticate", b'Bearer realm="abcodex-gateway", error="invalid_token"')
    await send_json_error(send, 401, "invalid_token", "a valid bearer token is required", [challenge])
