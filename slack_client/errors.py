"""The bot's own errors; no SDK exception crosses an adapter boundary.

    BotError
    ├── ConfigError             a setting or the policy file is missing or invalid (start-up stops)
    ├── GatewayError
    │   ├── GatewayUnavailable  the MCP gateway cannot be reached (down, restarting, timing out)
    │   ├── GatewayBusy         the gateway answered 429/503 with `Retry-After`, still busy after our retries
    │   └── GatewayRefused      the gateway answered with a protocol error (unknown tool, bad token, ...)
    ├── LLMError
    │   ├── LLMUnavailable      the provider is unreachable, overloaded or timed out
    │   ├── LLMRateLimited      the provider asked us to slow down
    │   └── LLMRejected         the provider refused the request (bad request, bad key)
    ├── SlackError              a Slack Web API call failed
    ├── AccessDenied            the policy does not let this user, channel or team use the bot or a tool
    ├── RateLimited             this user or channel asked too often (carries `retry_after`)
    └── RequestTooLong          the question is longer than the policy allows

Each carries a sentence that is safe to show to a Slack user.
"""

from __future__ import annotations

import math


class BotError(Exception):
    """Base of every error the bot raises on purpose."""


class ConfigError(BotError):
    """A setting or the policy file is missing or invalid."""


class GatewayError(BotError):
    """Something went wrong talking to the MCP gateway."""


class GatewayUnavailable(GatewayError):
    """The gateway cannot be reached right now."""


class GatewayBusy(GatewayError):
    """The gateway is overloaded and said when to come back (`retry_after` seconds)."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    @property
    def wait_seconds(self) -> int:
        """Whole seconds to tell a person to wait (at least one)."""
        return max(1, math.ceil(self.retry_after))


class GatewayRefused(GatewayError):
    """The gateway refused the request with a protocol error."""


class LLMError(BotError):
    """Something went wrong talking to the LLM provider."""


class LLMUnavailable(LLMError):
    """The provider is unreachable, overloaded or timed out."""


class LLMRateLimited(LLMError):
    """The provider rate-limited us."""


class LLMRejected(LLMError):
    """The provider refused the request (bad request or credentials)."""


class SlackError(BotError):
    """A Slack Web API call failed."""


class AccessDenied(BotError):
    """The policy does not allow this."""


class RateLimited(BotError):
    """Too many requests from this user or channel."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RequestTooLong(BotError):
    """The question is longer than the policy allows."""
