"""Start-up settings: a missing or invalid value stops the bot with a message naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from slack_client.errors import ConfigError
from slack_client.settings import load_settings
from tests.slack_fixtures import MANIFEST

BASE = {
    "MCP_GATEWAY_AUTH_TOKEN": "t",
    "ANTHROPIC_API_KEY": "k",
    "SLACK_BOT_TOKEN": "xoxb-1",
    "SLACK_APP_TOKEN": "xapp-1",
}


@pytest.fixture
def env(monkeypatch):
    for name in list(os.environ):
        if name.startswith(("MCP_", "LLM_", "ANTHROPIC_", "OPENAI_", "SLACK_", "RBAC_", "ALLOWED_", "BOT_")):
            monkeypatch.delenv(name)
    for name, value in BASE.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_the_defaults_are_the_documented_ones(env):
    settings = load_settings()
    assert settings.mcp_gateway_url == "http://127.0.0.1:8081/mcp"
    assert settings.port == 3000 and settings.slack_use_socket_mode
    assert settings.model_name == "claude-sonnet-5-5"
    assert str(settings.allowed_tools_file) == "manifests/allowed-tools.yaml"


def test_openai_defaults_to_gpt_4o_mini(env):
    env.setenv("LLM_PROVIDER", "openai")
    env.setenv("OPENAI_API_KEY", "sk")
    assert load_settings().model_name == "gpt-4o-mini"


def test_a_missing_gateway_token_is_named(env):
    env.delenv("MCP_GATEWAY_AUTH_TOKEN")
    with pytest.raises(ConfigError, match="MCP_GATEWAY_AUTH_TOKEN"):
        load_settings()


def test_the_chosen_providers_key_is_required(env):
    env.setenv("LLM_PROVIDER", "openai")
    with pytest.raises(ConfigError, match="OPENAI_API_KEY is required when LLM_PROVIDER=openai"):
        load_settings()


def test_an_unknown_provider_is_named(env):
    env.setenv("LLM_PROVIDER", "llama")
    with pytest.raises(ConfigError, match="LLM_PROVIDER"):
        load_settings()


def test_a_user_map_that_is_not_a_json_object_is_named(env):
    env.setenv("RBAC_USER_MAP_JSON", '["U1"]')
    with pytest.raises(ConfigError, match="RBAC_USER_MAP_JSON"):
        load_settings()
    env.setenv("RBAC_USER_MAP_JSON", '{"U1": "finance"}')
    assert load_settings().rbac_user_map == {"U1": "finance"}


def test_socket_mode_needs_the_app_token_and_http_mode_the_signing_secret(env):
    env.delenv("SLACK_APP_TOKEN")
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN"):
        load_settings().require_slack()
    env.setenv("SLACK_USE_SOCKET_MODE", "false")
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        load_settings().require_slack()


def start_bot(**variables: str) -> subprocess.CompletedProcess[str]:
    """`python -m slack_client` with only these settings; every test here expects it to refuse to start."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME")} | variables
    return subprocess.run(
        [sys.executable, "-m", "slack_client"], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_the_bot_refuses_to_start_without_its_tokens_and_says_which():
    result = start_bot(MCP_GATEWAY_AUTH_TOKEN="t", ANTHROPIC_API_KEY="k")
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN is required" in result.stderr


def test_a_user_map_role_the_policy_does_not_define_stops_start_up_naming_the_role_and_the_roles():
    result = start_bot(**BASE, ALLOWED_TOOLS_FILE=str(MANIFEST), RBAC_USER_MAP_JSON='{"U0OPS0001": "superuser"}')
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"abcodex-slackbot: RBAC_USER_MAP_JSON gives U0OPS0001 the role 'superuser', which {MANIFEST} does not "
        "define (roles: staff, producer, finance, admin)"
    )


def test_a_user_group_mapped_to_a_role_the_policy_does_not_define_stops_start_up_naming_both(tmp_path):
    policy = tmp_path / "allowed-tools.yaml"
    policy.write_text(MANIFEST.read_text().replace("user_groups: {}", "user_groups: {ops-team: superuser}"))
    result = start_bot(**BASE, ALLOWED_TOOLS_FILE=str(policy))
    assert result.returncode == 2
    assert "user_groups.ops-team: unknown role 'superuser' (roles: staff, producer, finance, admin)" in result.stderr
