"""The bot bench's set-up: the bot as its own process, the doubles it talks to, and the latency summary.

`python -m slack_client` runs as deployed against doubles in the bench's process: the Slack double (Web API +
Socket Mode), a scripted Anthropic double that answers at once, and an MCP gateway double (official SDK,
stateless JSON) whose one tool returns at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import sys
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import uvicorn
from mcp.server.mcpserver import MCPServer
from mcp_types import ToolAnnotations

from tests.doubles.anthropic_api import AnthropicDouble
from tests.doubles.llm_script import ToolCall, text_turn, tool_turn
from tests.doubles.slack_api import SlackDouble
from tests.slack_fixtures import SIGNING_SECRET

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def summary_ms(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": round(percentile(values, 0.5) * 1000, 2),
        "p99": round(percentile(values, 0.99) * 1000, 2),
    }


def instant_model(request: Any) -> Any:
    """Look the voting up, then answer: a one-tool question."""
    if request.tool_results:
        return text_turn("Grace Liu leads round 2.")
    return tool_turn(ToolCall("get_live_voting_status", {"eid": "AB4001"}))


class InstantGateway:
    """An MCP gateway double on its own thread and event loop."""

    def __init__(self) -> None:
        server = MCPServer("instant-gateway", log_level="WARNING")

        @server.tool(annotations=ToolAnnotations(readOnlyHint=True, destructiveHint=False))
        async def get_live_voting_status(eid: str) -> dict[str, Any]:
            """Live voting (instant double)."""
            return {"eid": eid, "rounds": [{"round_number": 2, "leader": {"artist_name": "Grace Liu"}}]}

        app = server.streamable_http_app(stateless_http=True, json_response=True)
        self.config = uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning", access_log=False)
        self.url = f"http://127.0.0.1:{self.config.port}/mcp"
        self._server = uvicorn.Server(self.config)  # in its own thread, so it leaves the bench's signals alone
        self._thread = threading.Thread(target=lambda: asyncio.run(self._server.serve()), daemon=True)

    def __enter__(self) -> InstantGateway:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.should_exit = True
        self._thread.join(10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class BotProcess:
    """`python -m slack_client` with its JSON log read line by line: one `request` line per answer."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.answered: dict[str, dict[str, Any]] = {}
        self._waiters: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> BotProcess:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "slack_client",
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self.process is not None
        self.process.terminate()
        await asyncio.wait_for(self.process.wait(), 30)
        await self._reader

    async def _read(self) -> None:
        assert self.process is not None
        assert self.process.stdout is not None
        async for raw in self.process.stdout:
            with contextlib.suppress(ValueError):
                line = json.loads(raw)
                if line.get("event") == "request":
                    self.answered[line["user"]] = line
                    waiter = self._waiters.pop(line["user"], None)
                    if waiter is not None and not waiter.done():
                        waiter.set_result(line)

    def answer_of(self, user: str) -> asyncio.Future[dict[str, Any]]:
        future = asyncio.get_running_loop().create_future()
        if user in self.answered:
            future.set_result(self.answered[user])
        else:
            self._waiters[user] = future
        return future

    def cpu_seconds(self) -> float:
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def bot_env(
    slack: SlackDouble, llm: AnthropicDouble, gateway: InstantGateway, policy: Path, **extra: str
) -> dict[str, Any]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    return keep | {
        "MCP_GATEWAY_URL": gateway.url,
        "MCP_GATEWAY_AUTH_TOKEN": "bench",
        "LLM_PROVIDER": "anthropic",
        "ANTHROPIC_API_KEY": llm.api_key,
        "ANTHROPIC_BASE_URL": llm.base_url,
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_APP_TOKEN": slack.app_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "ALLOWED_TOOLS_FILE": str(policy),
        "BOT_HOST": "127.0.0.1",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
        **extra,
    }


async def run_questions(bot: BotProcess, count: int, concurrency: int, deadline: float, ask: Any) -> list[Any]:
    """Ask `count` questions, `concurrency` at a time; each waits for its own answer (the bot's log line)."""
    results: list[Any] = []
    for start in range(0, count, concurrency):
        if time.monotonic() > deadline:
            break
        batch = [ask(index) for index in range(start, min(count, start + concurrency))]
        results += await asyncio.gather(*batch)
    return results


@contextlib.asynccontextmanager
async def doubles(count: int) -> AsyncIterator[tuple[SlackDouble, AnthropicDouble]]:
    with SlackDouble() as slack, AnthropicDouble() as llm:
        llm.script(*[instant_model] * (2 * count + 4))  # more than enough turns
        yield slack, llm


async def wait_ready(http: httpx2.AsyncClient) -> None:
    async with asyncio.timeout(30):
        while True:
            with contextlib.suppress(httpx2.TransportError):
                if (await http.get("/readyz")).status_code == 200:
                    return
            await asyncio.sleep(0.05)
