"""`abcodex-chat`: the same agent in a terminal, streaming answers, showing tool calls, confirming at the prompt."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from slack_client.chat import chat
from slack_client.settings import BotSettings
from tests.doubles.anthropic_api import AnthropicDouble
from tests.doubles.llm_script import ToolCall, text_turn, tool_turn
from tests.slack_fixtures import PAY_SOFIA, shipped_policy
from tests.support.payments import payments_gateway

pytest_plugins = ["tests.slack_fixtures"]


def settings(claude: AnthropicDouble, url: str, token: str) -> BotSettings:
    return BotSettings(
        mcp_gateway_url=url,
        mcp_gateway_auth_token=token,
        anthropic_api_key=claude.api_key,
        anthropic_base_url=claude.base_url,
    )


def typed(*lines: str):
    pending = list(lines)
    prompts: list[str] = []

    async def read_line(prompt: str) -> str | None:
        prompts.append(prompt)
        return pending.pop(0) if pending else None

    read_line.prompts = prompts  # type: ignore[attr-defined]
    return read_line


async def test_the_terminal_streams_the_answer_and_shows_the_tool_call(
    claude: AnthropicDouble, gateway_url, gateway_token
):
    claude.script(
        tool_turn(ToolCall("get_live_voting_status", {"eid": "AB4001"})),
        text_turn("Grace Liu leads round 2 with 20.5 weighted votes."),
    )
    out = io.StringIO()
    await chat(
        settings(claude, gateway_url, gateway_token),
        shipped_policy(),
        user="me",
        role="staff",
        read_line=typed("how's voting at AB4001?"),
        out=out,
    )

    shown = out.getvalue()
    assert "  ↳ get_live_voting_status(eid=AB4001)\n" in shown
    assert "Grace Liu leads round 2 with 20.5 weighted votes.\n" in shown
    assert all(request.stream for request in claude.requests)
    assert '"Grace Liu"' in claude.requests[1].tool_results[0].text


async def test_a_follow_up_keeps_the_conversation(claude: AnthropicDouble, gateway_url, gateway_token):
    claude.script(text_turn("AB4001 is in Toronto."), text_turn("It is live now."))
    await chat(
        settings(claude, gateway_url, gateway_token),
        shipped_policy(),
        user="me",
        role="staff",
        read_line=typed("where is AB4001?", "is it live?"),
        out=io.StringIO(),
    )
    assert [m["role"] for m in claude.requests[1].messages] == ["user", "assistant", "user"]


async def test_a_payment_is_confirmed_at_the_prompt_and_pays_once(claude: AnthropicDouble, postgres):
    async with payments_gateway(postgres) as payments:
        claude.script(tool_turn(ToolCall("process_artist_payment", PAY_SOFIA)), text_turn("Confirm below."))
        read_line = typed("pay Sofia her 400 CAD for AB4002", "y")
        out = io.StringIO()
        await chat(
            settings(claude, payments.gateway.url, payments.gateway.token),
            shipped_policy(),
            user="me",
            role="finance",
            read_line=read_line,
            out=out,
        )

    assert read_line.prompts == ["you> ", "Confirm? [y/N] ", "you> "]
    assert "Needs your confirmation: process_artist_payment" in out.getvalue()
    assert "artist_name: Sofia Marchetti" in out.getvalue()
    assert len(payments.stripe.transfers) == 1
    assert "Done (paid)" in out.getvalue()


async def test_declining_at_the_prompt_pays_nothing(claude: AnthropicDouble, postgres):
    async with payments_gateway(postgres) as payments:
        claude.script(tool_turn(ToolCall("process_artist_payment", PAY_SOFIA)), text_turn("Confirm below."))
        out = io.StringIO()
        await chat(
            settings(claude, payments.gateway.url, payments.gateway.token),
            shipped_policy(),
            user="me",
            role="finance",
            read_line=typed("pay Sofia", "n"),
            out=out,
        )

    assert payments.stripe.transfers == [] and "nothing was done" in out.getvalue()


def test_a_missing_setting_stops_the_chat_with_the_variable_named(tmp_path: Path) -> None:
    # A home without a `make run` gateway's token: nothing to find, so the variable is named.
    env = {k: v for k, v in os.environ.items() if k == "PATH"} | {"HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "slack_client.chat"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert "MCP_GATEWAY_AUTH_TOKEN" in result.stderr and "make run" in result.stderr


FIND_GATEWAY = """
from slack_client.settings import load_chat_settings
settings, chat, found = load_chat_settings()
print(settings.mcp_gateway_url, settings.mcp_gateway_auth_token.get_secret_value(), sep="\\n")
print(found)
"""


def test_with_only_an_llm_key_the_chat_finds_the_gateway_make_run_started(tmp_path: Path) -> None:
    (tmp_path / "gateway-token").write_text("token-written-by-make-run\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k == "PATH"}
    env |= {"HOME": str(tmp_path), "ABCODEX_DATA_DIR": str(tmp_path), "ANTHROPIC_API_KEY": "sk-test"}
    result = subprocess.run(
        [sys.executable, "-c", FIND_GATEWAY], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    url, token, found = result.stdout.splitlines()
    assert (url, token) == ("http://127.0.0.1:8081/mcp", "token-written-by-make-run")
    assert "make run" in found and str(tmp_path / "gateway-token") in found


async def test_a_chart_is_saved_and_its_path_shown_and_a_table_is_aligned(
    claude: AnthropicDouble, gateway_url: str, gateway_token: str, tmp_path: Path
) -> None:
    table = "| Artist | Weighted |\n|---|---:|\n| Grace Liu | 20.5 |\n| Owen Fairbanks | 17 |\n"
    claude.script(tool_turn(ToolCall("get_event_chart", {"eid": "AB4001", "kind": "voting"})), text_turn(table))
    out = io.StringIO()
    await chat(
        settings(claude, gateway_url, gateway_token),
        shipped_policy(),
        user="me",
        role="staff",
        read_line=typed("chart the voting at AB4001"),
        out=out,
        output_dir=tmp_path,
    )

    shown = out.getvalue()
    [saved] = list(tmp_path.glob("*.png"))
    assert f"  chart saved: {saved}\n" in shown
    assert saved.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert "Artist          Weighted\n" in shown
    assert "──────────────  ────────\n" in shown
    assert "Grace Liu           20.5\n" in shown and "Owen Fairbanks        17\n" in shown
    sent = claude.requests[1].tool_results[0].text
    assert '"image_shown"' in sent and "iVBORw0KGgo" not in sent  # the numbers and a note, never the PNG


async def test_the_terminal_redacts_contacts_even_when_a_stream_splits_them():
    import io  # noqa: PLC0415

    from slack_client.chat import TerminalOutput  # noqa: PLC0415

    screen = io.StringIO()
    terminal = TerminalOutput(screen)
    for chunk in ("Reach Maya at maya.ok", "afor@example.com or +1 416 ", "555 0101.\nCard 4242 4242 ", "4242 4242"):
        await terminal.text(chunk)
    terminal.end_line()
    shown = screen.getvalue()
    assert "maya.okafor@example.com" not in shown and "416 555 0101" not in shown
    assert "4242 4242 4242 4242" not in shown
    assert shown.startswith("Reach Maya at ") and shown.endswith("\n")
