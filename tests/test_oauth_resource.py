"""The gateway as an OAuth 2.1 protected resource: metadata, challenges, every refusal of a bad access token,
403 for a missing scope, static tokens beside OAuth, and the signed-in person in the audit.

Tokens are minted with PyJWT and keys of our own; a small issuer (discovery and JWKS, counting key-set
fetches) is served on a loopback port (tests/support/oauth.py). The gateway is the real one on a real Postgres.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx2
import pytest
from mcp.shared.exceptions import MCPError
from mcp_types import ElicitResult
from structlog.testing import capture_logs

from tests.support.gateway import RunningGateway, mcp_client
from tests.support.oauth import (
    DESKTOP_TOKEN,
    METADATA_URL,
    RESOURCE,
    Issuer,
    alg_none,
    hs256_with_public_key,
    new_rsa,
    oauth_gateway,
    own_issuer,
    post,
    tool_names,
)
from tests.support.payments import PAYMENT_TOOL, abcodex_payments, pay_args, payments_gateway
from tests.support.postgres import PostgresForTests
from tests.support.waiting import eventually


@pytest.fixture(scope="module")
async def issuer() -> AsyncIterator[Issuer]:
    async with own_issuer() as (issuer, _):
        yield issuer


@pytest.fixture(scope="module")
async def gateway(
    postgres: PostgresForTests, issuer: Issuer, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RunningGateway]:
    # No refresh bound here, so a rotated key is picked up at once; the bound has its own test.
    tmp_path = tmp_path_factory.mktemp("oauth")
    tokens_file = tmp_path / "tokens.yaml"
    desktop = {"name": "desktop", "token_sha256": hashlib.sha256(DESKTOP_TOKEN.encode()).hexdigest()}
    tokens_file.write_text(json.dumps({"clients": [desktop]}), encoding="utf-8")
    overrides = {"mcp_gateway_oauth_jwks_min_refresh_seconds": 0, "mcp_gateway_tokens_file": tokens_file}
    async with oauth_gateway(postgres, issuer, tmp_path, **overrides) as running:
        yield running


@pytest.mark.parametrize("path", ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"])
async def test_the_protected_resource_metadata_names_the_issuer_and_the_scopes_to_request(
    gateway: RunningGateway, issuer: Issuer, path: str
) -> None:
    async with httpx2.AsyncClient(base_url=gateway.base_url) as http:
        response = await http.get(path)
    assert response.status_code == 200
    document = response.json()
    assert document["resource"] == RESOURCE
    assert [server.rstrip("/") for server in document["authorization_servers"]] == [issuer.url]
    # The mapping grants gateway scopes from the email: a host asks the issuer for the OIDC scopes carrying it.
    assert document["scopes_supported"] == ["openid", "email", "profile"]
    assert document["bearer_methods_supported"] == ["header"]


async def test_a_request_without_a_token_is_challenged_with_the_metadata_url(gateway: RunningGateway) -> None:
    response = await post(gateway, None)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == f'Bearer resource_metadata="{METADATA_URL}"'


@pytest.mark.parametrize("kid", ["ec-1", "rsa-1"])
@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_a_company_account_sees_and_calls_only_the_tools_its_read_scope_allows(
    gateway: RunningGateway, issuer: Issuer, kid: str, mode: str
) -> None:
    token = issuer.mint(kid)
    names = await tool_names(gateway, token, mode)
    assert "list_events" in names
    assert not names & {"get_payment_ledger", "get_payment_summary", "get_artist_history"}
    everything = await tool_names(gateway, gateway.token)
    assert names == {name for name in everything if gateway.gateway.registry.scope_of(name) == "read"}
    async with gateway.client(token, mode=mode) as session:
        assert not (await session.call_tool("list_events", {"limit": 1})).is_error


async def test_a_group_in_a_nested_claim_grants_its_scopes(gateway: RunningGateway, issuer: Issuer) -> None:
    names = await tool_names(gateway, issuer.mint(app_metadata={"groups": ["finance"]}))
    assert {"list_events", "get_payment_ledger"} <= names


async def test_a_read_token_calling_a_finance_tool_gets_403_insufficient_scope(
    gateway: RunningGateway, issuer: Issuer
) -> None:
    call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "get_payment_ledger"}}
    response = await post(gateway, issuer.mint(), call)
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
    assert response.headers["www-authenticate"] == (
        f'Bearer resource_metadata="{METADATA_URL}", error="insufficient_scope", scope="finance"'
    )


REFUSALS: dict[str, tuple[Callable[[Issuer], str], str]] = {
    "wrong_audience": (lambda issuer: issuer.mint(aud="https://another.example/mcp"), "another resource"),
    "wrong_issuer": (lambda issuer: issuer.mint(iss="https://accounts.example"), "another issuer"),
    "expired": (lambda issuer: issuer.mint(exp=int(time.time()) - 120), "has expired"),
    "not_yet_valid": (lambda issuer: issuer.mint(nbf=int(time.time()) + 120), "not valid yet"),
    "without_expiry": (lambda issuer: issuer.mint(exp=None), "lacks a required claim"),
    "bad_signature": (lambda issuer: issuer.mint("rsa-1", key=new_rsa()), "signature does not verify"),
    "unknown_kid": (lambda issuer: issuer.mint("never-published", key=new_rsa()), "not among the issuer's"),
    "rs256_under_an_ec_key_id": (lambda issuer: issuer.mint("ec-1", key=new_rsa()), "not that of its signing key"),
    "alg_none": (lambda issuer: alg_none(issuer, "rsa-1"), "'none' are not accepted"),
    "hs256_signed_with_the_public_key": (lambda issuer: hs256_with_public_key(issuer, "rsa-1"), "'HS256'"),
    "unverified_company_email": (lambda issuer: issuer.mint(email_verified=False), "grants this account no"),
    "claims_no_rule_maps": (lambda issuer: issuer.mint(email="someone@gmail.com"), "grants this account no"),
    "not_a_jwt": (lambda _: "opaque-token-nobody-issued", "not a JWT"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
async def test_a_bad_access_token_is_refused_with_invalid_token_and_the_reason(
    gateway: RunningGateway, issuer: Issuer, case: str
) -> None:
    make_token, reason = REFUSALS[case]
    response = await post(gateway, make_token(issuer))
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_token"
    assert reason in response.json()["error_description"]
    assert response.headers["www-authenticate"] == f'Bearer resource_metadata="{METADATA_URL}", error="invalid_token"'


async def test_an_unknown_key_id_refreshes_the_key_set_then_refuses(gateway: RunningGateway, issuer: Issuer) -> None:
    assert (await post(gateway, issuer.mint())).status_code == 200  # the key set is cached from here
    before = issuer.jwks_fetches
    response = await post(gateway, issuer.mint("never-published", key=new_rsa()))
    assert response.status_code == 401
    assert issuer.jwks_fetches == before + 1


async def test_a_rotated_in_key_is_accepted_after_one_refresh(gateway: RunningGateway, issuer: Issuer) -> None:
    assert (await post(gateway, issuer.mint())).status_code == 200
    issuer.keys["rsa-2"] = new_rsa()
    try:
        before = issuer.jwks_fetches
        assert (await post(gateway, issuer.mint("rsa-2"))).status_code == 200
        assert (await post(gateway, issuer.mint("rsa-2"))).status_code == 200
        assert issuer.jwks_fetches == before + 1
    finally:
        del issuer.keys["rsa-2"]


async def test_unknown_key_ids_refresh_the_key_set_no_more_often_than_the_bound(
    postgres: PostgresForTests, issuer: Issuer, tmp_path: Path
) -> None:
    async with oauth_gateway(postgres, issuer, tmp_path, mcp_gateway_oauth_jwks_min_refresh_seconds=300) as gateway:
        assert (await post(gateway, issuer.mint())).status_code == 200
        before = issuer.jwks_fetches
        for attempt in range(5):
            assert (await post(gateway, issuer.mint(f"forged-{attempt}", key=new_rsa()))).status_code == 401
        assert issuer.jwks_fetches == before


async def test_while_the_identity_provider_is_down_the_cached_keys_keep_people_signed_in(
    postgres: PostgresForTests, tmp_path: Path
) -> None:
    unbounded = {"mcp_gateway_oauth_jwks_min_refresh_seconds": 0}
    async with own_issuer() as (issuer, server), oauth_gateway(postgres, issuer, tmp_path, **unbounded) as gateway:
        assert (await post(gateway, issuer.mint())).status_code == 200
        await server.stop()
        # The unknown kid makes the gateway try the provider, which fails: it keeps the keys it has.
        with capture_logs() as logs:
            assert (await post(gateway, issuer.mint("rotated", key=new_rsa()))).status_code == 401
        assert [entry["event"] for entry in logs if entry["event"].startswith("oauth_jwks")] == [
            "oauth_jwks_refresh_failed"
        ]
        assert (await post(gateway, issuer.mint())).status_code == 200


async def test_without_any_keys_from_the_identity_provider_the_answer_is_503_with_retry_after(
    postgres: PostgresForTests, tmp_path: Path
) -> None:
    async with own_issuer() as (issuer, server), oauth_gateway(postgres, issuer, tmp_path) as gateway:
        await server.stop()
        response = await post(gateway, issuer.mint())
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json()["error"] == "temporarily_unavailable"


async def test_an_audience_the_operator_lists_is_accepted_beside_the_resource(
    postgres: PostgresForTests, issuer: Issuer, tmp_path: Path
) -> None:
    extra = {"mcp_gateway_oauth_extra_audiences": "authenticated"}
    async with oauth_gateway(postgres, issuer, tmp_path, **extra) as gateway:
        assert (await post(gateway, issuer.mint(aud="authenticated"))).status_code == 200
        assert (await post(gateway, issuer.mint(aud="someone-else"))).status_code == 401


async def test_static_tokens_keep_working_beside_oauth_and_out_of_scope_stays_unknown_to_them(
    gateway: RunningGateway,
) -> None:
    assert {"list_events", "get_payment_ledger"} <= await tool_names(gateway, gateway.token)
    async with gateway.client(DESKTOP_TOKEN) as session:
        assert "get_payment_ledger" not in {tool.name for tool in (await session.list_tools()).tools}
        with pytest.raises(MCPError, match="Unknown tool: get_payment_ledger"):
            await session.call_tool("get_payment_ledger", {})


async def test_the_audit_names_the_signed_in_person_with_the_email_masked(
    gateway: RunningGateway, issuer: Issuer
) -> None:
    token = issuer.mint(sub="person-77", email="maya.okafor@artbattle.test")
    async with gateway.client(token) as session:
        await session.call_tool("list_events", {"query": "oauth-audit-probe"})

    async def rows() -> list[Any]:
        connection = await asyncpg.connect(gateway.database_url)
        try:
            sql = "SELECT client_name, acting_user FROM abcodex_tool_calls WHERE arguments->>'query' = $1"
            return list(await connection.fetch(sql, "oauth-audit-probe"))
        finally:
            await connection.close()

    [row] = await eventually(rows, lambda found: len(found) == 1)
    assert row["client_name"] == "oauth:127.0.0.1"
    assert row["acting_user"] == "m***@artbattle.test (sub person-77)"


async def test_payments_over_oauth_move_money_only_through_a_host_that_asks_the_person(
    postgres: PostgresForTests, issuer: Issuer, tmp_path: Path
) -> None:
    scopes_file = tmp_path / "treasurers.yaml"
    scopes_file.write_text("rules:\n  - group: treasurers\n    scopes: [read, finance, payments]\n", encoding="utf-8")
    oauth = {
        "mcp_gateway_oauth_issuer": issuer.url,
        "mcp_gateway_oauth_resource_url": RESOURCE,
        "mcp_gateway_oauth_scopes_file": scopes_file,
    }
    async with payments_gateway(postgres, **oauth) as setup:
        token = issuer.mint(groups=["treasurers"])
        async with mcp_client(setup.gateway.url, token) as no_dialog:
            preview = (await no_dialog.call_tool(PAYMENT_TOOL, pay_args())).structured_content
        assert preview["status"] == "needs_confirmation" and preview["confirmation_token"] is None
        assert await abcodex_payments(setup) == []

        async def yes(context: Any, params: Any) -> ElicitResult:  # the person says yes in the host's dialog
            return ElicitResult(action="accept", content={"confirm": True})

        with_dialog = mcp_client(setup.gateway.url, token)
        with_dialog.elicitation_callback = yes
        async with with_dialog:
            paid = (await with_dialog.call_tool(PAYMENT_TOOL, pay_args())).structured_content
        assert paid["status"] == "paid"
        [payment] = await abcodex_payments(setup)
        assert payment["status"] == "paid"
