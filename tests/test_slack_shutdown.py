"""SIGTERM mid-answer: the bot process stops taking work, finishes the answer in flight, and exits 0."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading

import pytest

from tests.doubles.anthropic_api import AnthropicDouble
from tests.doubles.llm_script import ToolCall, text_turn, tool_turn
from tests.doubles.slack_api import SlackDouble
from tests.doubles.slack_payloads import BOT_USER_ID, app_mention, event_callback
from tests.slack_fixtures import MANIFEST, STAFF_USER

pytest_plugins = ["tests.slack_fixtures"]

CHANNEL = "C0OPS00001"


def bot_environment(slack: SlackDouble, claude: AnthropicDouble, gateway_url: str, gateway_token: str) -> dict:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "SYSTEMROOT", "TMPDIR")}
    return keep | {
        "MCP_GATEWAY_URL": gateway_url,
        "MCP_GATEWAY_AUTH_TOKEN": gateway_token,
        "LLM_PROVIDER": "anthropic",
        "ANTHROPIC_API_KEY": claude.api_key,
        "ANTHROPIC_BASE_URL": claude.base_url,
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_APP_TOKEN": slack.app_token,
        "SLACK_API_URL": slack.api_url,
        "ALLOWED_TOOLS_FILE": str(MANIFEST),
        "PORT": "0",
        "BOT_HOST": "127.0.0.1",
        "BOT_DRAIN_SECONDS": "10",
        "LOG_FORMAT": "json",
    }


@pytest.mark.slow
async def test_sigterm_mid_answer_finishes_the_reply_and_exits_zero(
    slack: SlackDouble, claude: AnthropicDouble, gateway_url, gateway_token
):
    release = threading.Event()

    def held_answer(request):
        release.wait(20)  # the model "thinks" until the test has sent SIGTERM
        return text_turn("Grace Liu leads round 2.")

    claude.script(tool_turn(ToolCall("get_live_voting_status", {"eid": "AB4001"})), held_answer)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "slack_client",
        env=bot_environment(slack, claude, gateway_url, gateway_token),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        await slack.socket_mode.wait_for_connection_async(timeout=30)
        event = app_mention(f"<@{BOT_USER_ID}> voting at AB4001?", user=STAFF_USER, channel=CHANNEL)
        slack.socket_mode.push_events_api(event_callback(event))
        await claude.wait_for_request_async(2, timeout=15)  # the answer is now in flight

        process.send_signal(signal.SIGTERM)
        release.set()
        answer = await slack.wait_for_answer_async(CHANNEL, event["ts"], timeout=15)
        output, _ = await asyncio.wait_for(process.communicate(), 20)
    finally:
        release.set()
        if process.returncode is None:
            process.kill()
            await process.wait()

    assert answer.text == "Grace Liu leads round 2."
    assert process.returncode == 0, output.decode()[-2000:]
    log = output.decode()
    assert '"event": "shutdown_requested"' in log and '"event": "drained"' in log
    assert log.index('"event": "shutdown_requested"') < log.index('"event": "request"')  # answered after SIGTERM
