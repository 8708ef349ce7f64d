"""OAuth configuration: the scope mapping grants only what its rules say, and every MCP_GATEWAY_OAUTH_* mistake
stops start-up with a sentence naming the variable. OAuth is off unless the issuer is set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx2
import pytest

from mcp_server.app import build_gateway
from mcp_server.errors import ConfigurationError
from mcp_server.oauth_scopes import ScopeMapping
from mcp_server.settings import GatewaySettings, load_settings
from tests.support.gateway import RunningGateway

EXAMPLE = Path(__file__).parent.parent / "manifests" / "oauth-scopes.example.yaml"


def mapping(tmp_path: Path, text: str) -> ScopeMapping:
    path = tmp_path / "scopes.yaml"
    path.write_text(text, encoding="utf-8")
    return ScopeMapping.load(path)


def person(**claims: Any) -> dict[str, Any]:
    return {"sub": "u1", "email": "maya@artbattle.com", "email_verified": True} | claims


def test_the_documented_example_grants_read_to_verified_company_emails_and_more_to_named_groups() -> None:
    example = ScopeMapping.load(EXAMPLE)
    assert example.scopes_for(person()) == {"read"}
    assert example.scopes_for(person(email_verified=False)) == frozenset()
    assert example.scopes_for(person(email="maya@gmail.com")) == frozenset()
    assert example.scopes_for(person(groups=["finance"])) == {"read", "people", "finance"}


def test_an_unverified_email_matches_no_domain_rule_even_with_the_company_domain(tmp_path: Path) -> None:
    rules = mapping(tmp_path, "rules:\n  - email_domain: artbattle.com\n    scopes: [read]\n")
    assert rules.scopes_for(person(email_verified="true")) == frozenset()  # a string is not a verification
    assert rules.scopes_for(person(email="maya@ARTBATTLE.com")) == {"read"}


def test_gateway_scopes_in_the_token_count_only_when_the_file_says_so(tmp_path: Path) -> None:
    rules = "rules:\n  - group: ops\n    scopes: [ops]\n"
    token = person(email="x@elsewhere.org", scope="openid read finance admin")
    assert mapping(tmp_path, rules).scopes_for(token) == frozenset()
    assert mapping(tmp_path, "scope_claim: true\n" + rules).scopes_for(token) == {"read", "finance"}


def test_hosts_are_told_to_request_the_oidc_scopes_unless_the_issuer_grants_gateway_scopes(tmp_path: Path) -> None:
    rules = "rules:\n  - group: ops\n    scopes: [ops]\n"
    assert mapping(tmp_path, rules).requested_scopes == ("openid", "email", "profile")
    gateway_scopes = ("finance", "ops", "payments", "people", "read")
    assert mapping(tmp_path, "scope_claim: true\n" + rules).requested_scopes == gateway_scopes
    assert mapping(tmp_path, "requested_scopes: [openid, groups]\n" + rules).requested_scopes == ("openid", "groups")


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("rules: []\n", "non-empty 'rules'"),
        ("rules:\n  - scopes: [read]\n", r"rules\[0\]: give exactly one of"),
        ("rules:\n  - group: a\n    email_domain: b\n    scopes: [read]\n", r"rules\[0\]: give exactly one of"),
        ("rules:\n  - groups: a\n    scopes: [read]\n", r"rules\[0\]: give exactly one of"),
        ("rules:\n  - group: a\n    scopes: [admin]\n", r"rules\[0\]: unknown scopes \['admin'\]"),
        ("rules:\n  - group: a\n    scopes: []\n", r"rules\[0\]: 'scopes' must be a non-empty list"),
        ("scope_claim: 'yes'\nrules:\n  - group: a\n    scopes: [read]\n", "'scope_claim' must be true or false"),
        ("rule:\n  - group: a\n", r"unknown keys \['rule'\]"),
        ("requested_scopes: openid\nrules:\n  - group: a\n    scopes: [read]\n", "'requested_scopes' must be a list"),
    ],
)
def test_a_bad_scopes_file_stops_start_up_naming_the_variable_and_the_rule(
    tmp_path: Path, text: str, named: str
) -> None:
    with pytest.raises(ConfigurationError, match=f"^MCP_GATEWAY_OAUTH_SCOPES_FILE: .*{named}"):
        mapping(tmp_path, text)


@pytest.mark.parametrize(
    ("environment", "named"),
    [
        ({"MCP_GATEWAY_OAUTH_ISSUER": "https://idp.example"}, "MCP_GATEWAY_OAUTH_RESOURCE_URL"),
        ({"MCP_GATEWAY_OAUTH_RESOURCE_URL": "https://mcp.example/mcp"}, "MCP_GATEWAY_OAUTH_ISSUER"),
        ({"MCP_GATEWAY_OAUTH_ISSUER": "http://idp.example"}, "MCP_GATEWAY_OAUTH_ISSUER: .*https://"),
        ({"MCP_GATEWAY_OAUTH_RESOURCE_URL": "https://mcp.example/mcp#x"}, "MCP_GATEWAY_OAUTH_RESOURCE_URL"),
        ({"MCP_GATEWAY_OAUTH_JWKS_CACHE_SECONDS": "0"}, "MCP_GATEWAY_OAUTH_JWKS_CACHE_SECONDS"),
        (
            {
                "MCP_GATEWAY_AUTH": "none",
                "MCP_GATEWAY_OAUTH_ISSUER": "https://idp.example",
                "MCP_GATEWAY_OAUTH_RESOURCE_URL": "https://mcp.example/mcp",
                "MCP_GATEWAY_OAUTH_SCOPES_FILE": str(EXAMPLE),
            },
            "MCP_GATEWAY_OAUTH_ISSUER needs MCP_GATEWAY_AUTH=bearer",
        ),
        ({"MCP_GATEWAY_OAUTH_JWKS_MIN_REFRESH_SECONDS": "-1"}, "MCP_GATEWAY_OAUTH_JWKS_MIN_REFRESH_SECONDS"),
    ],
)
def test_a_bad_oauth_setting_stops_start_up_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], named: str
) -> None:
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigurationError, match=named):
        load_settings()


def test_an_unreadable_scopes_file_stops_the_gateway_being_built(tmp_path: Path) -> None:
    settings = GatewaySettings(
        mcp_gateway_oauth_issuer="https://idp.example",
        mcp_gateway_oauth_resource_url="https://mcp.example/mcp",
        mcp_gateway_oauth_scopes_file=tmp_path / "missing.yaml",
    )
    with pytest.raises(ConfigurationError, match=r"^MCP_GATEWAY_OAUTH_SCOPES_FILE: cannot read"):
        build_gateway(settings)


def test_the_public_url_of_the_resource_is_an_accepted_host() -> None:
    settings = GatewaySettings(
        mcp_gateway_oauth_issuer="https://idp.example",
        mcp_gateway_oauth_resource_url="https://mcp.example.org/mcp",
        mcp_gateway_oauth_scopes_file=EXAMPLE,
    )
    assert "mcp.example.org:*" in settings.allowed_hosts()


async def test_without_an_issuer_oauth_is_off_and_the_challenge_is_unchanged(demo_gateway: RunningGateway) -> None:
    assert not demo_gateway.gateway.settings.oauth_enabled
    async with httpx2.AsyncClient(base_url=demo_gateway.base_url) as http:
        metadata = await http.get("/.well-known/oauth-protected-resource/mcp")
        refused = await http.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert metadata.status_code == 404
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == 'Bearer realm="abcodex-gateway", error="invalid_token"'


@pytest.mark.parametrize("issuer", ["https://idp.example.com", "https://idp.example.com/auth/v1"])
def test_the_metadata_names_the_issuer_exactly_as_its_own_metadata_does(issuer: str):
    # MCP hosts compare the two strings exactly: a slash added to a bare origin stops the sign-in.
    from mcp_server.oauth import ResourceServer  # noqa: PLC0415

    server = ResourceServer("https://mcp.example.org/mcp", issuer, ("openid",))
    assert server.metadata()["authorization_servers"] == [issuer]
    assert server.metadata()["resource"] == "https://mcp.example.org/mcp"
