"""The gateway's settings: one pydantic-settings class, read once at start.

A missing or invalid value stops start-up with a message naming the variable (see `load_settings`).
"""

from __future__ import annotations

import ipaddress
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from mcp_server.auth import SCOPES
from mcp_server.errors import ConfigurationError

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def _default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "abcodex"


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class GatewaySettings(BaseSettings):
    """Everything the gateway reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    mcp_gateway_host: str = "127.0.0.1"
    mcp_gateway_port: int = Field(default=8081, ge=0, le=65535)
    mcp_gateway_auth: Literal["bearer", "none"] = "bearer"
    mcp_gateway_auth_token: SecretStr | None = None
    mcp_gateway_tokens_file: Path | None = None
    mcp_gateway_allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    mcp_gateway_allowed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    mcp_gateway_drain_seconds: float = Field(default=10.0, gt=0, le=300)
    # Per-client token bucket at the HTTP edge: one client cannot take the pool that payments also need.
    mcp_gateway_rate_limit_per_second: float = Field(default=50.0, gt=0, le=100_000)
    mcp_gateway_rate_limit_burst: int = Field(default=200, ge=1, le=1_000_000)
    # Overload: past this many /mcp requests at once a new one gets 503 + Retry-After at the edge instead of
    # queueing (docs/benchmarks.md, "Overload", measured the default). Probes answer on their own port from a
    # thread (0 disables it); liveness fails only when the event loop has not run for the stall threshold.
    mcp_gateway_max_in_flight: int = Field(default=64, ge=1, le=100_000)
    mcp_gateway_probe_port: int = Field(default=8082, ge=0, le=65535)
    mcp_gateway_loop_stall_seconds: float = Field(default=10.0, ge=1, le=300)

    database_url: SecretStr | None = None
    abcodex_data_dir: Path = Field(default_factory=_default_data_dir)
    pg_bin: Path | None = None
    mcp_gateway_stdio_scopes: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["read"])
    db_pool_min_size: int = Field(default=2, ge=1, le=100)
    db_pool_max_size: int = Field(default=10, ge=1, le=200)
    db_statement_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    readiness_timeout_seconds: float = Field(default=2.0, gt=0, le=30)
    live_cache_seconds: float = Field(default=1.0, ge=0, le=60)
    # Audit rows kept while Postgres is away; beyond it the oldest are dropped (and counted).
    audit_buffer_rows: int = Field(default=10_000, ge=1, le=1_000_000)

    enable_mutating_tools: bool = False
    stripe_canada_secret_key: SecretStr | None = None
    stripe_intl_secret_key: SecretStr | None = None
    stripe_api_base: str = "https://api.stripe.com"
    stripe_timeout_seconds: float = Field(default=20.0, gt=0, le=120)
    stripe_max_retries: int = Field(default=2, ge=0, le=5)
    stripe_retry_backoff_seconds: float = Field(default=0.5, ge=0, le=10)
    payment_confirmation_secret: SecretStr | None = None
    payment_confirmation_ttl_seconds: int = Field(default=600, ge=30, le=3600)
    payment_max_amount: Decimal = Field(default=Decimal("5000"), gt=0)
    payment_daily_cap_per_caller: Decimal = Field(default=Decimal("20000"), gt=0)
    # Per-currency overrides, "CAD=5000,AUD=6000"; a currency not listed uses the two defaults above.
    payment_max_amount_per_currency: Annotated[dict[str, Decimal], NoDecode] = Field(default_factory=dict)
    payment_daily_cap_per_currency: Annotated[dict[str, Decimal], NoDecode] = Field(default_factory=dict)

    # OAuth 2.1 protected resource (docs/oauth.md): off unless the issuer is set; static tokens keep working.
    mcp_gateway_oauth_issuer: str | None = None
    mcp_gateway_oauth_resource_url: str | None = None  # the canonical URL hosts connect to, …/mcp
    mcp_gateway_oauth_scopes_file: Path | None = None
    mcp_gateway_oauth_extra_audiences: Annotated[list[str], NoDecode] = Field(default_factory=list)
    mcp_gateway_oauth_jwks_cache_seconds: float = Field(default=600.0, ge=1, le=86_400)
    # An unknown key id refreshes the key set at most this often, so forged kids cannot flood the provider.
    mcp_gateway_oauth_jwks_min_refresh_seconds: float = Field(default=30.0, ge=0, le=3600)

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"

    @field_validator(
        "mcp_gateway_allowed_hosts",
        "mcp_gateway_allowed_origins",
        "mcp_gateway_stdio_scopes",
        "mcp_gateway_oauth_extra_audiences",
        mode="before",
    )
    @classmethod
    def _csv(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("payment_max_amount_per_currency", "payment_daily_cap_per_currency", mode="before")
    @classmethod
    def _amounts_per_currency(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        amounts: dict[str, str] = {}
        for item in value.split(","):
            if not item.strip():
                continue
            currency, sep, amount = str(item).partition("=")
            if not sep or len(currency.strip()) != 3 or not currency.strip().isalpha():
                raise ValueError(f"expected CUR=amount pairs such as CAD=5000, got {item!r}")
            amounts[currency.strip().upper()] = amount.strip()
        return amounts

    @field_validator("payment_max_amount_per_currency", "payment_daily_cap_per_currency", mode="after")
    @classmethod
    def _positive_amounts(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        for currency, amount in value.items():
            if amount <= 0:
                raise ValueError(f"{currency}: the amount must be positive")
        return value

    def payment_max_amount_for(self, currency: str) -> Decimal:
        return self.payment_max_amount_per_currency.get(currency.upper(), self.payment_max_amount)

    def payment_daily_cap_for(self, currency: str) -> Decimal:
        return self.payment_daily_cap_per_currency.get(currency.upper(), self.payment_daily_cap_per_caller)

    @field_validator("mcp_gateway_stdio_scopes", mode="after")
    @classmethod
    def _known_scopes(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - SCOPES)
        if unknown:
            raise ValueError(f"unknown scopes {unknown}; use any of {sorted(SCOPES)}")
        return value

    @field_validator("mcp_gateway_oauth_issuer", "mcp_gateway_oauth_resource_url", mode="after")
    @classmethod
    def _oauth_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        loopback = parts.hostname in LOOPBACK_HOSTS
        # Tokens and keys travel over these URLs: plain http only on this machine (a local test issuer).
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
            raise ValueError("must be an https:// URL (http:// only for a loopback host)")
        if not parts.hostname or parts.query or parts.fragment:
            raise ValueError("must be an absolute URL without query or fragment")
        return value  # verbatim: `iss` and `aud` are compared as exact strings

    @model_validator(mode="after")
    def _oauth_complete(self) -> GatewaySettings:
        oauth = {
            "MCP_GATEWAY_OAUTH_ISSUER": self.mcp_gateway_oauth_issuer,
            "MCP_GATEWAY_OAUTH_RESOURCE_URL": self.mcp_gateway_oauth_resource_url,
            "MCP_GATEWAY_OAUTH_SCOPES_FILE": self.mcp_gateway_oauth_scopes_file,
        }
        missing = [name for name, value in oauth.items() if value is None]
        if missing and len(missing) < len(oauth):
            raise ValueError(f"{', '.join(missing)} must be set too: OAuth needs the issuer, resource URL and scopes")
        if not missing and self.mcp_gateway_auth == "none":
            raise ValueError("MCP_GATEWAY_OAUTH_ISSUER needs MCP_GATEWAY_AUTH=bearer")
        return self

    @property
    def oauth_enabled(self) -> bool:
        return self.mcp_gateway_oauth_issuer is not None

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _auth_none_only_on_loopback(self) -> GatewaySettings:
        if self.mcp_gateway_auth == "none" and not self.binds_loopback:
            raise ValueError("MCP_GATEWAY_AUTH=none is only accepted when MCP_GATEWAY_HOST is a loopback address")
        if (
            self.enable_mutating_tools
            and self.database_url is not None
            and (
                self.payment_confirmation_secret is None
                or len(self.payment_confirmation_secret.get_secret_value()) < 32
            )
        ):
            raise ValueError(
                "PAYMENT_CONFIRMATION_SECRET (at least 32 characters, shared by all replicas) is required when "
                "ENABLE_MUTATING_TOOLS=true"
            )
        if self.db_pool_min_size > self.db_pool_max_size:
            raise ValueError("DB_POOL_MIN_SIZE must not exceed DB_POOL_MAX_SIZE")
        return self

    @property
    def binds_loopback(self) -> bool:
        if self.mcp_gateway_host in LOOPBACK_HOSTS:
            return True
        try:
            return ipaddress.ip_address(self.mcp_gateway_host).is_loopback
        except ValueError:
            return False

    @property
    def uses_embedded_database(self) -> bool:
        return self.database_url is None

    def allowed_hosts(self) -> list[str]:
        """Host header values accepted: loopback always (probes, port-forward), plus configured names."""
        loopback = ["127.0.0.1:*", "localhost:*", "[::1]:*"]
        hosts = list(self.mcp_gateway_allowed_hosts)
        if self.mcp_gateway_oauth_resource_url:
            hosts.append(urlsplit(self.mcp_gateway_oauth_resource_url).netloc)  # hosts connect by the public URL
        return loopback + [h if ":" in h else f"{h}:*" for h in hosts]

    def allowed_origins(self) -> list[str]:
        loopback = ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]
        return loopback + list(self.mcp_gateway_allowed_origins)


def load_settings() -> GatewaySettings:
    """Read the environment; turn validation errors into one message naming each bad variable."""
    try:
        return GatewaySettings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = "_".join(str(part) for part in error["loc"]).upper() or "settings"
            problems.append(f"{name}: {error['msg']}")
        raise ConfigurationError("invalid gateway settings: " + "; ".join(problems)) from exc
