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
- first streamed text: from the LLM double starting its answer (its first token) to Slack receiving the
  answer's first words (`chat.startStream`, or the fallback's `chat.postMessage` when streaming is refused),
  one question at a time, timed in this process by the two doubles;
- LLM rounds per one-tool question, from the bot's own log line for each request: exactly 2 or exit 1;
- input tokens per one-tool question, per provider, with today's 7 tools and the catalog's 20 (a stand-in
  for each catalog tool not registered yet): the real agent and adapters against both LLM doubles, counted
  as bytes/4 of what is sent (the doubles' own estimate; there is no tokenizer here), and the share a warm
  prompt cache would hold (Anthropic: up to its breakpoints; OpenAI: the tools and system prompt when sent
  byte for byte as before, in 128-token steps; neither caches under 1,024 tokens).

- get_event_chart through the bot's MCP client against the real gateway on the demo data (its own Postgres),
  p50/p99 per call at 1 and 8 calls in flight, uncached (LIVE_CACHE_SECONDS=0, arguments cycling through
  kinds and rounds): query, drawing in the gateway's worker threads, PNG over the wire, and decoding.

Goals (issue 4): ack p99 ≤ 50 ms, overhead ≤ 30 ms a turn, a one-tool question costs exactly 2 LLM rounds.
Goal (issue 9): uncached input tokens of a one-tool question with 20 tools ≤ 1.3× today's with 7.
Goal (streaming): first streamed text p99 ≤ 300 ms after the LLM's first token.

    uv run --frozen python -m bench.bot_bench [--questions 200] [--concurrency 1] [--burst 20] [--time-limit 60]
    uv run --frozen python -m bench.bot_bench --tokens-only
    uv run --frozen python -m bench.bot_bench --charts-only [--chart-calls 80]
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

from mcp_server.app import build_gateway
from mcp_server.settings import GatewaySettings
from slack_client.agent import Agent
from slack_client.gateway_client import GatewayClient
from slack_client.gateway_convert import tool_spec_from_sdk
from slack_client.llm.anthropic_provider import AnthropicProvider
from slack_client.llm.openai_provider import OpenAIProvider
from slack_client.models import Actor, ToolOutcome, ToolSpec
from slack_client.policy import parse_policy
from tests.doubles.anthropic_api import AnthropicDouble
from tests.doubles.llm_script import ToolCall, estimate_tokens, text_turn, tool_turn
from tests.doubles.openai_api import OpenAIDouble
from tests.doubles.slack_api import SlackDouble
from tests.doubles.slack_http_events import event_request
from tests.doubles.slack_payloads import BOT_USER_ID, app_mention, event_callback
from tests.doubles.slack_streams import refuse_streaming
from tests.slack_fixtures import SIGNING_SECRET, FakeGateway, ScriptedLLM, answer, calls, shipped_policy, tool
from tests.support.gateway import run_gateway
from tests.support.postgres import session_postgres

RESULTS = Path(__file__).resolve().parent / "results"
ACK_P99_GOAL_MS = 50.0
TURN_OVERHEAD_GOAL_MS = 30.0
FIRST_TEXT_P99_GOAL_MS = 300.0
STREAMED_ANSWER = (
    "Grace Liu leads round 2 at AB4001 with 20.5 weighted votes, ahead of Hana Kowalczyk with 18 and "
    "Omar Haddad with 15; round 1 is closed and the auction opens after round 3."
)
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


CHART_ARGUMENTS = [
    {"eid": "AB4001", "kind": kind} | ({"round": number} if number else {})
    for kind in ("voting", "auction", "votes_over_time")
    for number in (None, 1, 2)
]
CHART_CONCURRENCY = (1, 8)


async def chart_phase(count: int) -> dict[str, Any]:
    """get_event_chart's latency as the bot sees it, `count` calls at each concurrency, nothing cached."""
    postgres = await session_postgres()
    database = await postgres.create_demo_database("chart_bench")
    async with (
        run_gateway(database, live_cache_seconds=0) as running,
        GatewayClient(running.url, running.token, call_timeout=60) as client,
    ):
        await client.wait_ready(10)
        return {f"c={c}": summary_ms(await chart_latencies(client, count, c)) for c in CHART_CONCURRENCY}


async def chart_latencies(client: GatewayClient, count: int, concurrency: int) -> list[float]:
    actor = Actor("bench-chart", "U0BENCH", "staff")
    seconds: list[float] = []

    async def one(index: int) -> None:
        started = time.perf_counter()
        outcome = await client.call_tool("get_event_chart", CHART_ARGUMENTS[index % len(CHART_ARGUMENTS)], actor)
        if outcome.is_error or not outcome.images:
            raise RuntimeError(f"get_event_chart gave no chart: {outcome.text}")
        seconds.append(time.perf_counter() - started)

    for start in range(0, count, concurrency):
        await asyncio.gather(*(one(i) for i in range(start, min(count, start + concurrency))))
    return seconds


def report_charts(charts: dict[str, Any]) -> None:
    for label, stats in charts.items():
        name = f"get_event_chart via the bot's client, {label}, uncached"
        print(f"{name:52} {stats['n']:>5} {stats['p50']:>8} {stats['p99']:>8}")


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


# -- input tokens per one-tool question (issue 9): what each provider is sent, and how much of it caches --------

MIN_CACHEABLE_TOKENS = 1024  # below this neither provider caches a prefix (Claude Sonnet, OpenAI)
OPENAI_CACHE_STEP = 128  # OpenAI caches the longest identical prefix in steps of 128 tokens
UNCACHED_GOAL_RATIO = 1.3
# Today's cost: this phase run with slack_client/llm as at 491a422 (before prompt caching: gateway order, full
# descriptions and schemas, no breakpoints) on the same seven tools. Anthropic cached nothing; OpenAI's
# automatic cache already held the prefix. (Twenty tools cost 10,659 and 984 uncached there.)
BEFORE_UNCACHED_7 = {"anthropic": 4381, "openai": 788}
TODAY = ("list_events", "get_event_details", "get_live_voting_status", "get_auction_status")
TODAY_FINANCE = ("get_payment_summary", "get_artist_owed", "process_artist_payment")
# The catalog's thirteen new tools (TOOL-CATALOG.md): a stand-in is offered for each one not registered yet.
CATALOG_NEW = {
    "get_event_readiness": ("eid", "Is the event ready, and why isn't it visible: each check as pass/warn/fail."),
    "get_event_summary": ("eid group_by", "How an event did: artworks by status, sales, bids, votes, check-ins."),
    "get_event_roster": ("eid", "Who is painting: invited, accepted, confirmed and applied artists with easels."),
    "get_vote_breakdown": ("eid round", "Unique voters, vote_factor distribution and votes per 5 minutes."),
    "get_bid_history": ("eid art_code", "Bids over time per artwork, bidder as first name and last initial."),
    "find_artists": ("query", "Artist profiles by name, artist number or exact email, contacts masked."),
    "get_artist_history": ("artist", "What an artist painted, sold, earned, was paid and is owed, per currency."),
    "find_people": ("query", "People by name or exact email/phone, masked, with votes, bids, wins, check-ins."),
    "get_payment_ledger": ("eid artist", "Every payout row: status, gross, fees, net, dates, transfer id."),
    "get_payout_readiness": ("eid artist", "Stripe onboarding status, payouts enabled, set-up invitations sent."),
    "get_payment_health": ("eid", "What needs finance's attention: unpaid payouts, stuck or failed ones."),
    "get_exchange_rates": ("base target", "Exchange rates with their age; a cross rate with its direction."),
    "get_gateway_activity": ("hours tool", "The gateway's own use: calls, refusals, errors, payouts, by tool, user."),
}
EASEL = {"artist_profile_id": "2f1c4a8e-9d3b-4c6e-8a7b-1d2e3f4a5b6c", "raw_votes": 24, "weighted_total": 28.0}
ROUND = {"total_raw_votes": 83, "total_weighted": 95.0, "tied": False, "leader": None}
VOTING_ANSWER = {  # the size and shape of get_live_voting_status for AB4001 in the demo data
    **{"eid": "AB4001", "event_name": "Art Battle Toronto — Winter Championship", "current_round": 2},
    **{"as_of": "2026-11-27T01:12:45.120Z", "max_age_seconds": 1.0},
    "rounds": [
        ROUND
        | {
            "round_number": n,
            "state": state,
            "easels": [
                EASEL | {"easel": e, "artist_name": f"Artist {n}{e}", "art_code": f"AB4001-{n}-{e}"}
                for e in range(1, 5)
            ],
        }
        for n, state in ((1, "finished"), (2, "open"), (3, "not_started"))
    ],
}


async def registered_tools() -> list[ToolSpec]:
    """What the bot would list from a gateway with payments on, converted exactly as the bot converts it."""
    gateway = build_gateway(GatewaySettings.model_construct(enable_mutating_tools=True))
    return [tool_spec_from_sdk(tool) for tool in await gateway.mcp.list_tools()]


def stand_in(name: str, arguments: str, answers: str, like: ToolSpec) -> ToolSpec:
    """A catalog tool not registered yet: its catalog sentence, its arguments shaped like the gateway's."""
    eid = like.input_schema["properties"]["eid"]
    optional = {"anyOf": [{"maxLength": 100, "type": "string"}, {"type": "null"}], "default": None}
    properties = {
        arg: dict(eid) if arg == "eid" else {**optional, "description": f"The {arg}.", "title": arg.title()}
        for arg in arguments.split()
    }
    schema = {"type": "object", "properties": properties, "required": [next(iter(properties))], "title": name}
    description = f"{answers} {like.description.rsplit('. ', 1)[-1]}"  # the gateway appends its data note
    return ToolSpec(name, description, schema, read_only=True, destructive=False)


def tool_sets(registered: list[ToolSpec]) -> dict[str, tuple[list[ToolSpec], int]]:
    """Today's seven tools, and the catalog's twenty (stand-ins for those not registered yet, counted)."""
    by_name = {spec.name: spec for spec in registered}
    details = by_name["get_event_details"]
    seven = [by_name[name] for name in (*TODAY, *TODAY_FINANCE)]
    twenty = list(seven)
    twenty += [by_name.get(name) or stand_in(name, *CATALOG_NEW[name], details) for name in CATALOG_NEW]
    return {
        "7 tools": (seven, 0),
        "20 tools": (twenty, sum(n not in by_name for n in CATALOG_NEW)),
    }


def cacheable_tokens(provider: str, body: dict[str, Any], previous: dict[str, Any] | None) -> int:
    """Tokens of the prefix the provider would read from cache once warm (its minimum length applies)."""
    if provider == "anthropic":
        tools, system = body.get("tools") or [], body.get("system")
        marked_tools = bool(tools) and "cache_control" in tools[-1]
        marked_system = isinstance(system, list) and bool(system) and "cache_control" in system[-1]
        prefix = (estimate_tokens(tools) if marked_tools or marked_system else 0) + (
            estimate_tokens(system) if marked_system else 0
        )
    else:  # automatic: the tools and the system message, when sent byte for byte as before
        stable = previous is not None and _dumps(previous.get("tools")) == _dumps(body.get("tools"))
        stable = stable and previous is not None and previous["messages"][0] == body["messages"][0]
        prefix = estimate_tokens(body.get("tools") or []) + estimate_tokens(body["messages"][0]) if stable else 0
        prefix -= prefix % OPENAI_CACHE_STEP
    return prefix if prefix >= MIN_CACHEABLE_TOKENS else 0


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def sent_tokens(provider: str, body: dict[str, Any]) -> int:
    """bytes/4 of what is sent, as the doubles estimate usage (no tokenizer here)."""
    parts = ("system", "messages", "tools") if provider == "anthropic" else ("messages", "tools")
    return sum(estimate_tokens(body.get(part) or "") for part in parts)


async def one_tool_questions(provider: str, tools: list[ToolSpec], questions: int = 2) -> list[Any]:
    """Ask `questions` one-tool questions through the real agent and adapter; the double's recorded requests."""
    double = AnthropicDouble() if provider == "anthropic" else OpenAIDouble()
    policy = parse_policy({"roles": ["bench"], "unknown_tools": {"roles": ["bench"]}, "tools": {}})
    voting = ToolOutcome(False, json.dumps(VOTING_ANSWER), VOTING_ANSWER)
    gateway = FakeGateway(tools, {"get_live_voting_status": lambda arguments, actor: voting})
    with double:
        double.script(*[tool_turn(ToolCall("get_live_voting_status", {"eid": "AB4001"})), text_turn("Ok.")] * questions)
        llm: Any = (AnthropicProvider if provider == "anthropic" else OpenAIProvider)(
            api_key=double.api_key, model="bench", base_url=double.base_url
        )
        try:
            for _ in range(questions):
                await Agent(llm, gateway, policy).run(Actor("bench", "U0BENCH", "bench"), "How's voting at AB4001?")
        finally:
            await llm.aclose()
        return double.requests


async def token_phase() -> dict[str, Any]:
    """Per provider and tool set: input tokens of one one-tool question (two rounds), and what caches."""
    results: dict[str, Any] = {}
    for label, (tools, stand_ins) in tool_sets(await registered_tools()).items():
        for provider in ("anthropic", "openai"):
            requests = await one_tool_questions(provider, tools)
            first, second = requests[:2], requests[2:4]  # question 2 runs with a warm cache
            sent = sum(sent_tokens(provider, r.body) for r in second)
            cached = sum(cacheable_tokens(provider, r.body, p.body) for r, p in zip(second, first, strict=True))
            results[f"{provider}, {label}"] = {
                "tools": len(tools),
                "stand_ins": stand_ins,
                "sent": sent,
                "cacheable": cached,
                "uncached": sent - cached,
            }
    return results


def report_tokens(tokens: dict[str, Any]) -> bool:
    print(
        "input tokens per one-tool question: 2 LLM rounds, bytes/4 of what is sent, cache warm from a question before"
    )
    print(f"{'provider, tools':24} {'stand-ins':>9} {'sent':>7} {'cacheable':>10} {'uncached':>9}")
    for label, row in tokens.items():
        share = f"({row['cacheable'] / row['sent']:.0%})"
        print(
            f"{label:24} {row['stand_ins']:>9} {row['sent']:>7} {row['cacheable']:>10} {share:>6} {row['uncached']:>6}"
        )
    met = True
    for provider, before in BEFORE_UNCACHED_7.items():
        ratio = tokens[f"{provider}, 20 tools"]["uncached"] / before
        met = met and ratio <= UNCACHED_GOAL_RATIO
        verdict = "ok" if ratio <= UNCACHED_GOAL_RATIO else "MISSED"
        goal = f"uncached with 20 tools ≤ {UNCACHED_GOAL_RATIO}× today's {before} with 7"
        print(f"goal {provider}: {goal}: {ratio:.2f}×, {verdict}")
    return met


def report(results: dict[str, Any]) -> bool:
    if "charts" in results and "socket_mode" not in results:  # --charts-only
        print(f"{'measure':52} {'n':>5} {'p50 ms':>8} {'p99 ms':>8}")
        report_charts(results["charts"])
        return True
    if "socket_mode" not in results:  # --tokens-only
        return report_tokens(results["tokens"])
    sock, http, agent = results["socket_mode"], results["http_mode"], results["agent_only"]
    per_round = sock["bot_cpu_ms_per_question"] / 2
    print(f"{'measure':52} {'n':>5} {'p50 ms':>8} {'p99 ms':>8}")
    for name, stats in (
        ("ack, Socket Mode (push → ack)", sock["ack"]),
        (f"ack, Socket Mode, {sock['ack_burst']['n']} envelopes pushed at once", sock["ack_burst"]),
        ("ack, Events API (signed POST → 200)", http["ack"]),
        ("bot time per question, as logged (doubles included)", sock["bot_wall_per_question"]),
        ("agent loop alone, fake ports", agent["question"]),
        ("first token → first streamed text (chat.startStream)", results["first_text"]),
        ("first token → first text, streaming refused (post)", results["first_text_refused"]),
    ):
        print(f"{name:52} {stats['n']:>5} {stats['p50']:>8} {stats['p99']:>8}")
    report_charts(results["charts"])
    ack_p99 = max(sock["ack"]["p99"], http["ack"]["p99"])  # steady traffic; the burst is reported beside it
    print(f"\nbot CPU per question {sock['bot_cpu_ms_per_question']} ms = {per_round:.2f} ms per LLM round")
    print(f"LLM rounds per one-tool question: {sock['rounds']} (must be exactly [2])")
    print(f"goal ack p99 ≤ {ACK_P99_GOAL_MS} ms: {ack_p99} ms, {'ok' if ack_p99 <= ACK_P99_GOAL_MS else 'MISSED'}")
    burst = sock["ack_burst"]
    print(f"  (a burst of {burst['n']} envelopes at once: ack p99 {burst['p99']} ms; Slack allows 3 s)")
    verdict = "ok" if per_round <= TURN_OVERHEAD_GOAL_MS else "MISSED"
    print(f"goal overhead ≤ {TURN_OVERHEAD_GOAL_MS} ms a turn: {per_round:.2f} ms, {verdict}")
    first_p99 = results["first_text"]["p99"]
    verdict = "ok" if first_p99 <= FIRST_TEXT_P99_GOAL_MS else "MISSED"
    print(f"goal first streamed text p99 ≤ {FIRST_TEXT_P99_GOAL_MS} ms: {first_p99} ms, {verdict}\n")
    return report_tokens(results["tokens"]) and bool(sock["rounds"] == [2])


async def main_async(args: argparse.Namespace, policy: Path) -> dict[str, Any]:
    sys.setswitchinterval(0.0005)  # the doubles share this process; keep them responsive
    deadline = time.monotonic() + args.time_limit
    if args.tokens_only:
        return {"tokens": await token_phase()}
    if args.charts_only:
        return {"charts": await chart_phase(args.chart_calls)}
    with InstantGateway() as gateway:
        return {
            "socket_mode": await socket_mode_phase(gateway, policy, args, deadline),
            "http_mode": await http_mode_phase(gateway, policy, args, deadline),
            "agent_only": await agent_only_phase(1000),
            "first_text": await first_text_phase(gateway, policy, args, deadline, refused=False),
            "first_text_refused": await first_text_phase(gateway, policy, args, deadline, refused=True),
            "tokens": await token_phase(),
            "charts": await chart_phase(args.chart_calls),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=1, help="questions in flight at a time")
    parser.add_argument("--burst", type=int, default=20, help="envelopes pushed at once, to time acks under load")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds; no new batch starts after it")
    parser.add_argument("--tokens-only", action="store_true", help="only the input tokens per question")
    parser.add_argument("--charts-only", action="store_true", help="only get_event_chart's latency")
    parser.add_argument("--chart-calls", type=int, default=80, help="get_event_chart calls at each concurrency")
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
