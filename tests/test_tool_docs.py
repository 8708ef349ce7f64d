"""docs/tools.md is generated from the registered tools, and this test fails when it is stale."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from mcp_server.tool_docs import REGENERATE, gateway_reference, markdown

DOCS = Path(__file__).resolve().parent.parent / "docs" / "tools.md"


async def test_docs_tools_md_is_what_the_registered_tools_generate():
    generated = markdown(await gateway_reference())
    assert DOCS.read_text(encoding="utf-8") == generated, f"docs/tools.md is stale: run `{REGENERATE}`"


async def test_every_registered_tool_is_documented_with_its_scope_arguments_and_answer():
    reference = await gateway_reference()
    text = markdown(reference)
    names = [tool.name for tool, _ in reference.tools]
    assert "process_artist_payment" in names and "get_gateway_activity" in names
    for tool, scope in reference.tools:
        section = text.split(f"\n## {tool.name}\n", 1)[1].split("\n## ", 1)[0]
        assert f"Scope `{scope}`" in section
        assert "**Answer** (`structuredContent`)" in section
        for argument in tool.input_schema.get("properties", {}):
            assert f"| `{argument}` |" in section
    assert "| `limit` | integer | no | ≥ 1, ≤ 50 | `20` | At most this many events. |" in text
    assert "| `events[].eid` | string |" in text
    assert "| `totals_by_currency` | map of decimal string |" in text


async def test_the_command_line_prints_the_reference_without_settings_or_a_database():
    env = {key: os.environ[key] for key in ("PATH", "HOME") if key in os.environ}
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "mcp_server", "tools", "--markdown"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == markdown(await gateway_reference())
