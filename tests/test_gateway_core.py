"""The gateway's core: errors by type, scopes per class of data, bounded metrics and lists, trusted headers,
literal search text, and start-up failures that end in one sentence."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import asyncpg
import httpx2
import pytest
from mcp.shared.exceptions import MCPError
from pydantic import BaseModel

from mcp_server.errors import InvalidArgument, QueryFailed
from tests.support.gateway import RunningGateway, mcp_client, run_gateway
from tests.support.postgres import PostgresForTests
from tests.support.process import free_port, gateway_env, run_command
from tests.support.tokens import tokens_file
from tests.support.waiting import eventually

FINANCE_TOOLS = {"get_payment_summary", "get_artist_owed"}


class Echo(BaseModel):
    eid: str


async def crashes(eid: str) -> Echo:
    """Always crashes with internals in its message."""
    raise RuntimeError(f"connection string postgresql://secret@db/{eid}")


async def refused_by_postgres(eid: str) -> Echo:
    """A statement Postgres refused for a reason that is not an outage."""
    raise QueryFailed("events.details: UndefinedColumnError")


async def refuses_input(eid: str) -> Echo:
    """A mistake the caller can fix."""
    raise InvalidArgument(f"{eid} is not one we can use; try AB4001.")


async def test_each_failure_reads_as_the_sentence_its_type_calls_for(postgres: PostgresForTests):
    async with run_gateway(await postgres.create_demo_database("errors")) as gateway:
        for tool in (crashes, refused_by_postgres, refuses_input):
            gateway.gateway.add_read_tool(tool, tool.__name__)
        async with gateway.client() as client:
            crash = await client.call_tool("crashes", {"eid": "AB4001"})
            refused = await client.call_tool("refused_by_postgres", {"eid": "AB4001"})
            mistake = await client.call_tool("refuses_input", {"eid": "AB9"})
            invalid = await client.call_tool("get_event_details", {"eid": "A" * 30})
    unexpected = "failed unexpectedly; try again in a moment, and tell an operator if it keeps failing."
    assert crash.is_error and crash.content[0].text == f"crashes {unexpected}"
    assert refused.is_error and refused.content[0].text == f"refused_by_postgres {unexpected}"
    assert mistake.content[0].text == "AB9 is not one we can use; try AB4001."
    assert invalid.content[0].text == "`eid` is too long: at most 20 characters."


async def test_a_read_token_neither_lists_nor_calls_finance_tools(postgres: PostgresForTests, tmp_path: Path):
    path, tokens = tokens_file(tmp_path, {"desktop": ["read"], "finance-desk": ["read", "finance"]})
    async with run_gateway(await postgres.create_demo_database("scopes"), mcp_gateway_tokens_file=path) as gateway:
        async with gateway.client(tokens["desktop"]) as desktop:
            listed = {tool.name for tool in (await desktop.list_tools()).tools}
            with pytest.raises(MCPError, match="Unknown tool: get_payment_summary"):
                await desktop.call_tool("get_payment_summary", {"eid": "AB4002"})
        async with gateway.client(tokens["finance-desk"]) as finance:
            finance_listed = {tool.name for tool in (await finance.list_tools()).tools}
            summary = await finance.call_tool("get_payment_summary", {"eid": "AB4002"})
    assert "get_event_details" in listed and not listed & FINANCE_TOOLS
    assert finance_listed >= FINANCE_TOOLS
    assert not summary.is_error


async def test_thousands_of_bogus_tool_names_do_not_grow_the_metrics(demo_gateway: RunningGateway):
    async def bogus(client: Any, number: int) -> None:
        with pytest.raises(MCPError):
            await client.call_tool(f"no_such_tool_{number}_{'x' * 200}", {})

    async with httpx2.AsyncClient(base_url=demo_gateway.base_url) as http:
        before = len((await http.get("/metrics")).text)
        async with demo_gateway.client() as client:
            for start in range(0, 2000, 200):
                await asyncio.gather(*(bogus(client, n) for n in range(start, start + 200)))
        metrics = (await http.get("/metrics")).text
    assert "no_such_tool" not in metrics
    assert 'abcodex_tool_calls_total{outcome="refused",tool="unknown"}' in metrics
    assert len(metrics) < before + 2_000


async def test_the_audit_keeps_a_capped_name_for_an_unknown_tool(demo_gateway: RunningGateway):
    name = "zz_unknown_" + "y" * 500
    async with demo_gateway.client() as client:
        with pytest.raises(MCPError):
            await client.call_tool(name, {})
    connection = await asyncpg.connect(demo_gateway.database_url)
    try:
        stored = await eventually(
            lambda: connection.fetchval("SELECT tool FROM abcodex_tool_calls WHERE tool LIKE 'zz_unknown_%'"),
            lambda found: found is not None,
        )
    finally:
        await connection.close()
    assert stored == name[:64]


@pytest.mark.parametrize("text", ["%", "_", "\\", "AB40%", "Toronto\\"])
async def test_search_text_matches_literally(demo_gateway: RunningGateway, text: str):
    async with demo_gateway.client() as client:
        result = await client.call_tool("list_events", {"query": text})
    assert not result.is_error
    assert result.structured_content["total_matched"] == 0
    assert result.structured_content["events"] == []


async def test_owed_lines_are_limited_with_the_total_and_the_sums_over_all(demo_gateway: RunningGateway):
    async with demo_gateway.client() as client:
        everything = (await client.call_tool("get_artist_owed", {})).structured_content
        one = (await client.call_tool("get_artist_owed", {"limit": 1})).structured_content
    assert everything["total_lines"] > 1 and everything["truncated"] is False
    assert len(one["lines"]) == 1 and one["truncated"] is True
    assert one["total_lines"] == everything["total_lines"]
    assert one["totals_by_currency"] == everything["totals_by_currency"]


async def test_acting_user_headers_are_recorded_only_from_trusted_clients(postgres: PostgresForTests, tmp_path: Path):
    path, tokens = tokens_file(tmp_path, {"desktop": ["read"], "bot-two": ["read"]}, trusted={"bot-two"})
    database = await postgres.create_demo_database("acting")
    headers = {"X-Acting-User": "U" + "1" * 300, "X-Acting-Role": "admin"}
    async with run_gateway(database, mcp_gateway_tokens_file=path) as gateway:
        for name in ("desktop", "bot-two"):
            async with mcp_client(gateway.url, tokens[name], headers) as client:
                await client.call_tool("get_event_details", {"eid": "AB4001"})
    connection = await asyncpg.connect(database)
    try:
        rows = await eventually(
            lambda: connection.fetch("SELECT client_name, acting_user, acting_role FROM abcodex_tool_calls"),
            lambda found: len(found) >= 2,
        )
    finally:
        await connection.close()
    by_client = {row["client_name"]: row for row in rows}
    assert by_client["desktop"]["acting_user"] is None and by_client["desktop"]["acting_role"] is None
    assert by_client["bot-two"]["acting_user"] == "U" + "1" * 99
    assert by_client["bot-two"]["acting_role"] == "admin"


@pytest.mark.slow
async def test_a_database_that_refuses_the_migrations_stops_start_up_with_one_sentence(
    postgres: PostgresForTests,
):
    database = await postgres.create_demo_database("refuses")
    connection = await asyncpg.connect(database)
    try:  # a view where the gateway's table belongs: CREATE TABLE cannot succeed
        await connection.execute("DELETE FROM abcodex_schema_migrations WHERE name LIKE 'abcodex/%'")
        await connection.execute("DROP TABLE abcodex_tool_calls CASCADE")
        await connection.execute("CREATE VIEW abcodex_tool_calls AS SELECT 1 AS one")
    finally:
        await connection.close()
    done = await asyncio.to_thread(run_command, [], gateway_env(database, "t" * 32, free_port()))
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        .splitlines()[-1]
        .startswith("abcodex-gateway: DATABASE_URL: the database refused the gateway's migrations")
    )
    assert "Traceback" not in done.stderr


@pytest.mark.slow
async def test_an_unusable_embedded_data_directory_stops_start_up_with_one_sentence(tmp_path: Path):
    env = gateway_env("", "t" * 32, free_port())
    del env["DATABASE_URL"]
    env["ABCODEX_DATA_DIR"] = str(tmp_path / "a-file" / "below")
    (tmp_path / "a-file").write_text("not a directory", encoding="utf-8")
    done = await asyncio.to_thread(run_command, [], env)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("abcodex-gateway: ABCODEX_DATA_DIR:")
    assert "Traceback" not in done.stderr
