"""First streamed text: from the LLM double's first token to Slack receiving the answer's first words.

Slack gets them as `chat.startStream`, or as the fallback's `chat.postMessage` when streaming is refused; one
question at a time, timed in this process by the two doubles.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path
from typing import Any

from bench.bot_harness import BotProcess, InstantGateway, bot_env, run_questions, summary_ms
from tests.doubles.anthropic_api import AnthropicDouble
from tests.doubles.llm_script import ToolCall, text_turn, tool_turn
from tests.doubles.slack_api import SlackDouble
from tests.doubles.slack_payloads import BOT_USER_ID, app_mention, event_callback
from tests.doubles.slack_streams import refuse_streaming

STREAMED_ANSWER = (
    "Grace Liu leads round 2 at AB4001 with 20.5 weighted votes, ahead of Hana Kowalczyk with 18 and "
    "Omar Haddad with 15; round 1 is closed and the auction opens after round 3."
)


async def first_text_phase(
    gateway: InstantGateway, policy: Path, args: argparse.Namespace, deadline: float, *, refused: bool
) -> dict[str, Any]:
    """LLM double's first token → Slack double receives the answer's first words, one question at a time."""
    first_tokens: list[float] = []

    def streamed_model(request: Any) -> Any:
        if not request.tool_results:
            return tool_turn(ToolCall("get_live_voting_status", {"eid": "AB4001"}))
        first_tokens.append(time.perf_counter())  # the double streams its first text right after this
        return text_turn(STREAMED_ANSWER)

    method = "chat.postMessage" if refused else "chat.startStream"
    count = min(args.questions, 100)
    with SlackDouble() as slack, AnthropicDouble() as llm:
        llm.script(*[streamed_model] * (2 * count + 4))
        if refused:
            refuse_streaming(slack)
        async with BotProcess(bot_env(slack, llm, gateway, policy, PORT="0")) as bot:
            await slack.socket_mode.wait_for_connection_async(timeout=30)

            async def ask(index: int) -> float:
                user = f"U{index + 2:08d}"
                event = app_mention(f"<@{BOT_USER_ID}> voting at AB4001?", user=user, channel="C0BENCH003")
                answered = bot.answer_of(user)
                slack.socket_mode.push_events_api(event_callback(event))
                await slack.wait_for_call_async(method, timeout=30, thread_ts=event["ts"])
                first_text = time.perf_counter()
                await asyncio.wait_for(answered, 30)
                return first_text - first_tokens[-1]

            await ask(-1)
            # Its own budget: the phases before it may have spent the run's whole time limit.
            latencies = await run_questions(bot, count, 1, max(deadline, time.monotonic() + 30), ask)
    return summary_ms(latencies)
