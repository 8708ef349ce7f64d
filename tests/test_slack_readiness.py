"""`/readyz` can fail: the LLM check asks the configured provider (through its SDK), at most once per TTL."""

from __future__ import annotations

import httpx2
import pytest
from pydantic import SecretStr

from slack_client.readiness import CachedCheck
from tests.doubles.anthropic_api import AnthropicDouble
from tests.doubles.openai_api import OpenAIDouble
from tests.doubles.slack_api import SlackDouble
from tests.slack_fixtures import bot_settings, run_bot

pytest_plugins = ["tests.slack_fixtures"]

UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens there


async def readyz(base_url: str) -> httpx2.Response:
    async with httpx2.AsyncClient(base_url=base_url) as http:
        return await http.get("/readyz")


async def test_ready_when_the_provider_accepts_the_key_and_probes_ask_it_once_per_ttl(
    slack: SlackDouble, claude: AnthropicDouble, gateway_url, gateway_token
):
    async with run_bot(bot_settings(slack, claude, gateway_url, gateway_token), slack) as bot:
        first, second = await readyz(bot.base_url), await readyz(bot.base_url)

    assert first.status_code == second.status_code == 200
    assert first.json()["checks"]["llm"] == {"ok": True, "detail": "anthropic claude-sonnet-5-5: key accepted"}
    assert claude.model_listings == 1 and claude.requests == []


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
async def test_a_key_the_provider_refuses_makes_the_bot_unready_saying_so(
    provider, slack: SlackDouble, claude: AnthropicDouble, gpt: OpenAIDouble, gateway_url, gateway_token
):
    llm = claude if provider == "anthropic" else gpt
    settings = bot_settings(slack, llm, gateway_url, gateway_token)
    settings = settings.model_copy(update={f"{provider}_api_key": SecretStr("sk-revoked-0000")})
    async with run_bot(settings, slack) as bot:
        response = await readyz(bot.base_url)

    assert response.status_code == 503 and response.json()["ready"] is False
    llm_check = response.json()["checks"]["llm"]
    assert llm_check["ok"] is False
    assert "refused the request (401)" in llm_check["detail"]
    assert response.json()["checks"]["tools"]["ok"] is True  # only the provider is at fault
    assert llm.model_listings == 0


async def test_an_unreachable_provider_makes_the_bot_unready_saying_so(
    slack: SlackDouble, claude: AnthropicDouble, gateway_url, gateway_token
):
    settings = bot_settings(slack, claude, gateway_url, gateway_token).model_copy(
        update={"anthropic_base_url": UNREACHABLE}
    )
    async with run_bot(settings, slack) as bot:
        response = await readyz(bot.base_url)

    assert response.status_code == 503
    assert response.json()["checks"]["llm"]["ok"] is False
    assert "Anthropic unreachable" in response.json()["checks"]["llm"]["detail"]


async def test_a_cached_check_asks_again_only_once_its_ttl_has_passed():
    now, asked = [100.0], []

    async def ask() -> tuple[bool, str]:
        asked.append(now[0])
        return len(asked) == 1, f"answer {len(asked)}"

    check = CachedCheck(ask, ttl=30, clock=lambda: now[0])
    first = await check()
    now[0] += 29
    within_ttl = await check()
    now[0] += 1
    after_ttl = await check()

    assert first == within_ttl == (True, "answer 1")
    assert after_ttl == (False, "answer 2")
    assert asked == [100.0, 130.0]
