"""`abcodex-gateway --stdio`: the same tools for desktop hosts that launch servers themselves."""

from __future__ import annotations

import os
import sys

import pytest
from mcp import Client, StdioServerParameters

from tests.support.postgres import PostgresForTests

pytestmark = pytest.mark.slow


async def test_stdio_mode_serves_the_read_tools(postgres: PostgresForTests):
    database = await postgres.create_demo_database("stdio")
    env = {key: value for key, value in os.environ.items() if not key.startswith("MCP_GATEWAY")}
    env.update({"DATABASE_URL": database, "LOG_LEVEL": "WARNING"})
    server = StdioServerParameters(command=sys.executable, args=["-m", "mcp_server", "--stdio"], env=env)
    async with Client(server) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        result = await client.call_tool("get_auction_status", {"eid": "ab4001"})
    assert "get_live_voting_status" in names and "process_artist_payment" not in names
    assert result.structured_content["totals"]["current_bid_sum"] == "1325.00"
