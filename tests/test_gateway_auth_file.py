"""`MCP_GATEWAY_TOKENS_FILE`, read by `TokenRegistry.build`: each client's scopes and flags, and every way a
file could make two clients indistinguishable refused with a sentence naming the entry."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
import yaml

from mcp_server.auth import RESERVED_NAMES, SCOPES, ClientIdentity, TokenRegistry
from mcp_server.errors import ConfigurationError


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def write_clients(tmp_path: Path, *clients: dict[str, Any]) -> Path:
    path = tmp_path / "tokens.yaml"
    path.write_text(yaml.safe_dump({"clients": list(clients)}), encoding="utf-8")
    return path


def client(name: str, token: str | None = None, **keys: Any) -> dict[str, Any]:
    return {"name": name, "token_sha256": digest(token or f"token-of-{name}"), **keys}


def identify(registry: TokenRegistry, token: str) -> ClientIdentity:
    identity = registry.identify(token)
    assert identity is not None
    return identity


def test_an_entry_without_scopes_or_flags_reads_only_and_is_neither_trusted_nor_confirming(tmp_path: Path):
    registry = TokenRegistry.build(None, write_clients(tmp_path, client("claude-desktop", "t1")))
    assert identify(registry, "t1") == ClientIdentity("claude-desktop", frozenset({"read"}))


def test_an_entry_may_be_trusted_and_confirm_out_of_band(tmp_path: Path):
    bot = client("slack-bot", "t1", scopes=sorted(SCOPES), trusted=True, confirms_out_of_band=True)
    registry = TokenRegistry.build(None, write_clients(tmp_path, bot, client("desktop", "t2", scopes=["read"])))
    assert identify(registry, "t1") == ClientIdentity("slack-bot", SCOPES, trusted=True, confirms_out_of_band=True)
    assert identify(registry, "t2") == ClientIdentity("desktop", frozenset({"read"}))


def test_the_full_access_token_stays_beside_the_files_clients(tmp_path: Path):
    registry = TokenRegistry.build("full", write_clients(tmp_path, client("desktop", "t2")))
    assert identify(registry, "full") == ClientIdentity("gateway-token", SCOPES, True, True)
    assert identify(registry, "t2").name == "desktop"
    assert registry.identify("neither") is None


def test_a_duplicate_client_name_is_refused_naming_both_entries(tmp_path: Path):
    path = write_clients(tmp_path, client("desktop", "t1"), client("desktop", "t2"))
    with pytest.raises(ConfigurationError) as refused:
        TokenRegistry.build(None, path)
    message = str(refused.value)
    assert message.startswith("MCP_GATEWAY_TOKENS_FILE: clients[1] (desktop)")
    assert "name is already used by clients[0]" in message


@pytest.mark.parametrize("name", sorted(RESERVED_NAMES))
def test_the_name_of_a_built_in_client_is_refused(tmp_path: Path, name: str):
    with pytest.raises(ConfigurationError, match=rf"MCP_GATEWAY_TOKENS_FILE: clients\[0\] \({name}\): .*reserved"):
        TokenRegistry.build(None, write_clients(tmp_path, client(name)))


def test_the_reserved_names_are_those_the_gateway_gives_its_own_callers():
    assert {"gateway-token", "stdio", "anonymous-loopback", "unknown", "reconcile"} == RESERVED_NAMES


def test_two_clients_with_the_same_token_are_refused(tmp_path: Path):
    path = write_clients(tmp_path, client("desktop", "same"), client("laptop", "same"))
    with pytest.raises(ConfigurationError, match=r"clients\[1\] \(laptop\): the token_sha256 is already used by"):
        TokenRegistry.build(None, path)


def test_a_digest_in_capitals_is_the_same_token(tmp_path: Path):
    upper = {"name": "laptop", "token_sha256": digest("same").upper()}
    with pytest.raises(ConfigurationError, match="token_sha256 is already used"):
        TokenRegistry.build(None, write_clients(tmp_path, client("desktop", "same"), upper))


def test_a_client_with_the_full_access_token_is_refused(tmp_path: Path):
    with pytest.raises(ConfigurationError, match=r"clients\[0\] \(desktop\): .*MCP_GATEWAY_AUTH_TOKEN"):
        TokenRegistry.build("full", write_clients(tmp_path, client("desktop", "full")))


@pytest.mark.parametrize("value", ["true", "yes", 1, None, [True]])
@pytest.mark.parametrize("key", ["trusted", "confirms_out_of_band"])
def test_a_flag_that_is_not_a_boolean_is_refused(tmp_path: Path, key: str, value: Any):
    path = write_clients(tmp_path, client("desktop", **{key: value}))
    with pytest.raises(ConfigurationError, match=rf"clients\[0\] \(desktop\): '{key}' must be true or false"):
        TokenRegistry.build(None, path)


def test_a_misspelt_key_is_refused_rather_than_ignored(tmp_path: Path):
    with pytest.raises(ConfigurationError, match=r"clients\[0\] \(bot\): unknown keys \['trustd'\]"):
        TokenRegistry.build(None, write_clients(tmp_path, client("bot", trustd=True)))


@pytest.mark.parametrize("scopes", ["read", [["read"]], None])
def test_scopes_that_are_not_a_list_of_names_are_refused(tmp_path: Path, scopes: Any):
    with pytest.raises(ConfigurationError, match=r"clients\[0\] \(desktop\): 'scopes' must be a list"):
        TokenRegistry.build(None, write_clients(tmp_path, client("desktop", scopes=scopes)))


def test_an_unknown_scope_is_refused_listing_the_known_ones(tmp_path: Path):
    with pytest.raises(ConfigurationError, match=r"unknown scopes \['admin'\]; use \['finance', 'ops', 'payments'"):
        TokenRegistry.build(None, write_clients(tmp_path, client("desktop", scopes=["read", "admin"])))


@pytest.mark.parametrize("bad", ["abc", "g" * 64, None, 12])
def test_a_digest_that_is_not_64_hex_characters_is_refused(tmp_path: Path, bad: Any):
    entry = {"name": "desktop", "token_sha256": bad}
    with pytest.raises(ConfigurationError, match=r"clients\[0\] \(desktop\): 'token_sha256' must be 64 hex"):
        TokenRegistry.build(None, write_clients(tmp_path, entry))


@pytest.mark.parametrize("text", ["", "clients: []\n", "- name: x\n", "clients: {name: x}\n"])
def test_a_file_without_a_list_of_clients_is_refused(tmp_path: Path, text: str):
    path = tmp_path / "tokens.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigurationError, match="MCP_GATEWAY_TOKENS_FILE: expected a non-empty 'clients' list"):
        TokenRegistry.build(None, path)


def test_an_unreadable_file_is_refused_naming_its_path(tmp_path: Path):
    missing = tmp_path / "absent.yaml"
    with pytest.raises(ConfigurationError, match=rf"MCP_GATEWAY_TOKENS_FILE: cannot read {missing}"):
        TokenRegistry.build(None, missing)
