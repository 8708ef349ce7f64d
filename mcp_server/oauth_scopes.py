"""Which gateway scopes an OAuth sign-in gets: explicit rules over the token's claims.

`MCP_GATEWAY_OAUTH_SCOPES_FILE` (see manifests/oauth-scopes.example.yaml):

    groups_claim: groups          # where the token lists its groups; a dotted path reaches nested claims
    scope_claim: false            # true: also grant the gateway scopes the token's `scope` claim names
    requested_scopes: [openid, email, profile]   # what hosts ask the issuer for (the metadata's scopes)
    rules:
      - email_domain: artbattle.com   # only when email_verified is true
        scopes: [read]
      - group: finance
        scopes: [read, people, finance]

A token is granted the union of the scopes of every rule it matches. Nothing is implied: a token no rule
matches gets no scope, and the verifier refuses it.

`requested_scopes` is what the protected resource metadata advertises, so what a host asks the issuer for at
sign-in (hosts request every advertised scope). An issuer refuses scopes it does not know, so by default it
is the OIDC scopes that put the email in the token, or the gateway's own scopes when `scope_claim` is true
(the issuer then knows them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mcp_server.auth import SCOPES
from mcp_server.errors import ConfigurationError

_VARIABLE = "MCP_GATEWAY_OAUTH_SCOPES_FILE"
_TOP_KEYS = frozenset({"groups_claim", "scope_claim", "requested_scopes", "rules"})
OIDC_SCOPES = ("openid", "email", "profile")
_MATCHERS = frozenset({"email_domain", "group"})


@dataclass(frozen=True)
class ScopeRule:
    """One matcher (a verified email domain or a group) and the scopes it grants."""

    scopes: frozenset[str]
    email_domain: str | None = None
    group: str | None = None

    def matches(self, email_domain: str | None, groups: frozenset[str]) -> bool:
        if self.email_domain is not None:
            return email_domain == self.email_domain
        return self.group in groups


@dataclass(frozen=True)
class ScopeMapping:
    rules: tuple[ScopeRule, ...]
    groups_claim: str = "groups"
    scope_claim: bool = False
    requested_scopes: tuple[str, ...] = OIDC_SCOPES

    def scopes_for(self, claims: Mapping[str, Any]) -> frozenset[str]:
        """The gateway scopes these (already verified) claims earn; empty when no rule grants any."""
        domain, groups = _verified_email_domain(claims), _groups(claims, self.groups_claim)
        granted = {scope for rule in self.rules if rule.matches(domain, groups) for scope in rule.scopes}
        if self.scope_claim and isinstance(claims.get("scope"), str):
            granted |= set(claims["scope"].split()) & SCOPES
        return frozenset(granted)

    @classmethod
    def load(cls, path: Path) -> ScopeMapping:
        try:
            document: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigurationError(f"{_VARIABLE}: cannot read {path}: {exc}") from exc
        if not isinstance(document, dict):
            raise ConfigurationError(f"{_VARIABLE}: expected a mapping with a 'rules' list")
        unknown = set(document) - _TOP_KEYS
        if unknown:
            raise ConfigurationError(f"{_VARIABLE}: unknown keys {sorted(map(str, unknown))}; use {sorted(_TOP_KEYS)}")
        rules = document.get("rules")
        if not isinstance(rules, list) or not rules:
            raise ConfigurationError(f"{_VARIABLE}: expected a non-empty 'rules' list")
        groups_claim = document.get("groups_claim", "groups")
        if not isinstance(groups_claim, str) or not groups_claim.strip():
            raise ConfigurationError(f"{_VARIABLE}: 'groups_claim' must be a claim name such as groups")
        scope_claim = document.get("scope_claim", False)
        if not isinstance(scope_claim, bool):
            raise ConfigurationError(f"{_VARIABLE}: 'scope_claim' must be true or false, not {scope_claim!r}")
        parsed = tuple(_rule(rule, position) for position, rule in enumerate(rules))
        default = tuple(sorted(SCOPES)) if scope_claim else OIDC_SCOPES
        requested = document.get("requested_scopes", list(default))
        if not isinstance(requested, list) or not all(isinstance(item, str) and item.strip() for item in requested):
            raise ConfigurationError(f"{_VARIABLE}: 'requested_scopes' must be a list of scope names")
        return cls(parsed, groups_claim.strip(), scope_claim, tuple(item.strip() for item in requested))


def _rule(rule: Any, position: int) -> ScopeRule:
    where = f"{_VARIABLE}: rules[{position}]"
    if not isinstance(rule, dict):
        raise ConfigurationError(f"{where} must be a mapping")
    unknown = set(rule) - _MATCHERS - {"scopes"}
    matchers = set(rule) & _MATCHERS
    if unknown or len(matchers) != 1:
        # A misspelt matcher would otherwise match nobody, or (worse) a rule with none would match everybody.
        raise ConfigurationError(f"{where}: give exactly one of {sorted(_MATCHERS)} and 'scopes'")
    (matcher,) = matchers
    value = rule[matcher]
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{where}: '{matcher}' must be a non-empty string")
    scopes = rule.get("scopes")
    if not isinstance(scopes, list) or not scopes or not all(isinstance(scope, str) for scope in scopes):
        raise ConfigurationError(f"{where}: 'scopes' must be a non-empty list of names from {sorted(SCOPES)}")
    unknown_scopes = set(scopes) - SCOPES
    if unknown_scopes:
        raise ConfigurationError(f"{where}: unknown scopes {sorted(unknown_scopes)}; use {sorted(SCOPES)}")
    if matcher == "email_domain":
        return ScopeRule(frozenset(scopes), email_domain=value.strip().lower().lstrip("@"))
    return ScopeRule(frozenset(scopes), group=value.strip())


def _verified_email_domain(claims: Mapping[str, Any]) -> str | None:
    # An unverified address proves nothing: anyone can type a company domain into a sign-up form.
    email = claims.get("email")
    if claims.get("email_verified") is not True or not isinstance(email, str) or email.count("@") != 1:
        return None
    return email.rsplit("@", 1)[1].lower()


def _groups(claims: Mapping[str, Any], path: str) -> frozenset[str]:
    value: Any = claims
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, str):
        return frozenset({value})
    if isinstance(value, list):
        return frozenset(item for item in value if isinstance(item, str))
    return frozenset()
