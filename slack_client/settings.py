"""Every setting the Slack assistant and `abcodex-chat` read, from the environment.

The names are the contract in `docs/configuration.md`; a few extras (drain time, tool-list TTL, logging)
are documented in `docs/slack-assistant.md`. `load_settings()` turns a missing or invalid value into a
`ConfigError` whose message names the variable.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from slack_client.errors import ConfigError

# claude-sonnet-4-5 (the first contract default) is deprecated by the locked SDK (end of life 2026-11-30).
DEFAULT_MODELS = {"anthropic": "claude-sonnet-5-5", "openai": "gpt-4o-mini"}
_MIN_STATE_SECRET = 32
LOCAL_GATEWAY_URL = "http://127.0.0.1:8081/mcp"  # where `make run` serves the gateway


class BotSettings(BaseSettings):
    """The Slack assistant's settings (environment variables, case-insensitive)."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    mcp_gateway_url: str = LOCAL_GATEWAY_URL
    mcp_gateway_auth_token: SecretStr
    mcp_tools_ttl_seconds: float = Field(default=60.0, gt=0)
    mcp_listen_for_changes: bool = False
    llm_provider: Literal["anthropic", "openai"] = "anthropic"
    llm_model: str | None = None
    llm_max_output_tokens: int = Field(default=1024, gt=0)
    llm_timeout_seconds: float = Field(default=60.0, gt=0)
    anthropic_api_key: SecretStr | None = None
    openai_api_key: SecretStr | None = None
    anthropic_base_url: str | None = None
    openai_base_url: str | None = None
    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    bot_state_secret: SecretStr | None = None
    slack_use_socket_mode: bool = True
    slack_api_url: str = "https://slack.com/api/"
    allowed_tools_file: Path = Path("manifests/allowed-tools.yaml")
    rbac_user_map_json: str = "{}"
    # Probes and the Events API reach the pod from outside, so the listener binds every interface.
    bot_host: str = "0.0.0.0"  # noqa: S104
    port: int = Field(default=3000, ge=0, le=65535)
    bot_drain_seconds: float = Field(default=20.0, ge=0)
    log_level: str = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"

    @field_validator("rbac_user_map_json")
    @classmethod
    def _user_map_is_json_object(cls, value: str) -> str:
        parsed = json.loads(value or "{}")
        if not isinstance(parsed, dict) or not all(isinstance(v, str) for v in parsed.values()):
            raise ValueError('must be a JSON object of Slack user id to role, e.g. {"U123": "finance"}')
        return value

    @field_validator("bot_state_secret")
    @classmethod
    def _state_secret_is_long(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < _MIN_STATE_SECRET:
            raise ValueError(f"must be at least {_MIN_STATE_SECRET} characters (e.g. `openssl rand -hex 32`)")
        return value

    @property
    def rbac_user_map(self) -> dict[str, str]:
        """Slack user id → role, from `RBAC_USER_MAP_JSON`."""
        return {str(k): str(v) for k, v in json.loads(self.rbac_user_map_json or "{}").items()}

    @property
    def model_name(self) -> str:
        """`LLM_MODEL`, or the chosen provider's default."""
        return self.llm_model or DEFAULT_MODELS[self.llm_provider]

    def provider_key(self) -> str:
        """The chosen provider's API key; a `ConfigError` naming the variable when it is missing."""
        key = self.anthropic_api_key if self.llm_provider == "anthropic" else self.openai_api_key
        if key is None or not key.get_secret_value():
            name = "ANTHROPIC_API_KEY" if self.llm_provider == "anthropic" else "OPENAI_API_KEY"
            raise ConfigError(f"{name} is required when LLM_PROVIDER={self.llm_provider}")
        return key.get_secret_value()

    def state_key(self) -> bytes:
        """The key that signs pending confirmations in Slack buttons; the same on every replica.

        `BOT_STATE_SECRET`, else derived from `SLACK_SIGNING_SECRET`, else from `SLACK_APP_TOKEN` (both are
        shared by every replica already). Each source gives a different key, so changing the source only
        invalidates buttons posted before the change.
        """
        sources = (
            ("BOT_STATE_SECRET", self.bot_state_secret),
            ("SLACK_SIGNING_SECRET", self.slack_signing_secret),
            ("SLACK_APP_TOKEN", self.slack_app_token),
        )
        for name, secret in sources:
            if secret is not None and secret.get_secret_value():
                material = f"abcodex-bot-state\0{name}\0{secret.get_secret_value()}"
                return hashlib.sha256(material.encode("utf-8")).digest()
        raise ConfigError("BOT_STATE_SECRET is required (or SLACK_SIGNING_SECRET or SLACK_APP_TOKEN to derive it from)")

    def require_slack(self) -> None:
        """Check the Slack settings the chosen mode needs (the terminal chat needs none)."""
        _require(self.slack_bot_token, "SLACK_BOT_TOKEN", "to talk to Slack")
        if self.slack_use_socket_mode:
            _require(self.slack_app_token, "SLACK_APP_TOKEN", "when SLACK_USE_SOCKET_MODE=true")
        else:
            _require(self.slack_signing_secret, "SLACK_SIGNING_SECRET", "when SLACK_USE_SOCKET_MODE=false")


def _require(value: SecretStr | None, name: str, why: str) -> None:
    if value is None or not value.get_secret_value():
        raise ConfigError(f"{name} is required {why}")


def load_settings(**overrides: Any) -> BotSettings:
    """Read the settings; any problem becomes one `ConfigError` naming each bad variable."""
    try:
        settings = BotSettings(**overrides)
    except ValidationError as error:
        raise ConfigError(_describe(error)) from None
    settings.provider_key()
    return settings


def _describe(error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        name = str(item["loc"][0]).upper() if item["loc"] else "settings"
        problems.append(f"{name}: {item['msg']}")
    return "invalid settings: " + "; ".join(problems)


class ChatSettings(BaseSettings):
    """What `abcodex-chat` reads besides `BotSettings`: where to find a gateway nobody configured, where
    to save charts. The data directory's default is the gateway's own (mcp_server/settings.py)."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    mcp_gateway_url: str | None = None
    mcp_gateway_auth_token: SecretStr | None = None
    abcodex_data_dir: Path = Field(default_factory=lambda: Path.home() / ".local" / "share" / "abcodex")
    chat_output_dir: Path | None = None

    @property
    def local_token_file(self) -> Path:
        """Where the embedded default (`make run`) keeps the token it serves with."""
        return self.abcodex_data_dir / "gateway-token"


def load_chat_settings(**overrides: Any) -> tuple[BotSettings, ChatSettings, str | None]:
    """The chat's settings. With neither MCP_GATEWAY_URL nor MCP_GATEWAY_AUTH_TOKEN set, the gateway that
    `make run` started is used, with the token it wrote; the third value then says so for the user."""
    try:
        chat = ChatSettings()
    except ValidationError as error:
        raise ConfigError(_describe(error)) from None
    configured = chat.mcp_gateway_url or chat.mcp_gateway_auth_token or "mcp_gateway_auth_token" in overrides
    if configured:
        return load_settings(**overrides), chat, None
    token_file = chat.local_token_file
    try:
        token = token_file.read_text(encoding="utf-8").strip()
    except OSError:
        token = ""
    if not token:
        raise ConfigError(
            f"MCP_GATEWAY_AUTH_TOKEN is not set and no local gateway's token is in {token_file}: start the "
            "gateway with `make run` (it writes one), or set MCP_GATEWAY_URL and MCP_GATEWAY_AUTH_TOKEN"
        )
    settings = load_settings(**({"mcp_gateway_url": LOCAL_GATEWAY_URL, "mcp_gateway_auth_token": token} | overrides))
    return settings, chat, f"Using the gateway `make run` started: {LOCAL_GATEWAY_URL} (token from {token_file})."
