"""LLM providers behind one small interface (`LLMProvider`), one adapter per provider."""

from __future__ import annotations

from slack_client.llm.base import LLMProvider, TextSink
from slack_client.settings import BotSettings

__all__ = ["LLMProvider", "TextSink", "build_provider"]


def build_provider(settings: BotSettings) -> LLMProvider:
    """The provider `LLM_PROVIDER` names, with its key, model and base URL.

    Only the chosen provider's SDK is imported: each takes about a second to import.
    """
    key = settings.provider_key()
    if settings.llm_provider == "openai":
        from slack_client.llm.openai_provider import OpenAIProvider  # noqa: PLC0415  (see docstring)

        return OpenAIProvider(
            api_key=key,
            model=settings.model_name,
            base_url=settings.openai_base_url,
            timeout=settings.llm_timeout_seconds,
        )
    from slack_client.llm.anthropic_provider import AnthropicProvider  # noqa: PLC0415  (see docstring)

    return AnthropicProvider(
        api_key=key,
        model=settings.model_name,
        base_url=settings.anthropic_base_url,
        timeout=settings.llm_timeout_seconds,
    )
