"""`python -m bench.bot_bench`: what the Slack assistant itself costs, with instant doubles, on loopback only.

The real bot runs as its own process (`python -m slack_client`, as deployed) against doubles in this
process: the Slack double (Web API + Socket Mode), a scripted Anthropic double that answers at once, and
an MCP gateway double (official SDK, stateless JSON) whose one tool returns at once. Separate processes
keep the doubles' work out of the bot's measurements. Bounded in count and time; reported:

- ack latency p50/p99 per transport: Socket Mode (envelope pushed → ack received, timed by the Slack
  double), also for a burst of envelopes pushed at once, and Events API (signed POST → 200, timed by
  the client);
- the bot's own CPU per question and per LLM round (from /proc: user + system time of the bot process
  over the run, divided by the questions answered): its overhead, whatever the doubles cost;
- the bot's time per question as it logs it (question received → answer posted, doubles included);
- the agent loop alone with fake ports (no I/O), in this process;
- LLM rounds per one-tool question, from the bot's own log line for each request: exactly 2 or exit 1.

Goals (issue 4): ack p99 ≤ 50 ms, overhead ≤ 30 ms a turn, a one-tool question costs exactly 2 LLM rounds.

    uv run --frozen python -m bench.bot_bench [--questions 200] [--concurrency 1] [--burst 20] [--time-limit 60]
"""

from __future__ import annotations

import argparse
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

from slack_client.agent import Agent
from slack_client.models import Actor
from tests.doubles.anthropic_api import AnthropicDouble
from tests.doubles.llm_script import ToolCall, text_turn, tool_turn
from tests.doubles.slack_api import SlackDouble
from tests.doubles.slack_http_events import event_request
from tests.doubles.slack_payloads import BOT_USER_ID, app_mention, event_callback
from tests.slack_fixtures import SIGNING_SECRET, FakeGateway, ScriptedLLM, answer, calls, shipped_policy, tool

RESULTS = Path(__file__).resolve().parent / "results"
ACK_P99_GOAL_MS = 50.0
TURN_OVERHEAD_GOAL_MS = 30.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
BENCH_POLICY = (
    "roles: [staff]\ndefault_role: staff\nunknown_tools: deny\n"
    "limits: {user_burst: 1000000, user_per_minute: 1000000, channel_burst: 1000000, channel_per_minute: 1000000}\n"
    "tools:\n  get_live_voting_status: {roles: [staff], max_calls_per_request: 4}\n"
)


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


async def socket_mode_phase(
    gateway: InstantGateway, policy: Path, args: argparse.Namespace, deadline: float
) -> dict[str, Any]:
    async with (
        doubles(args.questions) as (slack, llm),
        BotProcess(bot_env(slack, llm, gateway, policy, PORT="0")) as bot,
    ):
        await slack.socket_mode.wait_for_connection_async(timeout=30)

        async def ask(index: int) -> dict[str, Any]:
            user = f"U{index + 1:08d}"
            event = app_mention(f"<@{BOT_USER_ID}> voting at AB4001?", user=user, channel="C0BENCH001")
            waiter = bot.answer_of(user)
            slack.socket_mode.push_events_api(event_callback(event))
            return await asyncio.wait_for(waiter, 30)

        await ask(-1)  # warm-up: first connections, first tools/list
        cpu_before, acks_before = bot.cpu_seconds(), len(slack.socket_mode.acks)
        lines = await run_questions(bot, args.questions, args.concurrency, deadline, ask)
        cpu = bot.cpu_seconds() - cpu_before
        acks = [a.latency for a in slack.socket_mode.acks[acks_before:] if a.latency is not None]
        burst_before = len(slack.socket_mode.acks)
        await asyncio.gather(*(ask(args.questions + i) for i in range(args.burst)))  # all pushed at once
        burst = [a.latency for a in slack.socket_mode.acks[burst_before:] if a.latency is not None]
    rounds = [line["llm_rounds"] for line in lines]
    return {
        "ack": summary_ms(acks),
        "ack_burst": summary_ms(burst),
        "bot_wall_per_question": summary_ms([line["duration_ms"] / 1000 for line in lines]),
        "bot_cpu_ms_per_question": round(cpu / max(1, len(lines)) * 1000, 2),
        "rounds": sorted(set(rounds)),
        "questions": len(lines),
    }


async def http_mode_phase(
    gateway: InstantGateway, policy: Path, args: argparse.Namespace, deadline: float
) -> dict[str, Any]:
    port = free_port()
    env = {"PORT": str(port), "SLACK_USE_SOCKET_MODE": "false"}
    async with (
        doubles(args.questions) as (slack, llm),
        BotProcess(bot_env(slack, llm, gateway, policy, **env)) as bot,
        httpx2.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http,
    ):
        await wait_ready(http)

        async def ask(index: int) -> float:
            user = f"U{index + 1:08d}"
            event = app_mention(f"<@{BOT_USER_ID}> voting?", user=user, channel="C0BENCH002")
            request = event_request(event_callback(event), SIGNING_SECRET)
            waiter = bot.answer_of(user)
            started = time.perf_counter()
            response = await http.post("/slack/events", content=request.body, headers=request.headers)
            acked = time.perf_counter() - started
            response.raise_for_status()
            await asyncio.wait_for(waiter, 30)
            return acked

        await ask(-1)
        acks = await run_questions(bot, args.questions, args.concurrency, deadline, ask)
    return {"ack": summary_ms(acks)}


async def wait_ready(http: httpx2.AsyncClient) -> None:
    async with asyncio.timeout(30):
        while True:
            with contextlib.suppress(httpx2.TransportError):
                if (await http.get("/readyz")).status_code == 200:
                    return
            await asyncio.sleep(0.05)


async def agent_only_phase(count: int) -> dict[str, Any]:
    """The agent loop with fake ports (no network): the loop's own Python cost per question."""
    gateway = FakeGateway([tool("get_live_voting_status")])
    actor, policy, durations = Actor("bench", "U0BENCH", "staff"), shipped_policy(), []
    for _ in range(count):
        llm = ScriptedLLM(calls(("get_live_voting_status", {"eid": "AB4001"})), answer("Grace Liu leads."))
        started = time.perf_counter()
        result = await Agent(llm, gateway, policy).run(actor, "voting at AB4001?")
        durations.append(time.perf_counter() - started)
        assert result.rounds == 2
    return {"question": summary_ms(durations)}


def report(results: dict[str, Any]) -> bool:
    sock, http, agent = results["socket_mode"], results["http_mode"], results["agent_only"]
    per_round = sock["bot_cpu_ms_per_question"] / 2
    print(f"{'measure':52} {'n':>5} {'p50 ms':>8} {'p99 ms':>8}")
    for name, stats in (
        ("ack, Socket Mode (push → ack)", sock["ack"]),
        (f"ack, Socket Mode, {sock['ack_burst']['n']} envelopes pushed at once", sock["ack_burst"]),
        ("ack, Events API (signed POST → 200)", http["ack"]),
        ("bot time per question, as logged (doubles included)", sock["bot_wall_per_question"]),
        ("agent loop alone, fake ports", agent["question"]),
    ):
        print(f"{name:52} {stats['n']:>5} {stats['p50']:>8} {stats['p99']:>8}")
    ack_p99 = max(sock["ack"]["p99"], http["ack"]["p99"])  # steady traffic; the burst is reported beside it
    print(f"\nbot CPU per question {sock['bot_cpu_ms_per_question']} ms = {per_round:.2f} ms per LLM round")
    print(f"LLM rounds per one-tool question: {sock['rounds']} (must be exactly [2])")
    print(f"goal ack p99 ≤ {ACK_P99_GOAL_MS} ms: {ack_p99} ms, {'ok' if ack_p99 <= ACK_P99_GOAL_MS else 'MISSED'}")
    burst = sock["ack_burst"]
    print(f"  (a burst of {burst['n']} envelopes at once: ack p99 {burst['p99']} ms; Slack allows 3 s)")
    verdict = "ok" if per_round <= TURN_OVERHEAD_GOAL_MS else "MISSED"
    print(f"goal overhead ≤ {TURN_OVERHEAD_GOAL_MS} ms a turn: {per_round:.2f} ms, {verdict}")
    return bool(sock["rounds"] == [2])


async def main_async(args: argparse.Namespace, policy: Path) -> dict[str, Any]:
    sys.setswitchinterval(0.0005)  # the doubles share this process; keep them responsive
    deadline = time.monotonic() + args.time_limit
    with InstantGateway() as gateway:
        return {
            "socket_mode": await socket_mode_phase(gateway, policy, args, deadline),
            "http_mode": await http_mode_phase(gateway, policy, args, deadline),
            "agent_only": await agent_only_phase(1000),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=1, help="questions in flight at a time")
    parser.add_argument("--burst", type=int, default=20, help="envelopes pushed at once, to time acks under load")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds; no new batch starts after it")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    policy = RESULTS / "bot_bench_policy.yaml"
    policy.write_text(BENCH_POLICY)
    results = asyncio.run(main_async(args, policy))
    (RESULTS / "bot_bench.json").write_text(json.dumps(results, indent=2))
    if not report(results):
        sys.exit(1)


if __name__ == "__main__":
    main()
