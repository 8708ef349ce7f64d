"""Bearer-token authentication for every route but the probes and metrics.

Tokens are only ever compared as SHA-256 digests, in constant time. `MCP_GATEWAY_AUTH_TOKEN` is one
full-access client; `MCP_GATEWAY_TOKENS_FILE` names more, each with its own hashed token and scopes:

    clients:
      - name: claude-desktop
        token_sha256: 5e88489...   # sha256 hex of the token
        scopes: [read]
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from starlette.types import ASGIApp, Receive, Scope, Send

from mcp_server.errors import ConfigurationError

# read: events, voting, auction; people: masked personal data; finance: earned, owed, paid, payout readiness;
# payments: moving money; ops: the gateway's own activity.
SCOPES = frozenset({"read", "people", "finance", "payments", "ops"})
OPEN_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
STATE_KEY = "abcodex_client"


@dataclass(frozen=True)
class ClientIdentity:
    """Who is calling, as established by the token (never by a header)."""

    name: str
    scopes: frozenset[str]
    # Trusted clients (the bot) may say whom they act for (X-Acting-User/-Role); others' headers are ignored.
    trusted: bool = False
    # Confirms payments with a human outside MCP (the bot's buttons), so it may receive a confirmation token.
    confirms_out_of_band: bool = False

    def can(self, scope: str) -> bool:
        return scope in self.scopes


ANONYMOUS_LOOPBACK = ClientIdentity("anonymous-loopback", frozenset({"read"}))


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
            bot = ClientIdentity("gateway-token", SCOPES, trusted=True, confirms_out_of_band=True)
            entries.append(_Entry(token_digest(full_access_token), bot))
        if tokens_file:
            entries.extend(_read_tokens_file(tokens_file))
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


def _read_tokens_file(path: Path) -> list[_Entry]:
    try:
        document: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"MCP_GATEWAY_TOKENS_FILE: cannot read {path}: {exc}") from exc
    clients = document.get("clients") if isinstance(document, dict) else None
    if not isinstance(clients, list) or not clients:
        raise ConfigurationError("MCP_GATEWAY_TOKENS_FILE: expected a non-empty 'clients' list")
    return [_parse_client(client, position) for position, client in enumerate(clients)]


def _parse_client(client: Any, position: int) -> _Entry:
    where = f"MCP_GATEWAY_TOKENS_FILE: clients[{position}]"
    if not isinstance(client, dict):
        raise ConfigurationError(f"{where} must be a mapping")
    name, digest, scopes = (
        client.get("name"),
        str(client.get("token_sha256", "")),
        client.get("scopes", ["read"]),
    )
    if not isinstance(name, str) or not name:
        raise ConfigurationError(f"{where}: 'name' is required")
    if len(digest) != 64 or any(ch not in "0123456789abcdef" for ch in digest.lower()):
        raise ConfigurationError(f"{where} ({name}): 'token_sha256' must be 64 hex characters")
    unknown = set(scopes) - SCOPES
    if unknown:
        raise ConfigurationError(f"{where} ({name}): unknown scopes {sorted(unknown)}; use {sorted(SCOPES)}")
    return _Entry(bytes.fromhex(digest), ClientIdentity(name, frozenset(scopes)))


class BearerAuthMiddleware:
    """ASGI middleware: 401 with WWW-Authenticate unless a known bearer token is presented."""

    def __init__(self, app: ASGIApp, registry: TokenRegistry | None) -> None:
        self._app = app
        self._registry = registry  # None: auth disabled (loopback only, enforced by the settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self._app(scope, receive, send)
            return
        identity = ANONYMOUS_LOOPBACK if self._registry is None else self._identify(scope)
        if identity is None:
            await _unauthorized(send)
            return
        scope.setdefault("state", {})[STATE_KEY] = identity
        await self._app(scope, receive, send)

    def _identify(self, scope: Scope) -> ClientIdentity | None:
        assert self._registry is not None
        header = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return self._registry.identify(token.strip())


async def _unauthorized(send: Send) -> None:
    body = json.dumps({"error": "invalid_token", "error_description": "a valid bearer token is required"}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 401,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"www-authenticate", b'Bearer realm="abcodex-gateway", error="invalid_token"'),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
