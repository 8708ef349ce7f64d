"""The identity provider's signing keys: found by OIDC discovery, cached, refreshed on an unknown kid.

Keys are fetched on first use (start-up does not depend on the provider being up), kept for
`cache_seconds`, and fetched again early when a token names a key id we do not hold (the provider rotated),
but never more often than once per `min_refresh_seconds`: a stream of tokens with made-up key ids must not
turn the gateway into a load generator against the identity provider. Only asymmetric keys (RSA, EC) are
kept; a symmetric `oct` key in a JWKS could only ever enable HMAC algorithms, which we refuse.

The two errors of OAuth verification live here too (`auth` answers them; `oauth` raises them):

    GatewayError
    ├── InvalidAccessToken            the token is not one we accept: 401 invalid_token with the reason
    └── IdentityProviderUnavailable   no keys to check it with: 503 with Retry-After
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import anyio
import httpx2
import jwt
import structlog

from mcp_server.errors import GatewayError

_log = structlog.get_logger("abcodex.oauth")
ASYMMETRIC_KEY_TYPES = frozenset({"RSA", "EC"})
FETCH_TIMEOUT_SECONDS = 5.0


class InvalidAccessToken(GatewayError):
    """A bearer token that is not an access token this gateway accepts; the message says why (for the 401)."""


class IdentityProviderUnavailable(GatewayError):
    """The issuer's discovery document or key set could not be fetched and no keys are cached."""


class IssuerKeys:
    """The issuer's current public keys by key id."""

    def __init__(
        self,
        issuer: str,
        cache_seconds: float,
        min_refresh_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._issuer = issuer.rstrip("/")
        self._cache_seconds = cache_seconds
        self._min_refresh_seconds = min_refresh_seconds
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._jwks_uri: str | None = None
        self._lock = anyio.Lock()

    async def key_for(self, kid: str) -> jwt.PyJWK | None:
        """The key with this id, refreshing the set when it is stale or (rate-bounded) does not hold it."""
        if self._fresh() and kid in self._keys:
            return self._keys[kid]
        async with self._lock:
            # Another request may have refreshed while this one waited for the lock.
            if not (self._fresh() and kid in self._keys) and self._may_refresh():
                await self._refresh()
        return self._keys.get(kid)

    def _fresh(self) -> bool:
        return self._fetched_at is not None and self._clock() - self._fetched_at < self._cache_seconds

    def _may_refresh(self) -> bool:
        return (
            self._fetched_at is None
            or not self._fresh()
            or self._clock() - self._fetched_at >= self._min_refresh_seconds
        )

    async def _refresh(self) -> None:
        try:
            if self._jwks_uri is None:
                self._jwks_uri = await self._discover()
            document = await self._get_json(self._jwks_uri)
        except IdentityProviderUnavailable:
            if not self._keys:
                raise
            # Keep serving with the keys we have: a short provider outage should not sign everyone out.
            _log.warning("oauth_jwks_refresh_failed", issuer=self._issuer, kept_keys=len(self._keys))
            self._fetched_at = self._clock()
            return
        self._keys = _asymmetric_keys(document)
        self._fetched_at = self._clock()
        _log.info("oauth_jwks_refreshed", issuer=self._issuer, keys=len(self._keys))

    async def _discover(self) -> str:
        document = await self._get_json(f"{self._issuer}/.well-known/openid-configuration")
        if str(document.get("issuer", "")).rstrip("/") != self._issuer:
            raise IdentityProviderUnavailable(
                f"the discovery document of {self._issuer} names another issuer; check MCP_GATEWAY_OAUTH_ISSUER"
            )
        jwks_uri = document.get("jwks_uri")
        if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
            raise IdentityProviderUnavailable(f"the discovery document of {self._issuer} has no jwks_uri")
        return jwks_uri

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            # A client per fetch: fetches are rare (bounded above), and nothing is left open between them.
            async with httpx2.AsyncClient(timeout=FETCH_TIMEOUT_SECONDS) as http:
                response = await http.get(url)
            response.raise_for_status()
            document = response.json()
        except (httpx2.HTTPError, ValueError) as exc:
            raise IdentityProviderUnavailable(f"cannot fetch {url} from the identity provider: {exc}") from exc
        if not isinstance(document, dict):
            raise IdentityProviderUnavailable(f"{url} did not answer with a JSON object")
        return document


def _asymmetric_keys(document: dict[str, Any]) -> dict[str, jwt.PyJWK]:
    keys: dict[str, jwt.PyJWK] = {}
    for entry in document.get("keys", []) if isinstance(document.get("keys"), list) else []:
        if not isinstance(entry, dict) or entry.get("kty") not in ASYMMETRIC_KEY_TYPES:
            continue
        if entry.get("use", "sig") != "sig" or not isinstance(entry.get("kid"), str):
            continue
        try:
            keys[entry["kid"]] = jwt.PyJWK.from_dict(entry)
        except jwt.PyJWTError:
            _log.warning("oauth_jwk_skipped", kid=entry["kid"])
    return keys
