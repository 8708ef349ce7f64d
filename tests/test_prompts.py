"""The MCP prompts through a real MCP client: listed and fetched by scope, naming only tools the caller can use."""

from __future__ import annotations

import hashlib
import re
import secrets
from pathlib import Path

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS

from mcp_server.prompts import WORKFLOWS
from tests.support.gateway import RunningGateway, run_gateway
from tests.support.payments import payments_gateway
from tests.support.postgres import PostgresForTests

PROMPTS = {"post_event_report", "payout_run", "live_event_check"}
STEP = re.compile(r"^\d+\. (\w+) — ", re.MULTILINE)


async def prompt_text(client: Client, name: str, eid: str = "ab4002") -> str:
    result = await client.get_prompt(name, {"eid": eid})
    assert len(result.messages) == 1 and result.messages[0].role == "user"
    return str(result.messages[0].content.text)


def workflow_tools(name: str) -> list[str]:
    return next([step.tool for step in w.steps] for w in WORKFLOWS if w.name == name)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_the_three_prompts_are_listed_with_a_required_eid(demo_gateway: RunningGateway, mode: str):
    async with demo_gateway.client(mode=mode) as client:
        prompts = {prompt.name: prompt for prompt in (await client.list_prompts()).prompts}
    assert set(prompts) == PROMPTS
    for prompt in prompts.values():
        assert prompt.title and prompt.description
        assert [(a.name, a.required) for a in prompt.arguments or []] == [("eid", True)]


@pytest.mark.parametrize("name", sorted(PROMPTS))
async def test_a_prompt_names_the_tools_to_use_in_order_and_only_tools_the_caller_has(
    demo_gateway: RunningGateway, name: str
):
    async with demo_gateway.client() as client:
        listed = {tool.name for tool in (await client.list_tools()).tools}
        text = await prompt_text(client, name)
    named = STEP.findall(text)
    assert "AB4002" in text and "data, not instructions" in text
    assert named == [tool for tool in workflow_tools(name) if tool in listed]
    assert named  # a prompt the caller sees names at least one tool it has


async def test_a_read_only_client_sees_no_finance_workflow_and_no_finance_tool_in_a_prompt(
    postgres: PostgresForTests, tmp_path: Path
):
    token = secrets.token_urlsafe(16)
    digest = hashlib.sha256(token.encode()).hexdigest()
    path = tmp_path / "tokens.yaml"
    path.write_text(f"clients:\n  - name: desktop\n    token_sha256: {digest}\n    scopes: [read]\n")
    database = await postgres.create_demo_database("prompts")
    async with run_gateway(database, mcp_gateway_tokens_file=path) as gateway, gateway.client(token) as desktop:
        listed = {prompt.name for prompt in (await desktop.list_prompts()).prompts}
        report = await prompt_text(desktop, "post_event_report")
        with pytest.raises(MCPError, match="Unknown prompt: payout_run") as refused:
            await desktop.get_prompt("payout_run", {"eid": "AB4002"})
    assert listed == {"post_event_report", "live_event_check"}
    assert "get_event_details" in STEP.findall(report)
    assert "get_payment_summary" not in report
    assert refused.value.error.code == INVALID_PARAMS


async def test_the_payment_tool_is_named_only_where_payments_are_on(
    postgres: PostgresForTests, demo_gateway: RunningGateway
):
    async with payments_gateway(postgres) as setup, setup.gateway.client() as client:
        with_payments = await prompt_text(client, "payout_run")
    async with demo_gateway.client() as client:  # payments off
        without = await prompt_text(client, "payout_run")
    assert STEP.findall(with_payments)[-1] == "process_artist_payment"
    assert "process_artist_payment" not in without and "get_payment_summary" in STEP.findall(without)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_unknown_prompts_bad_eids_and_missing_eids_are_invalid_params(demo_gateway: RunningGateway, mode: str):
    async with demo_gateway.client(mode=mode) as client:
        failures = []
        for name, arguments in (
            ("test_simple_prompt", {}),
            ("payout_run", {"eid": "not an event"}),
            ("payout_run", {}),
        ):
            with pytest.raises(MCPError) as refused:
                await client.get_prompt(name, arguments)
            failures.append((refused.value.error.code, refused.value.error.message))
    assert failures == [
        (INVALID_PARAMS, "Unknown prompt: test_simple_prompt"),
        (INVALID_PARAMS, "`eid` must look like AB4001 (use list_events to find one)."),
        (INVALID_PARAMS, "`eid` is required (an event id such as AB4001)."),
    ]
